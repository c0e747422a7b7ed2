/**
 * `WorkerPolicy`: an embedded model in a worker thread behind the Policy interface.
 *
 * onnxruntime-node runs `session.run` synchronously on the JS thread that calls it, so an
 * in-process model blocks everything else on that thread while it decodes: HTTP parsing in
 * `rlmkit serve`, or the search logic of strategies. In a worker thread, model compute and that
 * work run on different cores. Requests and completions cross the thread boundary as structured
 * clones (small next to a decode); an AbortSignal cannot cross, so cancellation only drops the
 * answer.
 */
import type { Worker } from 'node:worker_threads';
import { spawnSiblingWorker } from '../core/worker.js';
import { RlmkitError, runtimeError } from '../core/errors.js';
import type { ModelConfig } from '../engine/config.js';
import { tokenizerFromSpec, type Tokenizer } from '../engine/tokenizer.js';
import type { EmbeddedModelSource, EmbeddedOptions } from './embedded.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from './types.js';
import { validateGenerateOptions, validateRequests } from './validate.js';

interface WireError {
  message: string;
  kind?: RlmkitError['kind'];
  hint?: string;
}

function revive(e: WireError): RlmkitError {
  return new RlmkitError(e.message, { kind: e.kind ?? 'model', hint: e.hint });
}

/** The worker: embedded-worker.js next to this file (or its .ts source under tsx / vitest). */
function spawnWorker(workerData: unknown): Worker {
  return spawnSiblingWorker(import.meta.url, 'embedded-worker', workerData);
}

export class WorkerPolicy implements Policy {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: PolicyCapabilities;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private dead?: Error;

  private constructor(
    private readonly worker: Worker,
    ready: { id: string; capabilities: PolicyCapabilities; config: ModelConfig; tokenizer: unknown },
  ) {
    this.id = ready.id;
    this.capabilities = ready.capabilities;
    this.config = ready.config;
    this.tokenizer = tokenizerFromSpec(ready.tokenizer);
    worker.on('message', (m: { id: number; result?: unknown; error?: WireError }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(revive(m.error));
      else p.resolve(m.result);
    });
    const fail = (e: Error) => {
      this.dead = runtimeError(`the model worker stopped: ${e.message}`, 'restart the command; run with --debug for details', e);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /** Starts a worker that loads `file` (a checkpoint) or an in-memory model source. */
  static async start(what: { file: string } | { source: EmbeddedModelSource }, options: EmbeddedOptions = {}): Promise<WorkerPolicy> {
    const workerData =
      'file' in what ? { file: what.file, options } : { source: { ...what.source, tokenizer: what.source.tokenizer.spec() }, options };
    const worker = spawnWorker(workerData);
    const ready = await new Promise<{
      id: string;
      capabilities: PolicyCapabilities;
      config: ModelConfig;
      tokenizer: unknown;
      error?: WireError;
    }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', (e) =>
        reject(runtimeError(`the model worker failed to start: ${e.message}`, 'run with --debug for details', e)),
      );
    });
    if (ready.error) {
      await worker.terminate();
      throw revive(ready.error);
    }
    return new WorkerPolicy(worker, ready);
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  async generate(requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> {
    validateRequests(requests);
    validateGenerateOptions(options);
    const { signal, ...rest } = options;
    if (signal?.aborted) throw Object.assign(new Error('the request was cancelled'), { name: 'AbortError' });
    return this.call<Completion[][]>({ kind: 'generate', requests, options: rest });
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call({ kind: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}
