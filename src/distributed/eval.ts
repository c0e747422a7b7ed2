/**
 * Evaluation and search in chunks, in process or over the queue, with the same results either way.
 *
 * Round r of an n-sample evaluation runs solveMany with seed `seed * 100003 + r` (as `rlmkit eval`
 * does); here each round is cut into chunks of `chunk` problems and each (round, chunk) is one job.
 * Lockstep batching merges model calls only within a chunk, so the results of a chunked run
 * depend on the chunk size but not on where the chunks run: `rlmkit eval --chunk 4` in process and
 * `rlmkit eval --chunk 4 --queue redis://...` over any number of workers agree exactly.
 */
import { randomUUID } from 'node:crypto';
import type { EvalStrategy } from '../eval/runner.js';
import type { EvalSample } from '../eval/report.js';
import type { Policy } from '../models/types.js';
import type { Problem, PromptStyle, Task } from '../tasks/types.js';
import { type JobPayload, PolicyCache, type SearchPayload, type SearchResultSummary, runJob } from './jobs.js';
import type { JobQueue } from './queue.js';

export interface ChunkedOptions {
  strategy: string;
  settings: Record<string, unknown>;
  /** Model spec (workers open it themselves). */
  model: string;
  seed: number;
  style: PromptStyle | 'auto';
  /** Problems per job (default 8). */
  chunk?: number;
  /** Where the jobs run: a queue, or this process with `policy` (already opened from `model`). */
  queue?: JobQueue;
  policy?: Policy;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function runSearchJobs<N extends 'eval' | 'search'>(name: N, payloads: SearchPayload[], o: ChunkedOptions) {
  if (o.queue) {
    const runId = `${name}-${randomUUID()}`;
    const results = await o.queue.runAll(name, runId, payloads as JobPayload[N][]);
    await o.queue.forget(runId, payloads.length);
    return results;
  }
  if (!o.policy) throw new Error('chunked evaluation in process needs the opened policy');
  const cache = new PolicyCache();
  cache.put(o.model, o.seed, o.policy);
  const out = [];
  for (const p of payloads) out.push(await runJob(name, p as JobPayload[N], cache));
  return out;
}

function payloadsFor(task: Task<Problem>, problems: readonly Problem[], rounds: number, o: ChunkedOptions): SearchPayload[] {
  const parts = chunks(problems, Math.max(1, o.chunk ?? 8));
  const payloads: SearchPayload[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const part of parts) {
      payloads.push({
        task: task.name,
        strategy: o.strategy,
        settings: o.settings,
        model: o.model,
        modelSeed: o.seed,
        seed: o.seed * 100_003 + r,
        style: o.style,
        problems: part,
      });
    }
  }
  return payloads;
}

/** An EvalStrategy whose rounds run as chunked jobs (in process or on the queue's workers). */
export function chunkedEvalStrategy(o: ChunkedOptions): EvalStrategy {
  return async (task, problems, n) => {
    const payloads = payloadsFor(task, problems, n, o);
    const results = (await runSearchJobs('eval', payloads, o)) as EvalSample[][];
    const perRound = payloads.length / n;
    const out: EvalSample[][] = problems.map(() => []);
    for (let r = 0; r < n; r++) {
      let i = 0;
      for (let c = 0; c < perRound; c++) for (const s of results[r * perRound + c]) out[i++].push(s);
    }
    return out;
  };
}

/** solveMany over the queue: one search per problem, in problem order (summaries, no trees). */
export async function solveManyQueued(
  task: Task<Problem>,
  problems: readonly Problem[],
  o: ChunkedOptions & { queue: JobQueue },
): Promise<SearchResultSummary[]> {
  const results = (await runSearchJobs('search', payloadsFor(task, problems, 1, o), o)) as SearchResultSummary[][];
  return results.flat();
}
