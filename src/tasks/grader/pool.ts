/**
 * MathGrader: grading with a time limit per comparison. compute-engine is synchronous and some
 * inputs (huge powers, deep nesting) can run for a long time, so the symbolic check runs in worker
 * threads; a comparison that passes the limit is answered `timedOut: true, verdict: 'unparseable'` and its
 * worker is terminated and replaced. Cheap checks (strings, letters, plain numbers) never leave the
 * calling thread. Idle workers are unref'd so they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import {
  type Decision,
  type GradeOptions,
  type GradeResult,
  type PreparedPair,
  decidePair,
  fallbackPair,
  fellBack,
  preparePair,
} from './grade.js';

interface Job {
  id: number;
  pair: PreparedPair;
  resolve: (r: Decision) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded compute-engine; the time limit starts only then. */
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from source (tsx, vitest): the worker needs the TypeScript loader too.
    const url = new URL('./ce-worker.ts', here).href;
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); }).catch((e) => { console.error(e); process.exit(1); });`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL('./ce-worker.js', here));
}

export interface MathGraderOptions extends GradeOptions {
  /** Worker threads (default 1). */
  workers?: number;
}

export class MathGrader {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  readonly timeoutMs: number;
  readonly size: number;

  constructor(private readonly options: MathGraderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.size = Math.max(1, options.workers ?? 1);
  }

  /** Grades one pair; never throws for bad input, never runs past the time limit by much. */
  async grade(gold: string, pred: string, options: GradeOptions = {}): Promise<GradeResult> {
    const t0 = performance.now();
    const pair = preparePair(gold, pred, { ...this.options, ...options });
    const decide = async (p: PreparedPair) => decidePair(p, false) ?? (await this.runSymbolic(p));
    let verdict = await decide(pair);
    let used = pair;
    const next = fallbackPair(pair, verdict);
    if (next) {
      const again = await decide(next);
      if (again.verdict !== 'unparseable') [verdict, used] = [fellBack(again), next];
    }
    return { ...verdict, gold: used.gold, pred: used.pred, ms: performance.now() - t0 };
  }

  private runSymbolic(pair: PreparedPair): Promise<Decision> {
    if (this.closed) return Promise.resolve({ correct: false, verdict: 'unparseable', reason: 'grader is closed' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, pair, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (this.slots.length < this.size && !this.slots.some((s) => s.job === null)) this.addSlot();
      const slot = this.slots.find((s) => s.ready && s.job === null);
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => this.timeOut(slot), this.timeoutMs);
      slot.worker.postMessage({ id: job.id, pair: job.pair });
    }
  }

  private addSlot(): Slot {
    const slot: Slot = { worker: spawnWorker(), ready: false, job: null, timer: null };
    // Keep the process alive while the worker starts up with jobs waiting.
    slot.worker.ref();
    slot.worker.on('message', (msg: { id?: number; ready?: boolean; result?: Decision }) => {
      if (msg.ready) {
        slot.ready = true;
        slot.worker.unref();
        this.pump();
        return;
      }
      if (!slot.job || slot.job.id !== msg.id || !msg.result) return;
      this.finish(slot, msg.result);
    });
    slot.worker.on('error', (e) => {
      if (!slot.ready) return this.failStart(slot, e.message);
      this.replace(slot, { correct: false, verdict: 'unparseable', reason: `grader worker failed: ${e.message}` });
    });
    slot.worker.on('exit', () => {
      if (!slot.ready) return this.failStart(slot, 'it exited during start-up');
      if (slot.job) this.replace(slot, { correct: false, verdict: 'unparseable', reason: 'grader worker exited' });
    });
    this.slots.push(slot);
    return slot;
  }

  /** A worker that cannot even start would fail forever: answer the waiting jobs instead of respawning. */
  private failStart(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    for (const job of this.queue.splice(0))
      job.resolve({ correct: false, verdict: 'unparseable', reason: `grader worker failed to start: ${why}` });
  }

  private finish(slot: Slot, result: Decision): void {
    if (slot.timer) clearTimeout(slot.timer);
    const job = slot.job!;
    slot.job = null;
    slot.timer = null;
    slot.worker.unref();
    job.resolve(result);
    this.pump();
  }

  private timeOut(slot: Slot): void {
    this.replace(slot, {
      correct: false,
      verdict: 'unparseable',
      reason: `comparison took longer than ${this.timeoutMs} ms`,
      timedOut: true,
    });
  }

  /** Resolves the slot's job, kills its worker and removes the slot (a new one is made on demand). */
  private replace(slot: Slot, result: Decision): void {
    const job = slot.job;
    slot.job = null;
    if (slot.timer) clearTimeout(slot.timer);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
    if (job) job.resolve(result);
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ correct: false, verdict: 'unparseable', reason: 'grader is closed' });
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}

let shared: MathGrader | null = null;
/** A process-wide grader (one worker, 5 s limit) for task verifiers. */
export function sharedMathGrader(): MathGrader {
  shared ??= new MathGrader({ workers: 1, timeoutMs: 5000 });
  return shared;
}
