/**
 * `rlmkit bench rl`: synchronous (eta = 0) against asynchronous (eta >= 1) GRPO on the same
 * samples, from the committed Game of 24 SFT policy (no committed Countdown policy exists; the
 * Countdown SFT recipe takes about an hour here).
 *
 * Both arms run ./async-rl.ts with the same recipe, problems and seeds; only the staleness bound
 * differs (eta = 0 is the synchronous loop: generate, score, update). Reported: the training wall
 * time, samples/s and tokens/s, the trainer's wait for rollouts, the staleness reached, and greedy
 * accuracy of both final policies on 200 held-out puzzles (the ToT test split, 100, and 100 train
 * puzzles held out of the RL problems) with the paired difference and its 95% bootstrap CI.
 */
import { validateConfig } from '../../core/index.js';
import { type HostWeights, initEngine, loadCheckpoint, tokenizerFromSpec } from '../../engine/index.js';
import { type ProblemAccuracy, pairedDifference } from '../../eval/stats.js';
import { getTask } from '../../tasks/registry.js';
import type { Problem, Task } from '../../tasks/types.js';
import { Rng } from '../../core/rng.js';
import type { LoadedModel } from '../models.js';
import { RlSectionSchema } from '../recipe.js';
import { resolveReward, type RewardFn } from '../rewards.js';
import { makeSampler } from '../rollout-sampler.js';
import { promptIds } from '../sequences.js';
import { runAsyncRl } from './async-rl.js';

export interface RlBenchOptions {
  checkpoint: string;
  steps: number;
  prompts: number;
  group: number;
  staleness: number;
  segmentTokens: number;
  maxNewTokens: number;
  seed: number;
}

async function greedyCorrect(
  weights: HostWeights,
  m: LoadedModel,
  task: Task<Problem>,
  problems: readonly Problem[],
  reward: RewardFn,
  maxNew: number,
): Promise<ProblemAccuracy[]> {
  const sampler = await makeSampler(weights, m.config, 'onnx');
  try {
    const res = await sampler.sample(
      problems.map((p) => promptIds(m.tokenizer, task, p)),
      { maxNewTokens: maxNew, temperature: 0 },
    );
    const scored = await reward(
      problems.map((p, i) => ({ problem: p, completion: m.tokenizer.decode(res[i].tokens), tokens: res[i].tokens.length })),
    );
    return problems.map((p, i) => ({ problemId: p.id, n: 1, correct: scored[i].correct ? 1 : 0 }));
  } finally {
    sampler.dispose();
  }
}

export async function benchRl(o: RlBenchOptions): Promise<Record<string, unknown>> {
  await initEngine();
  const task = getTask('game24');
  const ck = loadCheckpoint(o.checkpoint);
  const start: LoadedModel = { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: o.checkpoint };
  const train = new Rng(o.seed).fork('bench-rl').shuffle([...(await task.problems({ split: 'train' }))]);
  const evalSet = [...(await task.problems({ split: 'test' })), ...train.slice(0, 100)];
  const rlProblems = train.slice(100);
  const rl = validateConfig(
    RlSectionSchema,
    {
      steps: o.steps,
      prompts_per_step: o.prompts,
      group_size: o.group,
      ppo_epochs: 1,
      mini_batches: 2,
      advantage: 'grpo',
      clip: { low: 0.2, high: 0.28 },
      loss_agg: 'token-mean',
      kl_loss: { estimator: 'k3', coef: 0.001 },
      dynamic_sampling: true,
      policy_loss: { name: 'decoupled' },
      rollout: { backend: 'onnx', temperature: 1, top_p: 1, max_new_tokens: o.maxNewTokens },
      optim: { lr: 5e-5, schedule: 'constant', grad_clip: 1 },
      eval_problems: 0,
    },
    'bench rl',
  );
  const reward = resolveReward('verifier', task);
  const arms: Record<string, Record<string, unknown>> = {};
  const perProblem: Record<string, ProblemAccuracy[]> = {};
  perProblem.start = await greedyCorrect(start.weights, start, task, evalSet, reward, o.maxNewTokens);
  for (const [name, eta] of [
    ['sync', 0],
    ['async', o.staleness],
  ] as const) {
    process.stderr.write(`bench rl: ${name} (eta ${eta}), ${o.steps} steps of ${o.prompts}x${o.group} samples\n`);
    const r = await runAsyncRl({
      phase: 'rl',
      task,
      problems: rlProblems,
      start,
      rl,
      reward,
      seed: o.seed,
      async: { staleness: eta, segmentTokens: name === 'sync' ? o.maxNewTokens : o.segmentTokens },
    });
    perProblem[name] = await greedyCorrect(r.weights, start, task, evalSet, reward, o.maxNewTokens);
    // Steady state: steps 2..N (step 1 pays the jit compiles of the trainer and the scorer).
    const steady = r.stepEnds.length > 1 ? r.stepEnds[r.stepEnds.length - 1] - r.stepEnds[0] : r.wallS;
    const steadySamples = r.stepEnds.length > 1 ? (r.samples * (r.stepEnds.length - 1)) / r.stepEnds.length : r.samples;
    arms[name] = {
      staleness_bound: eta,
      wall_s: +r.wallS.toFixed(2),
      samples: r.samples,
      samples_per_s: +(steadySamples / steady).toFixed(2),
      samples_per_s_including_step1: +(r.samples / r.wallS).toFixed(2),
      steps_with_mixed_versions: r.mixedVersionSteps,
      generated_tokens_per_s_including_step1: +(r.generatedTokens / r.wallS).toFixed(1),
      trainer_wait_s: +r.trainerWaitS.toFixed(2),
      mean_staleness: +r.meanStaleness.toFixed(2),
      max_staleness: r.maxStaleness,
      heldout_greedy_accuracy: perProblem[name].reduce((n, p) => n + p.correct, 0) / evalSet.length,
    };
  }
  const diff = pairedDifference(perProblem.sync, perProblem.async, { seed: o.seed });
  return {
    task: 'game24',
    checkpoint: o.checkpoint,
    samples_per_arm: o.steps * o.prompts * o.group,
    heldout_problems: evalSet.length,
    start_heldout_greedy_accuracy: perProblem.start.reduce((n, p) => n + p.correct, 0) / evalSet.length,
    sync: arms.sync,
    async: arms.async,
    throughput_ratio_async_to_sync: +((arms.async.samples_per_s as number) / (arms.sync.samples_per_s as number)).toFixed(3),
    accuracy_difference_async_minus_sync: diff,
    note: 'one run per arm on a shared 2-core machine, sync first; eta = 0 is the synchronous loop in the same code',
  };
}
