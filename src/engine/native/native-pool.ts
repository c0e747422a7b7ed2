/**
 * Worker threads for the native engine (./native-worker.ts): a Trainer with `workers: n` and
 * several chunks runs chunk i on thread i mod n, this one being thread 0, all on one-thread
 * sessions of the same graph, so a step does not depend on n (tested bit-identical).
 */
import type { Worker } from 'node:worker_threads';
import { runtimeError } from '../../core/errors.js';
import { spawnSiblingWorker } from '../../core/worker.js';
import type { NativeJob, NativeWorkerInit } from './native-worker.js';

class NativeWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, Float32Array>) => void; reject: (e: Error) => void }>();
  private dead?: Error;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; out?: Record<string, Float32Array>; error?: { message: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error) p.reject(runtimeError(`native training worker: ${m.error.message}`));
      else p.resolve(m.out!);
    });
    const fail = (e: Error) => {
      this.dead ??= runtimeError(
        `a native training worker thread stopped: ${e.message}`,
        'run again with workers: 1 to train on one thread',
        e,
      );
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      worker.unref();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    worker.unref(); // only a job in flight keeps the process alive
  }

  run(graph: NativeJob['graph'], feeds: NativeJob['feeds']): Promise<Record<string, Float32Array>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, graph, feeds } satisfies NativeJob);
    });
  }

  terminate(): Promise<number> {
    this.dead ??= runtimeError('the native training worker was closed');
    return this.worker.terminate();
  }
}

export class NativePool {
  private constructor(private readonly workers: NativeWorker[]) {}

  static async start(n: number, init: NativeWorkerInit): Promise<NativePool> {
    const workers = await Promise.all(
      Array.from({ length: n }, async () => {
        const w = spawnSiblingWorker(import.meta.url, 'native-worker', init);
        const ready = await new Promise<{ error?: { message: string } }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', (e) =>
            reject(
              runtimeError(
                `a native training worker thread failed to start: ${e.message}`,
                'run with workers: 1 to train on one thread',
                e,
              ),
            ),
          );
        });
        if (ready.error) {
          await w.terminate();
          throw runtimeError(`a native training worker could not load the graph: ${ready.error.message}`);
        }
        return new NativeWorker(w);
      }),
    );
    return new NativePool(workers);
  }

  run(i: number, graph: NativeJob['graph'], feeds: NativeJob['feeds']): Promise<Record<string, Float32Array>> {
    return this.workers[i].run(graph, feeds);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
