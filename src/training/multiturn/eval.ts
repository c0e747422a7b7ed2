/**
 * Held-out success of a policy in a multi-turn task: one greedy episode (temperature 0) per
 * problem, or `samples` episodes at a temperature. Returns the success rate and per-problem
 * results (for paired comparisons of two policies on the same problems).
 */
import type { HostWeights, ModelConfig, Tokenizer } from '../../engine/index.js';
import type { MultiTurnTask } from '../../tasks/multiturn/types.js';
import type { Problem } from '../../tasks/types.js';
import { makeSampler, type RolloutBackend } from '../rollout-sampler.js';
import { rolloutEpisodes } from './rollout.js';

export interface EpisodeEval {
  success: number;
  /** Per problem: the share of its episodes that succeeded. */
  perProblem: number[];
  meanTurns: number;
  meanToolCalls: number;
  truncatedShare: number;
}

export async function evaluateEpisodes(
  task: MultiTurnTask,
  problems: readonly Problem[],
  models: ReadonlyArray<{ weights: HostWeights; config: ModelConfig }>,
  o: {
    tok: Tokenizer;
    maxTurnTokens: number;
    maxSeqLen: number;
    tools?: boolean;
    backend?: RolloutBackend;
    temperature?: number;
    samples?: number;
    seed?: number;
    batch?: number;
  },
): Promise<EpisodeEval> {
  if (problems.length === 0) return { success: NaN, perProblem: [], meanTurns: 0, meanToolCalls: 0, truncatedShare: 0 };
  const samplers = await Promise.all(models.map((m) => makeSampler(m.weights, m.config, o.backend ?? 'onnx')));
  const k = o.samples ?? 1;
  const rows = problems.flatMap((p, i) => Array.from({ length: k }, () => ({ p, i })));
  const correct = new Array<number>(problems.length).fill(0);
  let turns = 0;
  let calls = 0;
  let truncated = 0;
  try {
    const size = o.batch ?? 128;
    for (let s = 0; s < rows.length; s += size) {
      const part = rows.slice(s, s + size);
      const ts = await rolloutEpisodes(
        task,
        part.map((r) => r.p),
        part.map((r) => r.i),
        {
          tok: o.tok,
          samplers,
          temperature: o.temperature ?? 0,
          seed: (o.seed ?? 0) + s,
          maxTurnTokens: o.maxTurnTokens,
          maxSeqLen: o.maxSeqLen,
          tools: o.tools,
        },
      );
      ts.forEach((t, j) => {
        if (t.correct) correct[part[j].i] += 1;
        turns += t.turnSpans.length;
        calls += t.toolCalls;
        if (t.truncated) truncated++;
      });
    }
  } finally {
    samplers.forEach((x) => x.dispose());
  }
  const perProblem = correct.map((c) => c / k);
  return {
    success: perProblem.reduce((a, b) => a + b, 0) / problems.length,
    perProblem,
    meanTurns: turns / rows.length,
    meanToolCalls: calls / rows.length,
    truncatedShare: truncated / rows.length,
  };
}
