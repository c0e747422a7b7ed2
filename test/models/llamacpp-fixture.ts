/**
 * A real llama-cpp-python server (`python3 -m llama_cpp.server`, installed by
 * scripts/setup.d/30-llamacpp.sh) serving a GGUF on a free loopback port, for outside-in tests of
 * the HTTP backend. Bounded start-up wait; `close()` stops the process it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';

export interface RunningServer {
  baseURL: string;
  alias: string;
  close(): Promise<void>;
  /** What the server printed (for failure messages). */
  log(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Throws with the setup command when llama-cpp-python is missing. */
export function requireLlamaCppPython(): void {
  const r = spawnSync('python3', ['-c', 'import llama_cpp.server.app'], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`llama-cpp-python[server] is not installed (${(r.stderr || '').trim().split('\n').pop()}); run: npm run setup`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startLlamaCppPython(
  gguf: string,
  o: { alias?: string; nCtx?: number; threads?: number; timeoutMs?: number } = {},
): Promise<RunningServer> {
  requireLlamaCppPython();
  const alias = o.alias ?? 'model';
  const port = await freePort();
  const threads = String(o.threads ?? 1);
  const args = [
    '-m',
    'llama_cpp.server',
    '--model',
    gguf,
    '--model_alias',
    alias,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--n_ctx',
    String(o.nCtx ?? 0),
    '--n_threads',
    threads,
    '--n_threads_batch',
    threads,
    '--logits_all',
    'true',
    '--verbose',
    'false',
  ];
  const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-cpp-python exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`llama-cpp-python did not answer within ${o.timeoutMs ?? 60_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { baseURL, alias, close: () => stop(child), log: () => out };
}
