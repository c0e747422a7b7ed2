/**
 * Test fixtures for the explorer: `rlmkit ui` as a real subprocess on a free loopback port, a
 * long-running `rlmkit train` subprocess, and real traces made with the library's solve.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { solve } from '../../src/reasoning/solve.js';
import { selectProblems } from '../../src/tasks/select.js';
import { getTask } from '../../src/tasks/registry.js';
import type { Trace } from '../../src/reasoning/trace.js';
import { repoRoot, tsxLoader } from '../helpers/cli.js';

const mainTs = path.join(repoRoot, 'src/cli/main.ts');

export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, mainTs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface UiProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  close: () => Promise<number | null>;
}

/** Starts `rlmkit ui --runs <dir> --port 0 ...` and waits for its `listening` line. */
export function startUi(runsDir: string, extra: string[] = []): Promise<UiProcess> {
  const child = spawnCli(['ui', '--runs', runsDir, '--port', '0', ...extra]);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const close = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('close', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rlmkit ui did not start in 60 s: ${err}`));
    }, 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve({ url: JSON.parse(line).url, child, stderr: () => err, close });
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`rlmkit ui exited with ${code}: ${err}`));
    });
  });
}

/** A real trace: the library's solve with the model-free legal-uniform policy (default task: Game of 24). */
export async function makeTrace(o: {
  task?: string;
  problem?: string;
  strategy: string;
  settings?: Record<string, unknown>;
  seed?: number;
  journey?: boolean;
}): Promise<Trace> {
  const task = getTask(o.task ?? 'game24');
  const [problem] = await selectProblems(task, { problem: o.problem, split: 'test', seed: o.seed ?? 0 });
  const r = await solve(problem, {
    task,
    strategy: o.strategy,
    settings: o.settings ?? {},
    models: { policy: new LegalUniformPolicy(o.seed ?? 0) },
    seed: o.seed ?? 0,
    journey: o.journey ?? false,
  });
  return r.trace!;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
