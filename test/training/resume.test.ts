/**
 * Checkpoint and resume: a training run killed with SIGKILL mid-training resumes from its last
 * checkpoint and logs the same metrics as an uninterrupted run with the same seed (timings aside).
 * Real subprocesses of `rlmkit train`, a tiny model and a few steps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { comparableMetrics, runAndKill, trainArgs } from '../helpers/train-runs.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-resume-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TINY = ['model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64', 'model.max_seq_len=64'];

const args = (recipe: string, run: string, sets: string[], extra: string[] = []) => trainArgs(root, TINY, recipe, run, sets, extra);
const comparable = (run: string) => comparableMetrics(root, run);

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
