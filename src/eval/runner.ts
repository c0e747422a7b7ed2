/**
 * The evaluation loop over a sampling strategy. A strategy is anything that, given a task, its
 * problems and a number of samples per problem, returns those samples; src/reasoning's strategies
 * plug in through `reasoningStrategy` (cli/commands/eval.ts), tests use scripted ones.
 */
import type { Problem, Task } from '../tasks/types.js';
import { verdictOf } from '../tasks/verdict.js';
import { type EvalReport, type EvalSample, type ProblemRecord, buildReport } from './report.js';

/** Returns, for each problem in order, `n` samples. */
export type EvalStrategy<P extends Problem = Problem> = (task: Task<P>, problems: readonly P[], n: number) => Promise<EvalSample[][]>;

export interface RunEvalOptions<P extends Problem> {
  task: Task<P>;
  problems: readonly P[];
  strategy: EvalStrategy<P>;
  strategyName: string;
  model: string;
  split?: string;
  ks: number[];
  /** Samples per problem (default: the largest k). */
  n?: number;
  seed?: number;
  settings?: Record<string, unknown>;
}

export async function runEval<P extends Problem>(o: RunEvalOptions<P>): Promise<{ report: EvalReport; records: ProblemRecord[] }> {
  const n = o.n ?? Math.max(...o.ks);
  const t0 = performance.now();
  const samples = await o.strategy(o.task, o.problems, n);
  if (samples.length !== o.problems.length)
    throw new Error(`strategy returned samples for ${samples.length} of ${o.problems.length} problems`);
  const records: ProblemRecord[] = o.problems.map((p, i) => ({ problemId: p.id, samples: samples[i] }));
  const report = buildReport(records, {
    task: o.task.name,
    strategy: o.strategyName,
    model: o.model,
    split: o.split,
    ks: o.ks,
    seed: o.seed,
    same: (a, b) => o.task.sameAnswer(a, b),
    settings: o.settings,
    wallMs: performance.now() - t0,
  });
  return { report, records };
}

/** Verifies raw completions with the task: a helper for strategies that only produce text. */
export async function samplesFromCompletions<P extends Problem>(
  task: Task<P>,
  problem: P,
  completions: ReadonlyArray<{ text: string; promptTokens?: number; completionTokens?: number; score?: number }>,
): Promise<EvalSample[]> {
  const out: EvalSample[] = [];
  for (const c of completions) {
    const answer = task.extractAnswer(c.text, problem);
    const v = await task.verify(answer, problem);
    out.push({
      answer,
      correct: v.correct,
      verdict: verdictOf(v, answer),
      score: c.score,
      promptTokens: c.promptTokens,
      completionTokens: c.completionTokens,
    });
  }
  return out;
}
