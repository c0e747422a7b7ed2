/**
 * Runs the reward app on a Node HTTP server. Shutdown (close(), or SIGINT/SIGTERM in the CLI) stops
 * accepting connections, answers new requests on open sockets with 503, lets in-flight batches
 * finish (up to `drainMs`), then closes every socket (the math grader's idle workers are unref'd and
 * never hold the process).
 */
import type { ServeState } from '../app.js';
import { type RewardAppOptions, createRewardApp } from './app.js';
import { drainAndClose, listenHttp } from '../listen.js';

export interface RewardServerOptions extends RewardAppOptions {
  port?: number;
  host?: string;
  drainMs?: number;
}

export interface RunningRewardServer {
  url: string;
  port: number;
  state: ServeState;
  close(): Promise<void>;
  closed: Promise<void>;
}

export async function startRewardServer(o: RewardServerOptions): Promise<RunningRewardServer> {
  const { app, state } = createRewardApp(o);
  const host = o.host ?? '127.0.0.1';
  const { http, port, url } = await listenHttp(app.fetch, host, o.port ?? 5000);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      state.draining = true;
      await drainAndClose(http, { idle: () => state.idle(), drainMs: o.drainMs });
      resolveClosed();
    })();
    return closing;
  };
  return { url, port, state, close, closed };
}
