/**
 * Per-request plumbing of the server: the slot a generation request holds (counted for /health,
 * the 429 limit and graceful shutdown), its abort signal (the client hanging up, the request's
 * deadline, server shutdown) and its fairness flow in the model schedulers.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { HttpError } from './errors.js';

/** Live counters the server reads for graceful shutdown and /health. */
export class ServeState {
  inflight = 0;
  draining = false;
  served = 0;
  rejectedBusy = 0;
  /** Requests holding a slot, to cancel on shutdown. */
  readonly running = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    this.served++;
    if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when no generation request is running. */
  idle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Cancels every running request (shutdown after the drain time). */
  abortAll(reason: Error): void {
    for (const ctl of this.running) ctl.abort(reason);
  }
}

export interface RequestScope {
  /** Aborted when the client goes away, the deadline passes or the server shuts down. */
  signal: AbortSignal;
  /** The request's fairness flow in the schedulers. */
  flow: string;
  /** Gives the slot back and stops the deadline timer; idempotent. */
  release(): void;
}

let flowCounter = 0;

/**
 * Takes a slot for a request whose body has been read: 503 while draining, 429 (with Retry-After)
 * when `maxConcurrent` requests are running.
 */
export function takeSlot(c: Context, state: ServeState, maxConcurrent: number, deadlineMs: number): RequestScope {
  if (state.draining) throw new HttpError(503, 'the server is shutting down', 'server_shutting_down');
  if (state.inflight >= maxConcurrent) {
    state.rejectedBusy++;
    c.header('Retry-After', '1');
    throw new HttpError(
      429,
      `too many concurrent requests (limit ${maxConcurrent}); retry shortly`,
      'rate_limit_error',
      null,
      'rate_limit_exceeded',
    );
  }
  state.enter();
  const ctl = new AbortController();
  state.running.add(ctl);
  const timer = setTimeout(
    () =>
      ctl.abort(
        new HttpError(
          504,
          `the request took longer than this server's limit maxRequestMs = ${deadlineMs} ms (set by --max-request-ms)`,
          'timeout_error',
          null,
          'request_timeout',
        ),
      ),
    deadlineMs,
  );
  timer.unref();
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  const onClose = () => {
    if (!outgoing!.writableFinished) ctl.abort(Object.assign(new Error('the client closed the connection'), { name: 'AbortError' }));
  };
  outgoing?.once('close', onClose);
  let released = false;
  return {
    signal: ctl.signal,
    flow: `request:${(flowCounter = (flowCounter + 1) % 1e9)}`,
    release() {
      if (released) return;
      released = true;
      clearTimeout(timer);
      outgoing?.off('close', onClose);
      state.running.delete(ctl);
      state.leave();
    },
  };
}
