/**
 * Worker-thread side of data-parallel training (./grad-pool.ts): its own jax-js runtime and its own
 * jit-compiled gradient function (./grad.ts). Each job brings the current parameters and some
 * micro-batches and gets back their losses, metrics and gradients as host float32 arrays.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isRlmkitError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import { weightShapes } from './config.js';
import { GradComputer } from './grad.js';
import { loadLoss, type LossSource } from './loss-info.js';
import type { Params } from './model.js';
import { ensureRuntime } from './runtime.js';
import { type DType, disposeTree, fromHost, toHostSync } from './tensor.js';
import type { TrainBatch } from './train-types.js';

export interface GradWorkerInit {
  config: ModelConfig;
  dtype: DType;
  microBatchRows: number;
  seqLen: number;
  temperature: number;
  loss: LossSource;
}

export interface GradJob {
  id: number;
  /** Parameters in weightShapes(config) order. */
  params: Float32Array[];
  batches: TrainBatch[];
}

export interface GradJobResult {
  loss: number;
  metrics: Record<string, number>;
  /** Gradients in weightShapes(config) order. */
  grads: Float32Array[];
}

async function main(): Promise<void> {
  const init = workerData as GradWorkerInit;
  let computer: GradComputer;
  try {
    await ensureRuntime();
    computer = new GradComputer(init.config, init.dtype, init.microBatchRows, init.seqLen, await loadLoss(init.loss), init.temperature);
  } catch (e) {
    parentPort!.postMessage({ kind: 'ready', error: wireError(e) });
    return;
  }
  const shapes = weightShapes(init.config);
  parentPort!.postMessage({ kind: 'ready' });
  parentPort!.on('message', (job: GradJob) => {
    let params: Params | undefined;
    try {
      params = Object.fromEntries(shapes.map(([name, shape], i) => [name, fromHost(job.params[i], shape, init.dtype)]));
      const results: GradJobResult[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const b of job.batches) {
        const { loss, metrics, grads } = computer.grad(params, b);
        const host = shapes.map(([name]) => {
          const d = toHostSync(grads[name].ref);
          return d instanceof Float32Array ? d.slice() : Float32Array.from(d);
        });
        disposeTree(grads);
        host.forEach((h) => transfer.push(h.buffer as ArrayBuffer));
        results.push({ loss, metrics, grads: host });
      }
      parentPort!.postMessage({ id: job.id, results }, transfer);
    } catch (e) {
      parentPort!.postMessage({ id: job.id, error: wireError(e) });
    } finally {
      if (params) disposeTree(params);
    }
  });
}

function wireError(e: unknown) {
  return {
    message: (e as Error)?.message ?? String(e),
    kind: isRlmkitError(e) ? e.kind : undefined,
    hint: isRlmkitError(e) ? e.hint : undefined,
  };
}

void main();
