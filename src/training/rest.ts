/**
 * Rejection sampling / ReST (Gulcehre et al. 2023, "Reinforced Self-Training"; RFT, Yuan et al.
 * 2023): each iteration samples `samples_per_problem` solutions per training problem from the
 * current policy (Grow), keeps up to `keep_per_problem` distinct verified-correct ones (Improve's
 * filter), and fine-tunes on everything kept so far. Each iteration is two resumable phases.
 */
import { Rng } from '../core/index.js';
import { EOS } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { type LoadedModel, startingModel } from './models.js';
import type { z } from 'zod';
import type { RestSectionSchema } from './recipe.js';
import type { RewardFn } from './rewards.js';
import type { TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';
import { promptIds } from './sequences.js';
import { runSftPhase, type SftExample } from './sft.js';

export type RestSection = z.output<typeof RestSectionSchema>;

export interface RestIteration {
  samples: number;
  correct: number;
  kept: number;
  examples: { problem: Problem; steps: string[] }[];
  checkpoint: string;
}

export async function runRest(input: {
  run: TrainingRun;
  task: Task<Problem>;
  problems: readonly Problem[];
  start: LoadedModel;
  rest: RestSection;
  reward: RewardFn;
  seed: number;
  checkpointEvery: number;
}): Promise<{ checkpoint: string; iterations: Omit<RestIteration, 'examples'>[] }> {
  const { run, task, rest } = input;
  let policy = input.start;
  const kept: SftExample[] = [];
  const summary: Omit<RestIteration, 'examples'>[] = [];
  for (let it = 1; it <= rest.iterations; it++) {
    const grow = await run.phase(`iter${it}/sample`, async () => {
      const rng = new Rng(input.seed).fork(`rest.iter.${it}`);
      const problems = rng.shuffle([...input.problems]).slice(0, rest.problems_per_iteration);
      const tok = policy.tokenizer;
      const rows = problems.flatMap((p) => Array.from({ length: rest.samples_per_problem }, () => promptIds(tok, task, p)));
      const maxNew = Math.max(1, Math.min(rest.rollout.max_new_tokens, policy.config.maxSeqLen - Math.max(...rows.map((r) => r.length))));
      const sampler = await makeSampler(policy.weights, policy.config, rest.rollout.backend);
      let res;
      try {
        res = await sampler.sample(rows, {
          maxNewTokens: maxNew,
          temperature: rest.rollout.temperature,
          topP: rest.rollout.top_p,
          seed: rng.fork('sample').nextU32(),
        });
      } finally {
        sampler.dispose();
      }
      const owner = (i: number) => problems[Math.floor(i / rest.samples_per_problem)];
      const texts = res.map((r) => tok.decode(r.tokens.filter((t) => t !== EOS)));
      const scores = await input.reward(texts.map((c, i) => ({ problem: owner(i), completion: c, tokens: res[i].tokens.length })));
      const examples: { problem: Problem; steps: string[] }[] = [];
      const seen = new Map<string, Set<string>>();
      texts.forEach((text, i) => {
        if (!scores[i].correct) return;
        const p = owner(i);
        const have = seen.get(p.id) ?? new Set<string>();
        seen.set(p.id, have);
        const steps = text
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
        const key = steps.join('\n');
        if (have.has(key) || have.size >= rest.keep_per_problem) return;
        have.add(key);
        examples.push({ problem: p, steps });
      });
      run.log(`iter${it}/sample`, it, {
        samples: texts.length,
        sample_accuracy: scores.filter((s) => s.correct).length / texts.length,
        kept: examples.length,
      });
      return { samples: texts.length, correct: scores.filter((s) => s.correct).length, examples };
    });
    kept.push(...grow.examples);
    if (kept.length === 0) {
      summary.push({ samples: grow.samples, correct: grow.correct, kept: 0, checkpoint: policy.source });
      continue; // nothing verified yet: the next iteration samples again from the same policy
    }
    const sft = await runSftPhase({
      run,
      phase: `iter${it}/sft`,
      task,
      problems: input.problems,
      start: policy,
      sft: rest.sft,
      seed: input.seed + it,
      checkpointEvery: input.checkpointEvery,
      logEvery: run.recipe.log_every,
      examples: kept,
    });
    policy = startingModel({ preset: 'tiny', init: sft.checkpoint }, policy.tokenizer, input.seed);
    summary.push({ samples: grow.samples, correct: grow.correct, kept: kept.length, checkpoint: sft.checkpoint });
  }
  return { checkpoint: policy.source, iterations: summary };
}
