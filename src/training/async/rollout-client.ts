/**
 * The trainer's side of the rollout worker thread (./rollout-worker.ts): publish weights with a
 * version, ask for batches, get them back in order.
 */
import type { Worker } from 'node:worker_threads';
import { runtimeError } from '../../core/errors.js';
import { spawnSiblingWorker } from '../../core/worker.js';
import type { HostWeights, ModelConfig } from '../../engine/index.js';
import type { GenerateMessage, RolloutRow } from './rollout-worker.js';

export class RolloutClient {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: RolloutRow[]) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(config: ModelConfig) {
    this.worker = spawnSiblingWorker(import.meta.url, 'rollout-worker', { config });
    this.worker.on('message', (m: { type: 'batch'; id: number; rows: RolloutRow[] } | { type: 'error'; id: number; message: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.type === 'batch') w.resolve(m.rows);
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
  publish(weights: HostWeights, version: number): void {
    this.worker.postMessage({ type: 'weights', version, weights });
  }

  generate(req: Omit<GenerateMessage, 'type' | 'id'>): Promise<RolloutRow[]> {
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
