/**
 * For the distributed tests: a redis-server of the test's own on a free loopback port (scripts/setup.sh
 * installs redis-server), and real `rlmkit worker` processes on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectRedis } from '../../src/distributed/connection.js';
import { repoRoot, tsxLoader } from '../helpers/cli.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  stop(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      (await connectRedis(url)).disconnect();
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop() {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Job ids a worker's JSON log says it started / finished (`msg` is the log line's message). */
export function jobIds(log: string, msg: string): string[] {
  return log
    .split('\n')
    .filter((l) => l.includes(`"${msg}"`))
    .map((l) => {
      try {
        return String(JSON.parse(l).id);
      } catch {
        return '';
      }
    })
    .filter(Boolean);
}

/** An `rlmkit worker` process: its combined output so far, and its exit. */
export interface WorkerProc {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

/** Starts `rlmkit worker --redis url ...extra` and resolves once it says it is ready. */
export function spawnWorker(url: string, extra: string[] = [], startTimeoutMs = 120_000): Promise<WorkerProc> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsxLoader,
      path.join(repoRoot, 'src/cli/main.ts'),
      'worker',
      '--redis',
      url,
      ...extra,
      '--lock-ms',
      '2000',
      '--log-format',
      'json',
    ],
    { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${out}`)), startTimeoutMs);
    child.stdout!.on('data', () => {
      if (out.includes('worker-ready')) {
        clearTimeout(timer);
        resolve({ child, log: () => out, exited });
      }
    });
  });
}

/** The first of `workers` whose log says it started a job (polled every `everyMs`). */
export function firstWorkerToStartAJob(workers: WorkerProc[], timeoutMs: number, everyMs: number): Promise<WorkerProc> {
  return new Promise<WorkerProc>((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const w = workers.find((x) => jobIds(x.log(), 'job started').length > 0);
      if (w) {
        clearInterval(poll);
        resolve(w);
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(poll);
        reject(new Error('no worker started a job'));
      }
    }, everyMs);
  });
}
