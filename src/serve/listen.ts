/**
 * Listening and draining, shared by every HTTP server rlmkit runs (`serve`, `reward-server`, `ui`):
 * bind a Hono app on host:port with one clear error per way binding fails, and a graceful close
 * that stops accepting connections, waits for in-flight requests (up to a deadline), then cuts
 * what is left.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runtimeError } from '../core/errors.js';

export interface Listening {
  http: Server;
  port: number;
  url: string;
}

/** Binds `fetch` on host:port (0 = any free port); keep-alive sockets never hold a shutdown long. */
export async function listenHttp(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<Listening> {
  let server!: ServerType;
  await new Promise<void>((resolve, reject) => {
    server = serve({ fetch, port, hostname: host }, () => resolve());
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(
          runtimeError(
            `port ${port} on ${host} is already in use`,
            'choose another --port (--port 0 for any free one) or stop the other server',
          ),
        );
      else if (e.code === 'EACCES') reject(runtimeError(`no permission to listen on ${host}:${port}`, 'use a port above 1023'));
      else reject(runtimeError(`cannot listen on ${host}:${port}: ${e.message}`, 'check --host and --port'));
    });
  });
  const http = server as Server;
  http.keepAliveTimeout = 5_000;
  const bound = (http.address() as AddressInfo).port;
  return { http, port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}

export interface DrainOptions {
  /** Resolves when no request is in flight. */
  idle(): Promise<void>;
  /** How long to wait for in-flight requests (default 30 s). */
  drainMs?: number;
  /** Called when the deadline passed with requests still in flight; may cancel them (awaited up to 2 s). */
  onTimeout?(): void | Promise<void>;
}

/**
 * Stops accepting connections, closes idle keep-alive sockets, waits for in-flight requests up to
 * `drainMs` (then `onTimeout`), lets finished responses flush, and cuts every remaining socket.
 */
export async function drainAndClose(http: Server, o: DrainOptions): Promise<void> {
  const stopped = new Promise<void>((r) => http.close(() => r()));
  http.closeIdleConnections();
  const drained = await Promise.race([
    o.idle().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), o.drainMs ?? 30_000).unref()),
  ]);
  if (!drained && o.onTimeout) {
    await o.onTimeout();
    await Promise.race([o.idle(), new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
  // Give finished responses a moment to flush, then cut what is left.
  await new Promise((r) => setTimeout(r, 20));
  http.closeAllConnections();
  await stopped;
}
