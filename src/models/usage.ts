/**
 * Usage accounting per caller: prompt and completion tokens, policy calls (one per request), cache
 * hits, failures and wall time. The scheduler records into one meter; callers read it by name.
 */
import type { Completion } from './types.js';

export interface CallerUsage {
  promptTokens: number;
  completionTokens: number;
  /** Requests answered (a request with n completions counts once). */
  calls: number;
  /** Requests answered from the response cache (included in `calls`). */
  cacheHits: number;
  /** Requests that failed after every retry. */
  errors: number;
  /** Sum over generate() calls of the time from submission to answer, in milliseconds. */
  wallMs: number;
}

export function emptyUsage(): CallerUsage {
  return { promptTokens: 0, completionTokens: 0, calls: 0, cacheHits: 0, errors: 0, wallMs: 0 };
}

export class UsageMeter {
  private readonly byCaller = new Map<string, CallerUsage>();

  private entry(caller: string): CallerUsage {
    let u = this.byCaller.get(caller);
    if (!u) {
      u = emptyUsage();
      this.byCaller.set(caller, u);
    }
    return u;
  }

  /** Records the completions of one request. The prompt is counted once, completions each. */
  recordRequest(caller: string, completions: readonly Completion[], cached: boolean): void {
    const u = this.entry(caller);
    u.calls += 1;
    if (cached) u.cacheHits += 1;
    if (completions.length > 0) u.promptTokens += completions[0].usage.promptTokens;
    for (const c of completions) u.completionTokens += c.usage.completionTokens;
  }

  recordError(caller: string, requests: number): void {
    this.entry(caller).errors += requests;
  }

  recordWall(caller: string, ms: number): void {
    this.entry(caller).wallMs += ms;
  }

  /** Usage of one caller (zeros when it never called). */
  get(caller: string): CallerUsage {
    return { ...(this.byCaller.get(caller) ?? emptyUsage()) };
  }

  /** Every caller's usage, plus a `total` over all of them. */
  snapshot(): { callers: Record<string, CallerUsage>; total: CallerUsage } {
    const callers: Record<string, CallerUsage> = {};
    const total = emptyUsage();
    for (const [name, u] of this.byCaller) {
      callers[name] = { ...u };
      for (const k of Object.keys(total) as (keyof CallerUsage)[]) total[k] += u[k];
    }
    return { callers, total };
  }

  reset(): void {
    this.byCaller.clear();
  }
}
