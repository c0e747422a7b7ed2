/**
 * Runs the reward app on a Node HTTP server. Shutdown (close(), or SIGINT/SIGTERM in the CLI) stops
 * accepting connections, answers new requests on open sockets with 503, lets in-flight batches
 * finish (up to `drainMs`), then closes every socket (the math grader's idle workers are unref'd and
 * never hold the process).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runtimeError } from '../../core/errors.js';
import type { ServeState } from '../app.js';
import { type RewardAppOptions, createRewardApp } from './app.js';

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
  let server!: ServerType;
  await new Promise<void>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: o.port ?? 5000, hostname: host }, () => resolve());
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(runtimeError(`port ${o.port} on ${host} is already in use`, 'choose another --port or stop the other server'));
      else reject(runtimeError(`cannot listen on ${host}:${o.port}: ${e.message}`, 'check --host and --port'));
    });
  });
  const http = server as Server;
  http.keepAliveTimeout = 5_000;
  const port = (http.address() as AddressInfo).port;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      state.draining = true;
      const stopped = new Promise<void>((r) => http.close(() => r()));
      http.closeIdleConnections();
      await Promise.race([state.idle(), new Promise<void>((r) => setTimeout(r, o.drainMs ?? 30_000).unref())]);
      await new Promise((r) => setTimeout(r, 20));
      http.closeAllConnections();
      await stopped;
      resolveClosed();
    })();
    return closing;
  };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, state, close, closed };
}
