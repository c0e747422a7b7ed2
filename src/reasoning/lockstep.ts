/**
 * Lockstep batching across problems (rStar-Math runs all problems of a round in lockstep so that
 * one policy call carries requests from many searches). Each concurrently running solve gets a
 * "lane": lane models that look like ordinary models to the strategy. A lane's calls wait until
 * every running lane is blocked on a model call and no merged call is in flight; then all waiting
 * calls with the same sampling parameters go to the real model as ONE call, in lane order, and the
 * results are split back. This works with any Policy (no scheduler needed) and is deterministic:
 * the same problems and settings give the same merged batches.
 *
 * Merged calls carry the first lane's seed. Cancellation: a lane whose signal aborts (its client
 * went away, its deadline passed) is answered with the abort at once, whether its call is still
 * waiting or already merged; a merged call is itself aborted once every lane in it has aborted.
 */
import type { Completion, GenerateOptions, GenerateRequest, Policy, RewardModel, ScoredSolution, ValueModel } from '../models/types.js';
import type { SearchModels } from './context.js';
import { isProblemAware } from './legal-policy.js';

type Kind = 'generate' | 'value' | 'outcome' | 'process';

interface Pending {
  lane: number;
  kind: Kind;
  key: string;
  items: unknown[];
  options: GenerateOptions;
  resolve: (r: unknown[]) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  signal?: AbortSignal;
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  return Object.assign(new Error('the request was cancelled'), { name: 'AbortError' });
}

/** A signal that aborts once every one of `signals` has (undefined when one of them never can). */
function allAborted(signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  if (signals.length === 0 || signals.some((s) => !s)) return undefined;
  const unique = [...new Set(signals as AbortSignal[])];
  if (unique.length === 1) return unique[0];
  const ctl = new AbortController();
  let left = unique.filter((s) => !s.aborted).length;
  if (left === 0) ctl.abort(abortReason(unique[0]));
  for (const s of unique) {
    if (s.aborted) continue;
    s.addEventListener(
      'abort',
      () => {
        if (--left === 0) ctl.abort(abortReason(s));
      },
      { once: true },
    );
  }
  return ctl.signal;
}

export interface LockstepStats {
  /** Merged calls sent to the models, by kind. */
  mergedCalls: Record<Kind, number>;
  /** Calls the lanes made (before merging), by kind. */
  laneCalls: Record<Kind, number>;
  largestBatch: number;
}

/** Options that do not change what a merged call computes (the merged call takes the first lane's seed). */
const PER_LANE = new Set(['seed', 'signal', 'caller', 'flow']);

/**
 * Calls with the same key can share one model call: the options but seed, signal and caller, top
 * level keys in sorted order. (A replacer array in JSON.stringify would also filter the keys of
 * nested values, so two different nested objects could have given the same key.)
 */
function samplingKey(kind: Kind, o: GenerateOptions): string {
  if (kind === 'outcome') return (o as { prm?: boolean }).prm ? 'outcome:prm' : 'outcome';
  if (kind !== 'generate') return kind;
  let key = 'generate';
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    if (PER_LANE.has(k) || v === undefined) continue;
    key += `|${k}=${JSON.stringify(v)}`;
  }
  return key;
}

export class Lockstep {
  private readonly active = new Set<number>();
  private pending: Pending[] = [];
  private inFlight = 0;
  private nextLane = 0;
  private scheduled = false;
  readonly stats: LockstepStats = {
    mergedCalls: { generate: 0, value: 0, outcome: 0, process: 0 },
    laneCalls: { generate: 0, value: 0, outcome: 0, process: 0 },
    largestBatch: 0,
  };

  constructor(readonly models: SearchModels) {}

  /** Models for one solve; call `leave()` when the solve ends. */
  join(): { models: SearchModels; leave: () => void } {
    const lane = this.nextLane++;
    this.active.add(lane);
    const base = this.models;
    const submit = (kind: Kind, items: unknown[], options: GenerateOptions = {}) =>
      new Promise<unknown[]>((resolve, reject) => {
        this.stats.laneCalls[kind]++;
        const signal = options.signal;
        if (signal?.aborted) return reject(abortReason(signal));
        const onAbort = () => {
          if (p.settled) return;
          p.settled = true;
          this.pending = this.pending.filter((x) => x !== p);
          reject(abortReason(signal!));
          this.schedule();
        };
        const p: Pending = {
          lane,
          kind,
          key: samplingKey(kind, options),
          items,
          options,
          signal,
          settled: false,
          resolve: (r) => {
            signal?.removeEventListener('abort', onAbort);
            if (p.settled) return;
            p.settled = true;
            resolve(r);
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            if (p.settled) return;
            p.settled = true;
            reject(e);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.pending.push(p);
        this.schedule();
      });
    const policy: Policy & { attach?: unknown } = {
      id: base.policy.id,
      capabilities: base.policy.capabilities,
      countTokens: base.policy.countTokens?.bind(base.policy),
      generate: (requests: GenerateRequest[], options?: GenerateOptions) =>
        submit('generate', requests, options) as Promise<Completion[][]>,
    };
    if (isProblemAware(base.policy)) policy.attach = base.policy.attach.bind(base.policy);
    const models: SearchModels = { policy };
    if (base.value)
      models.value = {
        id: base.value.id,
        value: (states: string[], o?: { signal?: AbortSignal }) => submit('value', states, { signal: o?.signal }) as Promise<number[]>,
      } satisfies ValueModel;
    if (base.reward) models.reward = wrapReward(base.reward, submit);
    if (base.prm) models.prm = wrapReward(base.prm, submit);
    return {
      models,
      leave: () => {
        this.active.delete(lane);
        this.schedule();
      },
    };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current macrotask: every lane that is about to call has called by then.
    setImmediate(() => {
      this.scheduled = false;
      this.tryFlush();
    });
  }

  private tryFlush(): void {
    if (this.inFlight > 0 || this.pending.length === 0) return;
    const waiting = new Set(this.pending.map((p) => p.lane));
    for (const lane of this.active) if (!waiting.has(lane)) return; // someone is still thinking
    const batch = this.pending.sort((a, b) => a.lane - b.lane);
    this.pending = [];
    const groups = new Map<string, Pending[]>();
    for (const p of batch) (groups.get(p.key) ?? groups.set(p.key, []).get(p.key)!).push(p);
    for (const group of groups.values()) void this.send(group);
  }

  private async send(group: Pending[]): Promise<void> {
    this.inFlight++;
    const kind = group[0].kind;
    const items = group.flatMap((p) => p.items);
    this.stats.mergedCalls[kind]++;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, items.length);
    try {
      const results = await this.call(kind, items, group[0].options, allAborted(group.map((p) => p.signal)));
      let at = 0;
      for (const p of group) {
        p.resolve(results.slice(at, at + p.items.length));
        at += p.items.length;
      }
    } catch (e) {
      for (const p of group) p.reject(e);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private call(kind: Kind, items: unknown[], options: GenerateOptions, signal: AbortSignal | undefined): Promise<unknown[]> {
    const m = this.models;
    const { signal: _signal, ...o } = options;
    switch (kind) {
      case 'generate':
        return m.policy.generate(items as GenerateRequest[], signal ? { ...o, signal } : o);
      case 'value':
        return m.value!.value(items as string[], signal ? { signal } : undefined);
      case 'outcome':
        return (o as { prm?: boolean }).prm ? m.prm!.outcome(items as ScoredSolution[]) : m.reward!.outcome(items as ScoredSolution[]);
      case 'process':
        return m.prm!.process!(items as ScoredSolution[]);
    }
  }
}

function wrapReward(r: RewardModel, submit: (kind: Kind, items: unknown[], options?: GenerateOptions) => Promise<unknown[]>): RewardModel {
  const isPrm = r.kind === 'process';
  const wrapped: RewardModel = {
    id: r.id,
    kind: r.kind,
    // The prm flag keeps outcome calls to the PRM and to the ORM in different merged calls.
    outcome: (solutions: ScoredSolution[]) =>
      submit('outcome', solutions, (isPrm ? { prm: true } : {}) as GenerateOptions) as Promise<number[]>,
  };
  if (r.process) wrapped.process = (solutions: ScoredSolution[]) => submit('process', solutions) as Promise<number[][]>;
  return wrapped;
}
