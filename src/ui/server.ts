/**
 * Runs the explorer app on a Node HTTP server. Loopback by default; serving another address needs
 * an API key (the runs folder holds configs and traces, and the playground loads models), and on
 * loopback the Host header must name loopback (a page elsewhere cannot rebind DNS to reach it).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { runtimeError, usageError } from '../core/errors.js';
import { createUiApp, type UiAppOptions } from './app.js';

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
  let server!: ServerType;
  await new Promise<void>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: o.port ?? 8400, hostname: host }, () => resolve());
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(runtimeError(`port ${o.port} on ${host} is already in use`, 'choose another --port, or --port 0 for any free one'));
      else if (e.code === 'EACCES') reject(runtimeError(`no permission to listen on ${host}:${o.port}`, 'use a port above 1023'));
      else reject(runtimeError(`cannot listen on ${host}:${o.port}: ${e.message}`, 'check --host and --port'));
    });
  });
  const http = server as Server;
  http.keepAliveTimeout = 5_000;
  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
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
