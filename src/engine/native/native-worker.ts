/**
 * Worker-thread side of the native engine's data parallelism (./native-pool.ts). onnxruntime-node
 * runs a session on the JavaScript thread that calls it, so concurrent chunks need threads of their
 * own: each worker holds one-thread sessions of the same graphs and runs the chunks it is sent.
 * Weights arrive as structured-clone copies (onnxruntime-node refuses SharedArrayBuffer views);
 * outputs go back transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { sessionOptions } from './session-options.js';

export interface NativeWorkerInit {
  train: Uint8Array;
  forward: Uint8Array;
}

export interface NativeJob {
  id: number;
  graph: 'train' | 'forward';
  /** Every graph input: float32 weights and upstream gradients, int64 tokens/targets. */
  feeds: Record<string, { type: 'float32' | 'int64'; data: Float32Array | BigInt64Array; dims: number[] }>;
}

async function main(): Promise<void> {
  const init = workerData as NativeWorkerInit;
  let sessions: Record<'train' | 'forward', ort.InferenceSession>;
  try {
    sessions = {
      train: await ort.InferenceSession.create(init.train, sessionOptions(1)),
      forward: await ort.InferenceSession.create(init.forward, sessionOptions(1)),
    };
  } catch (e) {
    parentPort!.postMessage({ kind: 'ready', error: { message: (e as Error).message } });
    return;
  }
  parentPort!.postMessage({ kind: 'ready' });
  parentPort!.on('message', (job: NativeJob) => {
    void (async () => {
      try {
        const s = sessions[job.graph];
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of s.inputNames) {
          const f = job.feeds[name];
          feeds[name] = new ort.Tensor(f.type, f.data, f.dims);
        }
        const res = await s.run(feeds);
        const out: Record<string, Float32Array> = {};
        const transfer: ArrayBuffer[] = [];
        for (const [k, t] of Object.entries(res)) {
          const d = t.data as Float32Array;
          out[k] = d;
          transfer.push(d.buffer as ArrayBuffer);
        }
        parentPort!.postMessage({ id: job.id, out }, transfer);
      } catch (e) {
        parentPort!.postMessage({ id: job.id, error: { message: (e as Error).message } });
      }
    })();
  });
}

void main();
