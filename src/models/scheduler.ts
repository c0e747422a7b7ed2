/**
 * The scheduler between callers and a backend. It implements `Policy`, so strategies call it like
 * any policy, and many strategies and problems running at once share backend batches without
 * knowing about each other:
 *
 * - requests with the same sampling parameters wait at most `maxWaitMs` and are merged into one
 *   backend call of at most `maxBatch` requests (dynamic batching as in serving systems);
 * - at most `concurrency` backend calls run at once;
 * - each call has a timeout and is retried with exponential backoff on retryable failures;
 * - deterministic or seeded requests may be answered from a response cache;
 * - usage (tokens, calls, wall time) is accounted per `options.caller`.
 *
 * Seeded sampling stays reproducible: a seeded request at temperature > 0 is only batched with
 * requests of the same generate() call, because a batched sampler's random stream depends on the
 * batch it runs in.
 */
import { runtimeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { ResponseCache, cacheKey, isCacheable, samplingParams } from './cache.js';
import { abortError, withRetry } from './retry.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from './types.js';
import { UsageMeter, type CallerUsage } from './usage.js';
import { validateGenerateOptions, validateRequests } from './validate.js';

export interface SchedulerOptions {
  /** Largest number of requests in one backend call (default: the backend's maxBatch). */
  maxBatch?: number;
  /** How long the first request of a batch waits for company, in ms (default 2). */
  maxWaitMs?: number;
  /** Backend calls in flight at once (default 1: an in-process model uses every core already). */
  concurrency?: number;
  /** Time limit of one backend call in ms (default 120000; 0 = none). */
  timeoutMs?: number;
  /** Retries after a failed or timed-out backend call (default 2). */
  retries?: number;
  /** First backoff delay in ms; doubles per retry (default 200). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Response cache: true for a new one of default size, or a shared instance. Default off. */
  cache?: boolean | ResponseCache;
  /** Seed of the backoff jitter. */
  seed?: number;
  /** Identifier reported as this policy's id (default: the backend's id). */
  id?: string;
}

export interface SchedulerStats {
  batches: number;
  batchedRequests: number;
  largestBatch: number;
  retries: number;
  failedBatches: number;
  /** Requests waiting to be batched plus requests in running batches. */
  pending: number;
}

interface Item {
  request: GenerateRequest;
  options: GenerateOptions;
  resolve: (c: Completion[]) => void;
  reject: (e: unknown) => void;
  settled: boolean;
}

interface Group {
  options: GenerateOptions;
  items: Item[];
  timer?: NodeJS.Timeout;
}

const DEFAULT_CALLER = 'default';

export class Scheduler implements Policy {
  readonly id: string;
  readonly capabilities: PolicyCapabilities;
  readonly usage = new UsageMeter();
  readonly cache?: ResponseCache;
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly rng: Rng;
  private readonly groups = new Map<string, Group>();
  private running = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private callCounter = 0;
  private closed = false;
  private readonly counters = { batches: 0, batchedRequests: 0, largestBatch: 0, retries: 0, failedBatches: 0, inBatches: 0 };

  constructor(readonly backend: Policy, o: SchedulerOptions = {}) {
    this.id = o.id ?? backend.id;
    this.maxBatch = Math.max(1, o.maxBatch ?? backend.capabilities.maxBatch);
    this.maxWaitMs = Math.max(0, o.maxWaitMs ?? 2);
    this.concurrency = Math.max(1, o.concurrency ?? 1);
    this.timeoutMs = o.timeoutMs ?? 120_000;
    this.retries = Math.max(0, o.retries ?? 2);
    this.backoffMs = o.backoffMs ?? 200;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.rng = new Rng(o.seed ?? 0).fork('scheduler-backoff');
    if (o.cache === true) this.cache = new ResponseCache();
    else if (o.cache instanceof ResponseCache) this.cache = o.cache;
    // The scheduler repeats requests itself when the backend has no native n.
    this.capabilities = { ...backend.capabilities, n: true, maxBatch: this.maxBatch };
  }

  countTokens(text: string): number {
    return this.backend.countTokens ? this.backend.countTokens(text) : Math.ceil(text.length / 4);
  }

  async generate(requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> {
    if (this.closed) throw runtimeError(`model "${this.id}" is shut down`, 'create a new scheduler');
    validateRequests(requests);
    validateGenerateOptions(options);
    const caller = options.caller ?? DEFAULT_CALLER;
    const started = performance.now();
    const callId = ++this.callCounter;
    try {
      const results = await Promise.all(requests.map((r) => this.one(r, options, callId, caller)));
      return results;
    } finally {
      this.usage.recordWall(caller, performance.now() - started);
    }
  }

  /** Usage of one caller, or of all callers with a total. */
  usageOf(caller: string): CallerUsage {
    return this.usage.get(caller);
  }

  stats(): SchedulerStats {
    let waiting = 0;
    for (const g of this.groups.values()) waiting += g.items.length;
    const { inBatches, ...rest } = this.counters;
    return { ...rest, pending: waiting + inBatches };
  }

  /** Sends every waiting batch now, waits for running ones, then closes the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const key of [...this.groups.keys()]) this.flush(key);
    while (this.running > 0 || this.counters.inBatches > 0) await new Promise((r) => setTimeout(r, 5));
    await this.backend.close?.();
  }

  private async one(request: GenerateRequest, options: GenerateOptions, callId: number, caller: string): Promise<Completion[]> {
    const key = this.cache && isCacheable(options) ? cacheKey(this.backend.id, request, options) : undefined;
    if (key) {
      const hit = this.cache!.get(key);
      if (hit) {
        this.usage.recordRequest(caller, hit, true);
        return hit;
      }
    }
    const n = options.n ?? 1;
    let completions: Completion[];
    try {
      if (n > 1 && !this.backend.capabilities.n) {
        // Repeat the request; seeded copies get distinct seeds so they are not identical samples.
        const copies = Array.from({ length: n }, (_, j) => this.enqueue(request, { ...options, n: 1, seed: options.seed === undefined ? undefined : options.seed + j }, callId));
        completions = (await Promise.all(copies)).map((c) => c[0]);
      } else {
        completions = await this.enqueue(request, options, callId);
      }
    } catch (e) {
      this.usage.recordError(caller, 1);
      throw e;
    }
    this.usage.recordRequest(caller, completions, false);
    if (key) this.cache!.set(key, completions);
    return completions;
  }

  private groupKey(options: GenerateOptions, callId: number): string {
    const params = JSON.stringify(samplingParams(options));
    const seededSampling = options.seed !== undefined && (options.temperature ?? 1) > 0;
    return seededSampling ? `${params}#call${callId}` : params;
  }

  private enqueue(request: GenerateRequest, options: GenerateOptions, callId: number): Promise<Completion[]> {
    const key = this.groupKey(options, callId);
    return new Promise<Completion[]>((resolve, reject) => {
      const item: Item = { request, options, resolve, reject, settled: false };
      const signal = options.signal;
      if (signal) {
        if (signal.aborted) return reject(abortError(signal));
        signal.addEventListener('abort', () => {
          if (item.settled) return;
          item.settled = true;
          const g = this.groups.get(key);
          if (g) g.items = g.items.filter((x) => x !== item);
          reject(abortError(signal));
        }, { once: true });
      }
      let g = this.groups.get(key);
      if (!g) {
        g = { options, items: [] };
        this.groups.set(key, g);
      }
      g.items.push(item);
      if (g.items.length >= this.maxBatch || this.maxWaitMs === 0) this.flush(key);
      else if (!g.timer) g.timer = setTimeout(() => this.flush(key), this.maxWaitMs);
    });
  }

  /** Sends the waiting requests of one group as batches of at most maxBatch. */
  private flush(key: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    if (g.timer) clearTimeout(g.timer);
    this.groups.delete(key);
    const items = g.items.filter((x) => !x.settled);
    for (let i = 0; i < items.length; i += this.maxBatch) void this.dispatch(items.slice(i, i + this.maxBatch), g.options);
  }

  private async acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    // The releasing call handed its slot over; `running` is unchanged.
  }

  private release(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.running--;
  }

  private async dispatch(items: Item[], options: GenerateOptions): Promise<void> {
    this.counters.inBatches += items.length;
    await this.acquire();
    try {
      const live = items.filter((x) => !x.settled);
      if (live.length === 0) return;
      this.counters.batches++;
      this.counters.batchedRequests += live.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, live.length);
      const { signal: _s, caller: _c, ...backendOptions } = options;
      try {
        const out = await withRetry((signal) => this.backend.generate(live.map((x) => x.request), { ...backendOptions, signal }), {
          retries: this.retries,
          backoffMs: this.backoffMs,
          maxBackoffMs: this.maxBackoffMs,
          timeoutMs: this.timeoutMs,
          rng: this.rng,
          onRetry: () => this.counters.retries++,
        });
        if (!Array.isArray(out) || out.length !== live.length) {
          throw runtimeError(`backend "${this.backend.id}" returned ${Array.isArray(out) ? out.length : 'no'} results for ${live.length} requests`, 'this is a bug in the backend');
        }
        live.forEach((x, i) => {
          if (x.settled) return;
          x.settled = true;
          x.resolve(out[i]);
        });
      } catch (e) {
        this.counters.failedBatches++;
        for (const x of live) {
          if (x.settled) continue;
          x.settled = true;
          x.reject(e);
        }
      }
    } finally {
      this.release();
      this.counters.inBatches -= items.length;
    }
  }
}
