/**
 * Where the asynchronous loop's rollouts come from (`RolloutEngine`), and the in-process engine:
 * a worker thread (./rollout-worker.ts) to which the trainer publishes weights with a version and
 * from which it gets batches back in order. src/distributed/rl-rollout.ts is the other engine
 * (rollout jobs on a Redis queue, for `rlmkit worker` processes on any number of machines).
 */
import type { Worker } from 'node:worker_threads';
import { runtimeError } from '../../core/errors.js';
import { spawnSiblingWorker } from '../../core/worker.js';
import type { HostWeights } from '../../engine/index.js';
import type { RolloutWorkerData } from './rollout-worker.js';
import type { RolloutBatch, RolloutRequest, RolloutRow, RolloutStats } from './segmented-rollout.js';

export type { RolloutBatch, RolloutRequest, RolloutRow, RolloutStats };

/**
 * A rollout engine: weights published with increasing versions (version 0 first), batches asked
 * for in order. Rows carry reference log-probs when the engine was given reference weights, and
 * proximal log-probs when the engine could score them (otherwise the trainer does).
 */
export interface RolloutEngine {
  publish(weights: HostWeights, version: number): Promise<void>;
  generate(req: RolloutRequest): Promise<RolloutBatch>;
  close(): Promise<void>;
}

/** What an engine is opened with (the thread engine's worker data). */
export type RolloutEngineSettings = RolloutWorkerData;
export type OpenRolloutEngine = (s: RolloutEngineSettings) => Promise<RolloutEngine>;

export class RolloutClient implements RolloutEngine {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: RolloutBatch) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(data: RolloutWorkerData) {
    this.worker = spawnSiblingWorker(import.meta.url, 'rollout-worker', data);
    this.worker.on('message', (m: ({ type: 'batch'; id: number } & RolloutBatch) | { type: 'error'; id: number; message: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.type === 'batch') w.resolve({ rows: m.rows, stats: m.stats });
      else w.reject(runtimeError(`rollout worker: ${m.message}`));
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const w of this.waiting.values()) w.reject(runtimeError(`rollout worker stopped: ${e.message}`));
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`exit code ${code}`));
    });
  }

  /** Weights for the batches (and the segments of running batches) from now on. */
  publish(weights: HostWeights, version: number): Promise<void> {
    this.worker.postMessage({ type: 'weights', version, weights });
    return Promise.resolve();
  }

  generate(req: RolloutRequest): Promise<RolloutBatch> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'generate', id, ...req });
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' });
    await this.worker.terminate();
  }
}

export const openThreadEngine: OpenRolloutEngine = (s) => Promise.resolve(new RolloutClient(s));
