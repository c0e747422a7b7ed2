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
 * batch it runs in. An unseeded sampled batch gets a fresh random seed, so repeats differ.
 *
 * Fairness (a server shares one scheduler among many clients): requests belong to a *flow*
 * (`options.flow`, else the caller). When a backend slot frees, the ready group whose head flow
 * was served longest ago goes (a flow never served goes first), and a batch takes requests
 * round-robin over the flows waiting in its group, least recently served first; a request with
 * more rows (n) than a batch holds (`maxRows`) is split into turns.
 * So a small request waits for at most the batches already running, never behind another flow's
 * whole queue (deficit-free round robin over flows, as in fair queuing, Demers et al. 1989).
 *
 * Cancellation: a generate() call's `signal` removes its waiting requests at once, and a running
 * backend call whose requests were all cancelled is aborted too.
 */
import { randomInt } from 'node:crypto';
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
  /**
   * Largest number of sampled rows (requests x n) in one backend call (default: the larger of
   * maxBatch and the backend's maxBatch). Smaller batches are shorter turns: a server sets it to
   * maxBatch so that no request waits long behind another's rows.
   */
  maxRows?: number;
  /** How long the first request of a batch waits for company, in ms (default 2). */
  maxWaitMs?: number;
  /**
   * When usually k > 1 requests of the same parameters are outstanding at once, a batch waits up
   * to this long (ms) for k of them before it goes (default 25). 1-client traffic never waits.
   */
  maxFillWaitMs?: number;
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
  /**
   * Wall time of finished backend calls in ms, summed over calls that overlap. Its growth over
   * `concurrency` x elapsed time is how busy the backend slots were.
   */
  backendBusyMs: number;
}

interface Item {
  request: GenerateRequest;
  options: GenerateOptions;
  resolve: (c: Completion[]) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  /** Who shares fairly (see the file comment). */
  flow: string;
  /** Sampled rows this item costs (its n). */
  rows: number;
  /** The running batch it is in, once dispatched. */
  batch?: RunningBatch;
}

interface RunningBatch {
  items: Item[];
  ctl: AbortController;
}

interface Group {
  options: GenerateOptions;
  items: Item[];
  timer?: NodeJS.Timeout;
  /** Waited long enough (or is full): goes out as soon as a backend slot is free. */
  ready: boolean;
  immediate?: NodeJS.Immediate;
  /** When a ready group smaller than the usual crowd stops waiting for it. */
  fillDeadline?: number;
  fillTimer?: NodeJS.Timeout;
}

interface LoadTracker {
  /** Requests enqueued and not yet answered. */
  outstanding: number;
  /** Largest `outstanding` since the last batch of this parameter set was sent. */
  peak: number;
  /** `peak` of the last 8 batches. */
  recentPeaks: number[];
  /** Requests of this parameter set in batches the backend is running. */
  running: number;
}

/** The group key without the per-call suffix of seeded sampling. */
function baseKey(key: string): string {
  const i = key.indexOf('#call');
  return i < 0 ? key : key.slice(0, i);
}

const DEFAULT_CALLER = 'default';
/** Distinct callers accounted separately; later ones share OTHER_CALLERS. */
const MAX_CALLERS = 4096;
const OTHER_CALLERS = 'other';

/**
 * Temperatures below this sample greedily: dividing logits by a subnormal temperature overflows
 * to Infinity (NaN probabilities), and at 1e-6 any logit gap a float32 model can express already
 * gives the top token all the mass.
 */
export const MIN_SAMPLING_TEMPERATURE = 1e-6;

/** Requests queued per event-loop turn by one generate() call. */
const ENQUEUE_SLICE = 64;

export class Scheduler implements Policy {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
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
  /** Keys of groups whose batching wait is over, in the order they became ready. */
  private readonly readyOrder: string[] = [];
  /** Outstanding requests per parameter set (see expected()). */
  private readonly load = new Map<string, LoadTracker>();
  private readonly maxFillWaitMs: number;
  private callCounter = 0;
  private closed = false;
  /** Largest number of sampled rows (requests x n) in one backend call. */
  private readonly maxRows: number;
  /** Per flow: outstanding items, and when it was last served (fairness order). */
  private readonly flows = new Map<string, { outstanding: number; servedAt: number }>();
  private serveSeq = 0;
  /** Callers with their own usage account (bounded: see accountAs). */
  private readonly callers = new Set<string>();
  private readonly counters = {
    batches: 0,
    batchedRequests: 0,
    largestBatch: 0,
    retries: 0,
    failedBatches: 0,
    inBatches: 0,
    backendBusyMs: 0,
  };

  constructor(
    readonly backend: Policy,
    o: SchedulerOptions = {},
  ) {
    this.id = o.id ?? backend.id;
    this.maxBatch = Math.max(1, o.maxBatch ?? backend.capabilities.maxBatch);
    this.maxRows = Math.max(1, o.maxRows ?? Math.max(this.maxBatch, backend.capabilities.maxBatch || this.maxBatch));
    this.maxWaitMs = Math.max(0, o.maxWaitMs ?? 2);
    this.maxFillWaitMs = Math.max(this.maxWaitMs, o.maxFillWaitMs ?? 25);
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
    const t = options.temperature;
    if (t !== undefined && t > 0 && t < MIN_SAMPLING_TEMPERATURE) options = { ...options, temperature: 0 };
    const caller = this.accountAs(options.caller ?? DEFAULT_CALLER);
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    const started = performance.now();
    const callId = ++this.callCounter;
    // One abort listener per call (not per request): it settles every request of this call.
    const mine: Item[] = [];
    const onAbort = () => this.cancel(mine, abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // A call of thousands of requests is queued a slice at a time, yielding between slices, so
      // that queuing it (about 40 µs a request) never stalls the event loop for other clients.
      const pending: Promise<Completion[]>[] = [];
      for (let i = 0; i < requests.length; i += ENQUEUE_SLICE) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        if (signal?.aborted) break;
        for (const r of requests.slice(i, i + ENQUEUE_SLICE)) pending.push(this.one(r, options, callId, caller, mine));
      }
      const results = await Promise.all(pending);
      if (results.length < requests.length) throw abortError(signal);
      return results;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.usage.recordWall(caller, performance.now() - started);
    }
  }

  /** Settles cancelled items, drops them from their groups and aborts batches nobody waits for. */
  private cancel(items: Item[], error: Error): void {
    const touched = new Set<RunningBatch>();
    for (const item of items) {
      if (item.settled) continue;
      item.settled = true;
      item.reject(error);
      if (item.batch) touched.add(item.batch);
    }
    for (const g of this.groups.values()) if (g.items.some((x) => x.settled)) g.items = g.items.filter((x) => !x.settled);
    for (const b of touched) if (b.items.every((x) => x.settled)) b.ctl.abort(error);
    this.pump();
  }

  /**
   * The name usage is accounted under: the caller's own for the first MAX_CALLERS callers, then
   * "other", so clients that send a new `user` with every request cannot grow memory without bound.
   */
  private accountAs(caller: string): string {
    if (this.callers.has(caller)) return caller;
    if (this.callers.size >= MAX_CALLERS) return OTHER_CALLERS;
    this.callers.add(caller);
    return caller;
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

  private async one(
    request: GenerateRequest,
    options: GenerateOptions,
    callId: number,
    caller: string,
    mine: Item[],
  ): Promise<Completion[]> {
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
        const copies = Array.from({ length: n }, (_, j) =>
          this.enqueue(request, { ...options, n: 1, seed: options.seed === undefined ? undefined : options.seed + j }, callId, mine),
        );
        completions = (await Promise.all(copies)).map((c) => c[0]);
      } else if (n > this.maxRows) {
        // More rows than one backend call holds: split, so the request shares batches fairly.
        const parts: Promise<Completion[]>[] = [];
        for (let at = 0, k = 0; at < n; at += this.maxRows, k++) {
          const rows = Math.min(this.maxRows, n - at);
          parts.push(
            this.enqueue(request, { ...options, n: rows, seed: options.seed === undefined ? undefined : options.seed + k }, callId, mine),
          );
        }
        completions = (await Promise.all(parts)).flat();
      } else {
        completions = await this.enqueue(request, options, callId, mine);
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

  private enqueue(request: GenerateRequest, options: GenerateOptions, callId: number, mine: Item[]): Promise<Completion[]> {
    const key = this.groupKey(options, callId);
    const load = this.loadOf(baseKey(key));
    const flowName = options.flow ?? options.caller ?? DEFAULT_CALLER;
    return new Promise<Completion[]>((resolve, reject) => {
      const flow = this.flows.get(flowName) ?? { outstanding: 0, servedAt: 0 };
      this.flows.set(flowName, flow);
      const done = () => {
        load.outstanding--;
        if (--flow.outstanding === 0) this.flows.delete(flowName);
      };
      const item: Item = {
        request,
        options,
        settled: false,
        flow: flowName,
        rows: options.n ?? 1,
        resolve: (c) => (done(), resolve(c)),
        reject: (e) => (done(), reject(e)),
      };
      load.outstanding++;
      flow.outstanding++;
      load.peak = Math.max(load.peak, load.outstanding);
      mine.push(item);
      if (options.signal?.aborted) {
        item.settled = true;
        return item.reject(abortError(options.signal));
      }
      let g = this.groups.get(key);
      if (!g) {
        g = { options, items: [], ready: false };
        this.groups.set(key, g);
      }
      g.items.push(item);
      if (g.ready) return this.pump();
      if (g.items.length >= this.maxBatch) return this.flush(key);
      if (g.timer || g.immediate) return;
      // Requests of this same tick always join; then wait maxWaitMs for company.
      if (this.maxWaitMs === 0 || g.items.length >= this.expected(key)) g.immediate = setImmediate(() => this.flush(key));
      else g.timer = setTimeout(() => this.flush(key), this.maxWaitMs);
    });
  }

  /**
   * The next batch of a group: round-robin over its flows, least recently served first, up to
   * maxBatch requests and maxRows rows (the first request always goes).
   */
  private takeFair(live: Item[]): { batch: Item[]; rest: Item[] } {
    const queues = new Map<string, Item[]>();
    for (const x of live) {
      const q = queues.get(x.flow);
      if (q) q.push(x);
      else queues.set(x.flow, [x]);
    }
    if (queues.size === 1 && live.every((x) => x.rows === 1)) {
      const flow = this.flows.get(live[0].flow);
      if (flow) flow.servedAt = ++this.serveSeq;
      return { batch: live.slice(0, this.maxBatch), rest: live.slice(this.maxBatch) };
    }
    const order = [...queues.keys()].sort((a, b) => (this.flows.get(a)?.servedAt ?? 0) - (this.flows.get(b)?.servedAt ?? 0));
    const batch: Item[] = [];
    let rows = 0;
    let added = true;
    while (added && batch.length < this.maxBatch) {
      added = false;
      for (const f of order) {
        const q = queues.get(f)!;
        if (q.length === 0) continue;
        if (batch.length > 0 && rows + q[0].rows > this.maxRows) continue;
        const x = q.shift()!;
        batch.push(x);
        rows += x.rows;
        added = true;
        if (batch.length >= this.maxBatch) break;
      }
    }
    for (const x of batch) {
      const flow = this.flows.get(x.flow);
      if (flow) flow.servedAt = ++this.serveSeq;
    }
    const taken = new Set(batch);
    return { batch, rest: live.filter((x) => !taken.has(x)) };
  }

  private loadOf(key: string): LoadTracker {
    let l = this.load.get(key);
    if (!l) {
      l = { outstanding: 0, peak: 0, recentPeaks: [], running: 0 };
      this.load.set(key, l);
    }
    return l;
  }

  /**
   * How many requests of these parameters are usually outstanding at once: the largest peak over
   * the last 8 batches. Callers in a steady loop (search workers, HTTP clients) come back in
   * about that number, but spread over a few milliseconds when they go through a network stack.
   * Without waiting for them, a full crowd splits into two half batches that then alternate for
   * ever (one runs while the other gathers).
   */
  private expected(key: string): number {
    const l = this.load.get(baseKey(key));
    if (!l) return 1;
    // Requests in running batches cannot join this one: with two batches in flight, the other
    // half of the crowd is busy, and this batch should go without waiting for it.
    return Math.max(1, Math.min(this.maxBatch, Math.max(l.peak, ...l.recentPeaks) - l.running));
  }

  /**
   * Marks a group ready to send. Its batch is cut only when a backend slot is free, so requests
   * that arrive while the backend is busy join the next batch instead of forming small ones
   * (continuous batching, as in Orca, Yu et al. 2022, at request granularity).
   */
  private flush(key: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    if (g.timer) clearTimeout(g.timer);
    if (g.immediate) clearImmediate(g.immediate);
    g.timer = undefined;
    g.immediate = undefined;
    if (!g.ready) {
      g.ready = true;
      this.readyOrder.push(key);
    }
    this.pump();
  }

  /**
   * May a ready group go now? Yes when it holds the usual crowd, else once it has waited
   * maxFillWaitMs since a slot could first have taken it.
   */
  private mayGo(g: Group, size: number): boolean {
    if (size >= this.maxBatch || size >= this.expectedOf(g)) return true;
    const now = performance.now();
    g.fillDeadline ??= now + this.maxFillWaitMs;
    if (now >= g.fillDeadline) return true;
    g.fillTimer ??= setTimeout(
      () => {
        g.fillTimer = undefined;
        this.pump();
      },
      Math.ceil(g.fillDeadline - now) + 1,
    );
    return false;
  }

  private expectedOf(g: Group): number {
    return this.expected(JSON.stringify(samplingParams(g.options)));
  }

  /** Starts batches while slots are free, oldest ready group first. */
  private pump(): void {
    while (this.running < this.concurrency) {
      // The ready group whose head flow was served longest ago (never served first); ties keep
      // ready order. So a new client's request goes ahead of a search's queued turns, whatever
      // sampling parameters (and hence groups) each uses.
      let picked: { key: string; g: Group; live: Item[]; servedAt: number } | undefined;
      for (let idx = 0; idx < this.readyOrder.length; idx++) {
        const key = this.readyOrder[idx];
        const g = this.groups.get(key);
        // Group items are never settled: cancel() removes them and dispatch takes them out first.
        // (No per-pump filtering: a call of 16k requests would make every enqueue O(n).)
        const live = g ? g.items : [];
        if (!g || live.length === 0) {
          this.readyOrder.splice(idx--, 1);
          if (g) this.dropGroup(key, g);
          continue;
        }
        const servedAt = this.flows.get(live[0].flow)?.servedAt ?? 0;
        if (picked && servedAt >= picked.servedAt) continue;
        if (this.mayGo(g, live.length)) picked = { key, g, live, servedAt };
      }
      if (!picked) return;
      const { key, g, live } = picked;
      const { batch, rest } = this.takeFair(live);
      g.items = rest;
      g.fillDeadline = undefined;
      if (g.fillTimer) clearTimeout(g.fillTimer);
      g.fillTimer = undefined;
      this.readyOrder.splice(this.readyOrder.indexOf(key), 1);
      // A group with requests left goes to the back of the ready order (ties between flows).
      if (g.items.length === 0) this.dropGroup(key, g);
      else this.readyOrder.push(key);
      const load = this.load.get(baseKey(key));
      if (load && !key.includes('#call')) {
        load.recentPeaks = [...load.recentPeaks, load.peak].slice(-8);
        load.peak = load.outstanding;
      }
      this.running++;
      void this.dispatch(batch, g.options, load);
    }
  }

  private dropGroup(key: string, g: Group): void {
    if (g.fillTimer) clearTimeout(g.fillTimer);
    if (g.timer) clearTimeout(g.timer);
    if (g.immediate) clearImmediate(g.immediate);
    this.groups.delete(key);
  }

  /** Runs one batch on the backend (the caller has taken a slot: `running` counts it). */
  private async dispatch(items: Item[], options: GenerateOptions, load?: LoadTracker): Promise<void> {
    this.counters.inBatches += items.length;
    if (load) load.running += items.length;
    try {
      const live = items.filter((x) => !x.settled);
      if (live.length === 0) return;
      this.counters.batches++;
      this.counters.batchedRequests += live.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, live.length);
      const { signal: _s, caller: _c, flow: _f, ...backendOptions } = options;
      const running: RunningBatch = { items: live, ctl: new AbortController() };
      for (const x of live) x.batch = running;
      // Unseeded sampling gets a fresh seed per batch: backends that default to a fixed seed would
      // otherwise return the same "sample" for the same prompt every time.
      if (backendOptions.seed === undefined && (backendOptions.temperature ?? 1) > 0) backendOptions.seed = randomInt(0x7fffffff);
      const started = performance.now();
      try {
        const out = await withRetry(
          (signal) =>
            this.backend.generate(
              live.map((x) => x.request),
              { ...backendOptions, signal },
            ),
          {
            signal: running.ctl.signal,
            retries: this.retries,
            backoffMs: this.backoffMs,
            maxBackoffMs: this.maxBackoffMs,
            timeoutMs: this.timeoutMs,
            rng: this.rng,
            onRetry: () => this.counters.retries++,
          },
        );
        if (!Array.isArray(out) || out.length !== live.length) {
          throw runtimeError(
            `backend "${this.backend.id}" returned ${Array.isArray(out) ? out.length : 'no'} results for ${live.length} requests`,
            'this is a bug in the backend',
          );
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
      this.counters.backendBusyMs += performance.now() - started;
    } finally {
      this.running--;
      this.counters.inBatches -= items.length;
      if (load) load.running -= items.length;
      this.pump();
    }
  }
}
