/**
 * The JavaScript sandbox: QuickJS in WebAssembly (js-engine.ts), run in worker threads so a
 * program never blocks the caller's event loop. Each worker thread has its own V8 heap and stack
 * limits; a run that outlives its deadline by GRACE_MS (a guest stuck where the interrupt handler
 * cannot reach it) has its thread terminated and is reported as `timeout`, and a thread that dies
 * (its heap limit, a crash) ends the run as `killed`/`crashed`; a fresh thread replaces it. Runs
 * never report a pass unless the program and every test finished inside the limits.
 */
import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnSiblingWorker } from '../../core/worker.js';
import type { JavaScriptProgram } from './js-engine.js';
import { type ExecutionResult, type SandboxLimits, resolveLimits } from './limits.js';

export type { JavaScriptProgram } from './js-engine.js';

/** How long past its deadline a run may take before its thread is terminated from outside. */
export const GRACE_MS = 2000;
/** Heap and stack of each sandbox thread (the guest's own memory is the WebAssembly module's, outside this heap). */
const THREAD_LIMITS = { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 32, stackSizeMb: 16 };

interface Slot {
  worker: Worker;
  ready: Promise<void>;
}

const maxThreads = Math.max(1, Number(process.env.RLMKIT_SANDBOX_CONCURRENCY) || os.cpus().length || 1);
const idle: Slot[] = [];
let live = 0;
const waiting: Array<(s: Slot) => void> = [];
let nextId = 0;

function newSlot(): Slot {
  const worker = spawnSiblingWorker(import.meta.url, 'js-worker', null, THREAD_LIMITS);
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean }) => {
      if (m?.ready) {
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  ready.catch(() => undefined);
  live++;
  const slot = { worker, ready };
  // A thread that dies while idle leaves the pool (a busy one is handled by its run).
  worker.once('exit', () => {
    const at = idle.indexOf(slot);
    if (at >= 0) {
      idle.splice(at, 1);
      live--;
    }
  });
  return slot;
}

async function acquire(): Promise<Slot> {
  const slot = idle.pop() ?? (live < maxThreads ? newSlot() : await new Promise<Slot>((resolve) => waiting.push(resolve)));
  slot.worker.ref();
  // Keep one thread starting in the background while there is room, so a run that arrives while
  // this one is busy does not pay a thread's start-up (about a second from the TypeScript sources).
  if (idle.length === 0 && live < maxThreads) {
    const spare = newSlot();
    spare.worker.unref();
    idle.push(spare);
  }
  return slot;
}

function release(slot: Slot, healthy: boolean): void {
  if (!healthy) {
    live--;
    void slot.worker.terminate();
    const next = waiting.shift();
    if (next) next(newSlot());
    return;
  }
  const next = waiting.shift();
  if (next) return next(slot);
  slot.worker.unref();
  idle.push(slot);
}

function failure(status: ExecutionResult['status'], error: string, wallMs: number): ExecutionResult {
  return {
    passed: false,
    status,
    tests: [],
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    exitCode: null,
    signal: null,
    error,
    usage: { wallMs, cpuMs: null, maxRssKb: null, memoryBytes: null },
  };
}

export async function runJavaScript(js: JavaScriptProgram, options: { limits?: Partial<SandboxLimits> } = {}): Promise<ExecutionResult> {
  const limits = resolveLimits(options.limits);
  const slot = await acquire();
  try {
    await slot.ready;
  } catch (e) {
    release(slot, false);
    return failure('crashed', `the JavaScript sandbox thread did not start: ${(e as Error).message}`, 0);
  }
  const id = ++nextId;
  const t0 = performance.now();
  return new Promise<ExecutionResult>((resolve) => {
    let settled = false;
    const finish = (result: ExecutionResult, healthy: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      slot.worker.off('message', onMessage);
      slot.worker.off('error', onError);
      slot.worker.off('exit', onExit);
      release(slot, healthy);
      resolve(result);
    };
    const onMessage = (m: { id?: number; result?: ExecutionResult; failure?: string }) => {
      if (m?.id !== id) return;
      finish(m.result ?? failure('crashed', `the JavaScript engine failed: ${m.failure}`, performance.now() - t0), m.result !== undefined);
    };
    const onError = (e: Error & { code?: string }) => {
      const wall = performance.now() - t0;
      finish(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failure('killed', 'the sandbox thread reached its heap limit', wall)
          : failure('crashed', `the sandbox thread failed: ${e.message}`, wall),
        false,
      );
    };
    const onExit = () => finish(failure('crashed', 'the sandbox thread exited', performance.now() - t0), false);
    const timer = setTimeout(() => {
      finish(
        failure('timeout', `time limit of ${limits.timeoutMs} ms reached (the run was stopped from outside)`, performance.now() - t0),
        false,
      );
    }, limits.timeoutMs + GRACE_MS);
    slot.worker.on('message', onMessage);
    slot.worker.on('error', onError);
    slot.worker.on('exit', onExit);
    slot.worker.postMessage({ id, js, limits });
  });
}
