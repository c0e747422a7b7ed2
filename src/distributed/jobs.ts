/**
 * The work a queue carries, and how a worker does it. Every job is plain JSON (what BullMQ stores
 * in Redis) and is deterministic given its payload, so a retried job gives the same result and
 * the in-process path (`runJob` called directly) gives exactly what workers give.
 *
 *   eval     one round of an evaluation over a chunk of problems: solveMany with the round's seed,
 *            each result mapped to an EvalSample (answer, verified correctness, score, tokens)
 *   search   solveMany over a chunk of problems: answers, verification and usage per problem
 *   rollout  completions of prompts by a policy (GenerateOptions as given; seeded for determinism)
 *   rl-rollout  token-level rollouts of the asynchronous RL loop with the weights the trainer
 *            published to Redis (./rl-rollout-job.ts); deterministic given the versions it used
 */
import type { EvalSample } from '../eval/report.js';
import type { Completion, GenerateOptions, Policy } from '../models/types.js';
import type { PromptStyle } from '../tasks/types.js';
import { LegalUniformPolicy } from '../reasoning/legal-policy.js';
import { solveMany } from '../reasoning/solve.js';
import { getTask } from '../tasks/registry.js';
import type { RolloutBatch } from '../training/async/segmented-rollout.js';
import { type RlRolloutPayload, type RlSamplers, runRlRollout } from './rl-rollout-job.js';
import type { Problem } from '../tasks/types.js';

/** Model specs the workers open (as `rlmkit eval --model`); legal-uniform and random are model-free. */
export const MODEL_FREE_SPECS = ['legal-uniform', 'random'];

export interface SearchPayload {
  task: string;
  strategy: string;
  settings: Record<string, unknown>;
  /** Model spec, opened by the worker (cached across jobs). */
  model: string;
  /** The seed the model is opened with (model-free policies use it). */
  modelSeed: number;
  /** The solve seed of this round. */
  seed: number;
  style: PromptStyle | 'auto';
  problems: Problem[];
}

export interface RolloutPayload {
  model: string;
  modelSeed: number;
  prompts: string[];
  options: Pick<GenerateOptions, 'n' | 'maxTokens' | 'temperature' | 'topP' | 'topK' | 'stop' | 'seed' | 'logprobs'>;
}

export interface SearchResultSummary {
  problemId: string;
  answer: string | null;
  correct: boolean | null;
  steps: string[];
  usage: { promptTokens: number; completionTokens: number; calls: number };
}

export type JobName = 'eval' | 'search' | 'rollout' | 'rl-rollout';
export type JobPayload = { eval: SearchPayload; search: SearchPayload; rollout: RolloutPayload; 'rl-rollout': RlRolloutPayload };
export type JobResult = { eval: EvalSample[]; search: SearchResultSummary[]; rollout: Completion[][]; 'rl-rollout': RolloutBatch };

/** Opens and caches policies by spec within one process (a worker serves many jobs). */
export class PolicyCache {
  private readonly open = new Map<string, Promise<Policy>>();

  /** Registers a policy already opened from `spec` (the in-process path shares the caller's). */
  put(spec: string, seed: number, policy: Policy): void {
    this.open.set(`${seed}\u0000${spec}`, Promise.resolve(policy));
  }

  get(spec: string, seed: number): Promise<Policy> {
    const key = `${seed}\u0000${spec}`;
    let p = this.open.get(key);
    if (!p) {
      p = MODEL_FREE_SPECS.includes(spec)
        ? Promise.resolve(new LegalUniformPolicy(seed))
        : import('../models/spec.js').then((m) => m.loadPolicy(spec));
      this.open.set(key, p);
      p.catch(() => this.open.delete(key));
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) await (await p.catch(() => null))?.close?.();
  }
}

async function search(p: SearchPayload, policies: PolicyCache) {
  const task = getTask(p.task);
  const policy = await policies.get(p.model, p.modelSeed);
  return solveMany(p.problems, {
    task,
    strategy: p.strategy,
    settings: p.settings,
    models: { policy },
    seed: p.seed,
    style: p.style,
    trace: false,
  });
}

/** Score of the final node for weighted voting, as `rlmkit eval` reads it. */
const nodeScore = (s: Record<string, number | undefined> | undefined) => (s ? (s.orm ?? s.prm ?? s.value ?? s.judge) : undefined);

export async function runJob<N extends JobName>(
  name: N,
  payload: JobPayload[N],
  policies: PolicyCache,
  rl?: RlSamplers,
): Promise<JobResult[N]> {
  if (name === 'rl-rollout') {
    if (!rl) throw new Error('rl-rollout jobs run on rlmkit worker processes (they need the Redis weight store)');
    return (await runRlRollout(payload as RlRolloutPayload, rl)) as JobResult[N];
  }
  if (name === 'rollout') {
    const p = payload as RolloutPayload;
    const policy = await policies.get(p.model, p.modelSeed);
    return (await policy.generate(
      p.prompts.map((prompt) => ({ prompt })),
      p.options,
    )) as JobResult[N];
  }
  const many = await search(payload as SearchPayload, policies);
  if (name === 'eval') {
    return many.results.map((res): EvalSample => ({
      answer: res.answer,
      correct: res.correct === true,
      score: nodeScore(res.node?.scores as Record<string, number | undefined> | undefined),
      promptTokens: res.usage.promptTokens,
      completionTokens: res.usage.completionTokens,
      wallMs: res.usage.wallMs,
    })) as JobResult[N];
  }
  return many.results.map((res): SearchResultSummary => ({
    problemId: res.problemId,
    answer: res.answer,
    correct: res.correct,
    steps: [...(res.node?.steps ?? [])],
    usage: { promptTokens: res.usage.promptTokens, completionTokens: res.usage.completionTokens, calls: res.usage.calls ?? 0 },
  })) as JobResult[N];
}
