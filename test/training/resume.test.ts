/**
 * Checkpoint and resume: a training run killed with SIGKILL mid-training resumes from its last
 * checkpoint and logs the same metrics as an uninterrupted run with the same seed (timings aside).
 * Real subprocesses of `rlmkit train`, a tiny model and a few steps.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../../src/core/index.js';
import { repoRoot, runCliAsync } from '../helpers/cli.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-resume-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TINY = ['model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64', 'model.max_seq_len=64'];

/** `rlmkit train` arguments; a run from model.init takes the checkpoint's sizes, others the tiny ones. */
function args(recipe: string, run: string, sets: string[], extra: string[] = []): string[] {
  const sizes = sets.some((s) => s.startsWith('model.init=')) ? [] : TINY;
  return [
    'train',
    '--config',
    recipe,
    '--run',
    run,
    '--quiet',
    ...[...sizes, `run.root=${root}`, ...sets].flatMap((s) => ['--set', s]),
    ...extra,
  ];
}

/** Metrics without the wall-clock fields, which differ between runs. */
function comparable(run: string): Record<string, unknown>[] {
  return readJsonl<Record<string, unknown>>(path.join(root, run, 'metrics.jsonl')).map((r) =>
    Object.fromEntries(
      Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time_') && !k.startsWith('share_') && !k.endsWith('_per_s')),
    ),
  );
}

/** Starts a run and SIGKILLs it once metrics.jsonl shows `killAtStep` (past a checkpoint). */
function runAndKill(argv: string[], metricsFile: string, killAtStep: number): Promise<{ killed: boolean; stderr: string }> {
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

describe('SIGKILL mid-training, then --resume', () => {
  it('SFT: the resumed run logs exactly the metrics of an uninterrupted one', async () => {
    const sets = ['sft.steps=7', 'sft.batch_size=8', 'checkpoint_every=3', 'log_every=1'];
    const full = await runCliAsync(args('recipes/game24-sft.yaml', 'full', sets));
    expect(full.code, full.stderr).toBe(0);

    const killed = await runAndKill(args('recipes/game24-sft.yaml', 'killed', sets), path.join(root, 'killed', 'metrics.jsonl'), 5);
    expect(killed.killed, killed.stderr).toBe(true);
    const partial = comparable('killed');
    expect(partial.length).toBeGreaterThanOrEqual(5);
    expect(partial.length).toBeLessThan(7);

    const resumed = await runCliAsync(args('recipes/game24-sft.yaml', 'killed', sets, ['--resume']));
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = comparable('full');
    const b = comparable('killed');
    expect(a.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(b).toEqual(a);
  });

  it('RL (GRPO from the SFT checkpoint): rollouts, scoring and updates repeat exactly after a kill', async () => {
    expect(fs.existsSync(path.join(root, 'full', 'checkpoints', 'final.json'))).toBe(true);
    const sets = [
      'task.name=game24',
      `model.init=${path.join(root, 'full')}`,
      'rl.steps=4',
      'rl.prompts_per_step=4',
      'rl.group_size=4',
      'rl.dynamic_sampling=false',
      'rl.reward=format-verifier',
      'rl.overlong.soft=null',
      'rl.rollout.max_new_tokens=24',
      'rl.eval_problems=4',
      'rl.eval_every=2',
      'checkpoint_every=2',
      'log_every=1',
    ];
    const full = await runCliAsync(args('recipes/countdown-grpo.yaml', 'rl-full', sets));
    expect(full.code, full.stderr).toBe(0);
    const killed = await runAndKill(
      args('recipes/countdown-grpo.yaml', 'rl-killed', sets),
      path.join(root, 'rl-killed', 'metrics.jsonl'),
      3,
    );
    expect(killed.killed, killed.stderr).toBe(true);
    const resumed = await runCliAsync(args('recipes/countdown-grpo.yaml', 'rl-killed', sets, ['--resume']));
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = comparable('rl-full');
    expect(a.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    expect(a.slice(1).every((r) => typeof r.pg_loss === 'number' && typeof r.entropy === 'number')).toBe(true);
    expect(comparable('rl-killed')).toEqual(a);
  });
});
