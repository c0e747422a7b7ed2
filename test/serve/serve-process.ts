/**
 * `rlmkit serve` as a real subprocess for hostile-client tests: started from the sources through
 * tsx on port 0, with its URL read from the "listening" line, its RSS read from /proc, and a
 * stop() that sends SIGTERM and measures how long the exit took.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { repoRoot, tsxLoader } from '../helpers/cli.js';

export const SHIPPED_POLICY = path.join(repoRoot, 'checkpoints/game24-sft/policy.safetensors');
/** The shipped calc-tool policy: a tiny model trained on calculator-tool episodes (tool-calling tests). */
export const CALC_POLICY = path.join(repoRoot, 'checkpoints/calc-tool-sft/policy.safetensors');

export interface ServeProcess {
  /** Base URL without /v1. */
  base: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** Resident set size of the server process in bytes (its worker threads included). */
  rssBytes(): number;
  /** SIGTERM; resolves with the exit code and the milliseconds the exit took. */
  stop(): Promise<{ code: number | null; ms: number }>;
}

export async function startServeProcess(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'src/cli/main.ts'), 'serve', '--port', '0', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 90_000);
    child.on('close', () => reject(new Error(`serve exited: ${stderr}`)));
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /"url":"([^"]+)"/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const base = url.replace(/\/v1$/, '');
  return {
    base,
    port: Number(new URL(base).port),
    child,
    stderr: () => stderr,
    rssBytes() {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : NaN;
    },
    async stop() {
      const t0 = performance.now();
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(killer);
      return { code, ms: performance.now() - t0 };
    },
  };
}

export async function health(base: string): Promise<{ status: string; inflight: number; served: number }> {
  return (await (await fetch(`${base}/health`)).json()) as { status: string; inflight: number; served: number };
}

/** Polls /health until inflight is 0; returns the milliseconds it took (Infinity past the limit). */
export async function waitIdle(base: string, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if ((await health(base)).inflight === 0) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return Infinity;
}

/**
 * A client that sends the headers and the start of a body, then stops sending (a slow upload).
 * Resolves with the socket once the partial body is written; `answer` resolves with the status
 * line the server eventually sends (or '' when the connection closes without one).
 */
export function slowUpload(
  port: number,
  path = '/v1/completions',
  headers: Record<string, string> = {},
): Promise<{ socket: net.Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const answer = new Promise<string>((r) => {
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('close', () => r(received.split('\r\n')[0] ?? ''));
      socket.on('error', () => undefined);
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n${extra}\r\n{"model":`,
        () => resolve({ socket, answer }),
      );
    });
  });
}

/** POST JSON; returns the status, the parsed body and the latency in ms. */
export async function postJson(
  base: string,
  route: string,
  body: unknown,
  o: { key?: string; signal?: AbortSignal } = {},
): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.key ? { authorization: `Bearer ${o.key}` } : {}) },
    body: JSON.stringify(body),
    signal: o.signal,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // SSE or plain text: returned as is
  }
  return { status: res.status, body: parsed, ms: performance.now() - t0 };
}
