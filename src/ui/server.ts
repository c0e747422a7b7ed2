/**
 * Runs the explorer app on a Node HTTP server. Loopback by default; serving another address needs
 * an API key (the runs folder holds configs and traces, and the playground loads models), and on
 * loopback the Host header must name loopback (a page elsewhere cannot rebind DNS to reach it).
 */
import { usageError } from '../core/errors.js';
import { createUiApp, type UiAppOptions } from './app.js';
import { listenHttp } from '../serve/listen.js';

export interface UiServerOptions extends UiAppOptions {
  /** Default 8400; 0 = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningUi {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

export async function startUiServer(o: UiServerOptions): Promise<RunningUi> {
  const host = o.host ?? '127.0.0.1';
  const loopback = LOOPBACK.includes(host);
  if (!loopback && !o.apiKey)
    throw usageError(
      `serving the explorer on ${host} needs an API key`,
      'pass --api-key <key> (or set RLMKIT_UI_API_KEY), or keep the default --host 127.0.0.1',
    );
  const allowedHosts = o.allowedHosts ?? (loopback ? LOOPBACK : []);
  const { app, playground } = createUiApp({ ...o, allowedHosts });
  const { http, port, url } = await listenHttp(app.fetch, host, o.port ?? 8400);
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((r) => http.close(() => r()));
        // SSE streams stay open until cut.
        http.closeAllConnections();
        await stopped;
        await playground.close();
      })()),
  };
}
