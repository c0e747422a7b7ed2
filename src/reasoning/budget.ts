/**
 * Budgets and exact usage. A `Meter` belongs to one solve: every model call goes through it, so it
 * knows the tokens, calls and time used, and it refuses a call that could overrun a limit *before*
 * the call is made (the worst case of a generate call is its prompt tokens plus n × maxTokens per
 * request). Strategies are anytime: when the meter refuses, it throws `BudgetExhausted`, the
 * solve driver catches it and asks the strategy for its best answer so far.
 *
 * Time inside model calls (`modelMs`) is the union of the intervals during which at least one
 * model call of this solve was in flight, so concurrent calls are not double counted; wall time
 * minus model time is the framework's own overhead.
 */
import { z } from 'zod';
import { usageError } from '../core/errors.js';
import type { TraceUsage } from './trace.js';

export const BudgetSchema = z.strictObject({
  /** Prompt plus completion tokens over all policy calls. */
  tokens: z.number().int().positive().optional(),
  /** Completion tokens only. */
  completionTokens: z.number().int().positive().optional(),
  /** Policy requests (a request with n completions counts once). */
  calls: z.number().int().positive().optional(),
  /** Value / reward model calls. */
  evalCalls: z.number().int().positive().optional(),
  /** Wall-clock milliseconds for the whole solve. */
  wallMs: z.number().positive().optional(),
  /** Nodes expanded by Generate. */
  expansions: z.number().int().positive().optional(),
});
export type Budget = z.infer<typeof BudgetSchema>;

/** A budget field's user-facing (snake_case) name: `wallMs` -> `wall_ms`, as strategy settings are written. */
export function budgetFieldName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A budget as users write it (a serve request's `budget`, `solve({ budget })`): snake_case keys
 * (`tokens`, `completion_tokens`, `calls`, `eval_calls`, `wall_ms`, `expansions`), camelCase
 * accepted too; one field in both spellings, an unknown field or a non-positive value is a usage
 * error naming the field in snake_case.
 */
export function parseBudget(raw: unknown): Budget {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw usageError('budget must be an object', `budget fields: ${BUDGET_FIELDS}`);
  const fields: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    const field = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const before = writtenAs.get(field);
    if (before !== undefined)
      throw usageError(
        `budget field ${budgetFieldName(field)} is given twice (as ${before} and as ${k})`,
        `write it once, as ${budgetFieldName(field)}`,
      );
    writtenAs.set(field, k);
    fields[field] = v;
  }
  const b = BudgetSchema.safeParse(fields);
  if (!b.success)
    throw usageError(
      `invalid budget: ${b.error.issues
        .map((i) => {
          const keys = 'keys' in i && Array.isArray(i.keys) ? ` (${i.keys.map((key) => budgetFieldName(String(key))).join(', ')})` : '';
          return `${i.path.map((p) => budgetFieldName(String(p))).join('.') || 'budget'}: ${i.message}${keys}`;
        })
        .join('; ')}`,
      `budget fields: ${BUDGET_FIELDS} (positive numbers)`,
    );
  return b.data;
}

const BUDGET_FIELDS = Object.keys(BudgetSchema.shape).map(budgetFieldName).join(', ');

export type StopReason =
  'budget:tokens' | 'budget:completionTokens' | 'budget:calls' | 'budget:evalCalls' | 'budget:time' | 'budget:expansions';

export class BudgetExhausted extends Error {
  constructor(readonly reason: StopReason) {
    super(`budget exhausted (${reason})`);
    this.name = 'BudgetExhausted';
  }
}

export function isBudgetExhausted(e: unknown): e is BudgetExhausted {
  return e instanceof BudgetExhausted;
}

export interface Reservation {
  tokens: number;
  completionTokens: number;
  calls: number;
  evalCalls: number;
}

export class Meter {
  readonly usage: TraceUsage = { promptTokens: 0, completionTokens: 0, calls: 0, evalCalls: 0, wallMs: 0, modelMs: 0, expansions: 0 };
  readonly startedAt = performance.now();
  private readonly reserved: Reservation = { tokens: 0, completionTokens: 0, calls: 0, evalCalls: 0 };
  private inFlight = 0;
  private inFlightSince = 0;
  /** First limit that stopped a call, kept so strategies and the driver can report it. */
  exhausted: StopReason | null = null;

  constructor(
    readonly budget: Budget = {},
    private readonly clock: () => number = () => performance.now(),
  ) {}

  elapsedMs(): number {
    return this.clock() - this.startedAt;
  }

  /** Milliseconds left before the time budget ends (Infinity without one). */
  remainingMs(): number {
    return this.budget.wallMs === undefined ? Infinity : this.budget.wallMs - this.elapsedMs();
  }

  private stop(reason: StopReason): never {
    this.exhausted ??= reason;
    throw new BudgetExhausted(reason);
  }

  /** Throws if the time budget is spent; cheap enough to call in every loop iteration. */
  checkTime(): void {
    if (this.remainingMs() <= 0) this.stop('budget:time');
  }

  /** True while nothing is exhausted and time remains (loops use this to stop early). */
  ok(): boolean {
    if (this.exhausted === null && this.remainingMs() <= 0) this.exhausted = 'budget:time';
    return this.exhausted === null;
  }

  /**
   * How many of the requests (a prefix, in order) fit into the budget when each may produce
   * `perRequestCompletion` tokens; throws when not even one fits.
   */
  fitGenerate(promptTokens: number[], perRequestCompletion: number): number {
    this.checkTime();
    const b = this.budget;
    const u = this.usage;
    let fit = 0;
    let tok = u.promptTokens + u.completionTokens + this.reserved.tokens;
    let comp = u.completionTokens + this.reserved.completionTokens;
    let calls = u.calls + this.reserved.calls;
    let reason: StopReason | null = null;
    for (const p of promptTokens) {
      if (b.calls !== undefined && calls + 1 > b.calls) {
        reason = 'budget:calls';
        break;
      }
      if (b.tokens !== undefined && tok + p + perRequestCompletion > b.tokens) {
        reason = 'budget:tokens';
        break;
      }
      if (b.completionTokens !== undefined && comp + perRequestCompletion > b.completionTokens) {
        reason = 'budget:completionTokens';
        break;
      }
      calls += 1;
      tok += p + perRequestCompletion;
      comp += perRequestCompletion;
      fit++;
    }
    if (fit === 0 && promptTokens.length > 0) this.stop(reason ?? 'budget:tokens');
    return fit;
  }

  reserve(r: Partial<Reservation>): Reservation {
    const full: Reservation = {
      tokens: r.tokens ?? 0,
      completionTokens: r.completionTokens ?? 0,
      calls: r.calls ?? 0,
      evalCalls: r.evalCalls ?? 0,
    };
    this.reserved.tokens += full.tokens;
    this.reserved.completionTokens += full.completionTokens;
    this.reserved.calls += full.calls;
    this.reserved.evalCalls += full.evalCalls;
    return full;
  }

  release(r: Reservation): void {
    this.reserved.tokens -= r.tokens;
    this.reserved.completionTokens -= r.completionTokens;
    this.reserved.calls -= r.calls;
    this.reserved.evalCalls -= r.evalCalls;
  }

  /** Throws unless `count` more evaluation calls fit. */
  checkEval(count: number): void {
    this.checkTime();
    if (this.budget.evalCalls !== undefined && this.usage.evalCalls + this.reserved.evalCalls + count > this.budget.evalCalls)
      this.stop('budget:evalCalls');
  }

  /** Throws unless `count` more expansions fit; counts them when they do. */
  expand(count: number): void {
    if (this.budget.expansions !== undefined && this.usage.expansions + count > this.budget.expansions) this.stop('budget:expansions');
    this.usage.expansions += count;
  }

  /** How many more expansions the budget allows (Infinity without a limit). */
  expansionsLeft(): number {
    return this.budget.expansions === undefined ? Infinity : this.budget.expansions - this.usage.expansions;
  }

  recordGenerate(promptTokens: number, completionTokens: number, calls: number): void {
    this.usage.promptTokens += promptTokens;
    this.usage.completionTokens += completionTokens;
    this.usage.calls += calls;
  }

  recordEval(calls: number): void {
    this.usage.evalCalls += calls;
  }

  /** Wraps one model call: counts the time during which any model call is in flight. */
  async timed<T>(call: () => Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) this.inFlightSince = this.clock();
    try {
      return await call();
    } finally {
      if (--this.inFlight === 0) this.usage.modelMs += this.clock() - this.inFlightSince;
    }
  }

  /** Final usage with wall time filled in. */
  finish(): TraceUsage {
    this.usage.wallMs = this.elapsedMs();
    return { ...this.usage };
  }
}
