/**
 * Runs the serve app on a Node HTTP server with graceful shutdown: on close (or SIGINT/SIGTERM in
 * the CLI) the server stops accepting connections, answers new requests on open connections with
 * 503, lets in-flight requests finish (up to `drainMs`), cancels what is still running (its
 * searches stop within one model call), then closes every connection and the model registry.
 */
import { logger as rootLogger } from '../core/log.js';
import { createServeApp, type ServeAppOptions, type ServeState } from './app.js';
import { DEFAULT_LIMITS } from './limits.js';
import { drainAndClose, listenHttp } from './listen.js';

export interface ServerOptions extends ServeAppOptions {
  /** Port (0 = any free port). Default 8000. */
  port?: number;
  /** Default 127.0.0.1: serving to the network is an explicit choice (--host 0.0.0.0). */
  host?: string;
  /** How long shutdown waits for in-flight requests before cutting connections (default 30 s). */
  drainMs?: number;
  /** Close the model registry on shutdown (default true). */
  closeModels?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  state: ServeState;
  /** Graceful shutdown; resolves when every request has finished and the port is free. */
  close(): Promise<void>;
  /** Resolves when the server has shut down, however that happened. */
  closed: Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const { app, state } = createServeApp(o);
  const host = o.host ?? '127.0.0.1';
  const log = (o.logger ?? rootLogger).child({ component: 'serve' });
  const { http, port, url } = await listenHttp(app.fetch, host, o.port ?? 8000);
  // Headers must arrive within the body deadline too (slowloris); the body's own deadline is
  // enforced while reading it (body.ts), so Node's whole-request timer only backs it up.
  const bodyTimeoutMs = o.limits?.bodyTimeoutMs ?? DEFAULT_LIMITS.bodyTimeoutMs;
  http.headersTimeout = Math.max(1_000, bodyTimeoutMs);
  http.requestTimeout = Math.max(http.headersTimeout, 2 * bodyTimeoutMs) + 1_000;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;

  const close = () => {
    closing ??= (async () => {
      state.draining = true;
      await drainAndClose(http, {
        idle: () => state.idle(),
        drainMs: o.drainMs,
        onTimeout: () => {
          log.warn('shutdown: cancelling requests that did not finish in time', { inflight: state.inflight, drainMs: o.drainMs ?? 30_000 });
          state.abortAll(Object.assign(new Error('the server is shutting down'), { name: 'AbortError' }));
        },
      });
      if (o.closeModels !== false) await o.registry.close();
      resolveClosed();
    })();
    return closing;
  };
  return { url, port, host, state, close, closed };
}
