/**
 * Worker-thread side of `WorkerPolicy` (./worker-policy.ts): loads an embedded model and answers
 * generate calls posted by the main thread. onnxruntime-node runs inference synchronously on the
 * thread that calls it, so a model in this worker leaves the main thread free for HTTP and search.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EmbeddedPolicy, type EmbeddedModelSource, type EmbeddedOptions } from './embedded.js';
import { tokenizerFromSpec } from '../engine/tokenizer.js';
import type { GenerateOptions, GenerateRequest } from './types.js';
import { isRlmkitError } from '../core/errors.js';

interface Init {
  file?: string;
  source?: Omit<EmbeddedModelSource, 'tokenizer'> & { tokenizer: unknown };
  options: EmbeddedOptions;
}

type Message = { id: number; kind: 'generate'; requests: GenerateRequest[]; options: GenerateOptions } | { id: number; kind: 'close' };

async function main(): Promise<void> {
  const init = workerData as Init;
  let policy: EmbeddedPolicy;
  try {
    policy = init.file
      ? await EmbeddedPolicy.load(init.file, init.options)
      : await EmbeddedPolicy.fromSource({ ...init.source!, tokenizer: tokenizerFromSpec(init.source!.tokenizer) }, init.options);
  } catch (e) {
    parentPort!.postMessage({ kind: 'ready', error: serialiseError(e) });
    return;
  }
  parentPort!.postMessage({
    kind: 'ready',
    id: policy.id,
    capabilities: policy.capabilities,
    config: policy.config,
    tokenizer: policy.tokenizer.spec(),
  });
  parentPort!.on('message', async (m: Message) => {
    if (m.kind === 'close') {
      await policy.close();
      parentPort!.postMessage({ id: m.id, result: null });
      return;
    }
    try {
      parentPort!.postMessage({ id: m.id, result: await policy.generate(m.requests, m.options) });
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: serialiseError(e) });
    }
  });
}

function serialiseError(e: unknown) {
  return {
    message: (e as Error)?.message ?? String(e),
    kind: isRlmkitError(e) ? e.kind : undefined,
    hint: isRlmkitError(e) ? e.hint : undefined,
  };
}

void main();
