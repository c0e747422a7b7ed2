/**
 * Helpers for tests that run `rlmkit train` as a subprocess, kill it and resume it: the command
 * line, the metrics without wall-clock fields, and a run SIGKILLed once it logs a given step.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonl } from '../../src/core/index.js';
import { repoRoot } from './cli.js';

/** `rlmkit train` arguments; a run from model.init takes the checkpoint's sizes, others `sizes`. */
export function trainArgs(
  root: string,
  sizes: readonly string[],
  recipe: string,
  run: string,
  sets: string[],
  extra: string[] = [],
): string[] {
  const own = sets.some((s) => s.startsWith('model.init=')) ? [] : sizes;
  return [
    'train',
    '--config',
    recipe,
    '--run',
    run,
    '--quiet',
    ...[...own, `run.root=${root}`, ...sets].flatMap((s) => ['--set', s]),
    ...extra,
  ];
}

/** A run's metrics.jsonl rows. */
export function runMetrics(root: string, run: string): Record<string, number | null>[] {
  return readJsonl<Record<string, number | null>>(path.join(root, run, 'metrics.jsonl'));
}

/** A run's metrics without the wall-clock fields, which differ between runs. */
export function comparableMetrics(root: string, run: string): Record<string, unknown>[] {
  return readJsonl<Record<string, unknown>>(path.join(root, run, 'metrics.jsonl')).map((r) =>
    Object.fromEntries(
      Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time_') && !k.startsWith('share_') && !k.endsWith('_per_s')),
    ),
  );
}

/** Starts a run and SIGKILLs it once metrics.jsonl shows `killAtStep` (past a checkpoint). */
export function runAndKill(argv: string[], metricsFile: string, killAtStep: number): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...argv], {
      cwd: repoRoot,
      env: { ...process.env, CI: 'true' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    const poll = setInterval(() => {
      if (!fs.existsSync(metricsFile)) return;
      const steps = fs
        .readFileSync(metricsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).step as number);
      if (steps.some((s) => s >= killAtStep)) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 20);
    child.on('close', () => {
      clearInterval(poll);
      resolve({ killed, stderr });
    });
  });
}
