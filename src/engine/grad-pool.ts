/**
 * Data-parallel gradients over worker threads. jax-js runs its WebAssembly kernels on the thread
 * that calls them, one core each; a Trainer with `workers: n` computes its micro-batches on its
 * own thread plus n - 1 of these workers, in parallel, and sums the gradients in micro-batch order
 * on its own thread. Each worker runs the same compiled code on the same inputs, so a step is
 * bit-identical whatever the number of workers (tested).
 */
import type { Worker } from 'node:worker_threads';
import { RlmkitError, runtimeError } from '../core/errors.js';
import { spawnSiblingWorker } from '../core/worker.js';
import type { GradJob, GradJobResult, GradWorkerInit } from './grad-worker.js';
import type { TrainBatch } from './train-types.js';

interface WireError {
  message: string;
  kind?: RlmkitError['kind'];
  hint?: string;
}

const revive = (e: WireError) => new RlmkitError(`training worker: ${e.message}`, { kind: e.kind ?? 'runtime', hint: e.hint });

class GradWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: GradJobResult[]) => void; reject: (e: Error) => void }>();
  private dead?: Error;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; results?: GradJobResult[]; error?: WireError }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error) p.reject(revive(m.error));
      else p.resolve(m.results!);
    });
    const fail = (e: Error) => {
      this.dead ??= runtimeError(`a training worker thread stopped: ${e.message}`, 'run again with workers: 1 to train on one thread', e);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      worker.unref();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    // A forgotten dispose() must not keep the process alive: the worker holds the event loop only
    // while a job is out (otherwise awaiting its answer would let the process exit).
    worker.unref();
  }

  run(params: Float32Array[], batches: TrainBatch[]): Promise<GradJobResult[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      const job: GradJob = { id, params, batches };
      this.worker.postMessage(
        job,
        params.map((p) => p.buffer as ArrayBuffer),
      );
    });
  }

  terminate(): Promise<number> {
    this.dead ??= runtimeError('the training worker was closed');
    return this.worker.terminate();
  }
}

export class GradPool {
  private constructor(private readonly workers: GradWorker[]) {}

  /** Starts `n` workers (each compiles its gradient function on its first job). */
  static async start(n: number, init: GradWorkerInit): Promise<GradPool> {
    const workers = await Promise.all(
      Array.from({ length: n }, async () => {
        const w = spawnSiblingWorker(import.meta.url, 'grad-worker', init);
        const ready = await new Promise<{ error?: WireError }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', (e) =>
            reject(runtimeError(`a training worker thread failed to start: ${e.message}`, 'run with workers: 1 to train on one thread', e)),
          );
        });
        if (ready.error) {
          await w.terminate();
          throw revive(ready.error);
        }
        return new GradWorker(w);
      }),
    );
    return new GradPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs `batches` on worker `i` at `params` (in weightShapes order; the buffers are transferred, so each worker needs its own). */
  run(i: number, params: Float32Array[], batches: TrainBatch[]): Promise<GradJobResult[]> {
    return this.workers[i].run(params, batches);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
