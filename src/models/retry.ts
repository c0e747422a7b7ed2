/**
 * Timeouts and retries with exponential backoff for backend calls. Only failures that can pass on
 * their own are retried (timeouts, network and server errors); a request the backend rejects as
 * malformed fails at once.
 */
import { RlmkitError, isRlmkitError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

export interface RetryOptions {
  /** Attempts after the first (0 = no retry). */
  retries: number;
  /** Delay before the first retry; doubles each time (exponential backoff). */
  backoffMs: number;
  /** Upper bound on one delay. */
  maxBackoffMs: number;
  /** Time limit of one attempt (0 = none). */
  timeoutMs: number;
  /** Jitter source: each delay is scaled by a factor in [0.5, 1) so that callers do not retry in lockstep. */
  rng?: Rng;
  signal?: AbortSignal;
  /** Told about each failed attempt that will be retried. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

export class TimeoutError extends RlmkitError {
  constructor(ms: number) {
    super(`the model backend did not answer within ${ms} ms`, {
      kind: 'model',
      hint: 'raise the timeout, lower the batch size or check that the backend is up',
    });
  }
}

/** True for failures worth retrying: anything but a user mistake or a cancellation. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof TimeoutError) return true;
  if ((e as Error)?.name === 'AbortError') return false;
  if (isRlmkitError(e)) return e.kind !== 'usage' && e.kind !== 'input' && e.kind !== 'config';
  const status = (e as { status?: unknown })?.status;
  if (typeof status === 'number') return status === 408 || status === 409 || status === 429 || status >= 500;
  return true;
}

export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('the request was cancelled');
  e.name = 'AbortError';
  return e;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` with a time limit; the attempt's own signal is aborted when the time runs out. */
export async function withTimeout<T>(fn: (signal: AbortSignal) => Promise<T>, ms: number, outer?: AbortSignal): Promise<T> {
  const ctl = new AbortController();
  const onOuter = () => ctl.abort(abortError(outer));
  if (outer?.aborted) throw abortError(outer);
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = fn(ctl.signal);
    if (!(ms > 0)) return await work;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TimeoutError(ms);
        ctl.abort(err);
        reject(err);
      }, ms);
    });
    // A late answer of a timed-out attempt is dropped; swallow its rejection.
    work.catch(() => undefined);
    return await Promise.race([work, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

/** Calls `fn` until it succeeds, retrying retryable failures with exponential backoff. */
export async function withRetry<T>(fn: (signal: AbortSignal) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await withTimeout(fn, o.timeoutMs, o.signal);
    } catch (e) {
      if (attempt >= o.retries || !isRetryable(e) || o.signal?.aborted) throw e;
      const base = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** attempt);
      const delay = base * (o.rng ? 0.5 + 0.5 * o.rng.next() : 1);
      o.onRetry?.(attempt + 1, e, delay);
      await sleep(delay, o.signal);
    }
  }
}
