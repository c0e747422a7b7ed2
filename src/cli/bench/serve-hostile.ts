/**
 * `rlmkit bench serve --hostile [--json]`: issue 13's load test as a benchmark. Starts
 * `rlmkit serve` as a subprocess (so its RSS is its own) on the shipped Game of 24 checkpoint (or
 * `--model`), then runs src/serve/hostile-load.ts against it: 64 slow bodies that reconnect
 * whenever cut, a huge MCTS search started and abandoned again and again, and normal clients.
 * Reports the normal clients' p50/p99 latency and the server's peak RSS. Loopback only, bounded
 * by `--duration-s`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { runtimeError } from '../../core/errors.js';
import { ABANDONED_SEARCH, HOSTILE_SERVE_FLAGS, runHostileLoad } from '../../serve/hostile-load.js';

export async function runHostileBench(o: Record<string, unknown>): Promise<Record<string, unknown>> {
  const model = o.model ? String(o.model) : 'embedded:checkpoints/game24-sft/policy.safetensors';
  const durationMs = Math.round(Number(o.durationS ?? 20) * 1000);
  const args = [...process.execArgv, process.argv[1], 'serve', '--port', '0', '--model', `g24=${model}`, ...HOSTILE_SERVE_FLAGS];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(runtimeError(`rlmkit serve did not start within 120 s: ${stderr.slice(-500)}`)), 120_000);
      child.on('close', () => reject(runtimeError(`rlmkit serve exited: ${stderr.slice(-500)}`, 'check --model')));
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /"url":"([^"]+)\/v1"/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const rssBytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
    const result = await runHostileLoad({
      base,
      model: 'g24',
      search: ABANDONED_SEARCH,
      slowBodies: Number(o.slowBodies ?? 64),
      normalClients: Number(o.normalClients ?? 8),
      durationMs,
      abandonAfterMs: 3_000,
      rssBytes,
    });
    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    return {
      bench: 'serve-hostile',
      model,
      ...result,
      shutdown: { exitCode: code, ms: Math.round(performance.now() - t0) },
      targets: { p99Ms: 2000, rssBytes: 1024 ** 3 },
      met: result.normal.failed === 0 && result.normal.p99Ms < 2000 && (result.rss.maxBytes ?? Infinity) < 1024 ** 3,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
