/**
 * Measurement script (not a test) for RLMT (src/training/rlmt-eval.ts): the true score (the task's
 * rule checker) and the reward-model score of several policies on the same held-out problems,
 * greedy and sampled, paired 95% bootstrap intervals against the first policy, and the reward
 * model's held-out pair accuracy.
 *
 *   npx tsx test/rlmt/measure.ts --task word-sorting:easy --n 200 --rm runs/word-sorting-rm \
 *     --run sft=runs/word-sorting-sft --run rlmt=runs/word-sorting-rlmt --run grpo=runs/word-sorting-grpo \
 *     [--samples 4 --temperature 1 --max-new-tokens 48 --seed 0 --json out.json]
 */
import { writeJsonAtomic } from '../../src/core/index.js';
import { RewardModelRewardSchema } from '../../src/training/reward-model-config.js';
import { evaluateRlmt, rlmtMarkdown } from '../../src/training/rlmt-eval.js';
import { resolveTask } from '../../src/training/tasks.js';

const argv = process.argv.slice(2);
const opt = (k: string, d?: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const task = resolveTask(opt('task', 'word-sorting:easy')!);
const n = Number(opt('n', '200'));
const problems = await task.problems({ split: 'test', limit: n });
const policies = argv
  .flatMap((a, i) => (a === '--run' ? [argv[i + 1]] : []))
  .map((s) => {
    const [name, checkpoint] = s.split('=');
    return { name, checkpoint };
  });
const { think } = RewardModelRewardSchema.parse({ reward_model: { checkpoint: opt('rm')! } }).reward_model;
const t0 = Date.now();
const report = await evaluateRlmt({
  task,
  problems,
  policies,
  rm: opt('rm')!,
  think,
  samples: Number(opt('samples', '4')),
  temperature: Number(opt('temperature', '1')),
  maxNewTokens: Number(opt('max-new-tokens', '48')),
  seed: Number(opt('seed', '0')),
});
console.log(rlmtMarkdown(report));
console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
const out = opt('json');
if (out) writeJsonAtomic(out, report);
