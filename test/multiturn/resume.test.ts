/**
 * SIGKILL and resume for the multi-turn pipelines: a multi-turn SFT run, then an ArCHer run (its
 * critic, replay buffer and policy all in the checkpoint) killed mid-training with SIGKILL and
 * resumed with --resume, logs exactly the metrics of an uninterrupted run (timings aside).
 * Real `rlmkit train` subprocesses, a tiny model, a few steps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { comparableMetrics, runAndKill, trainArgs } from '../helpers/train-runs.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-mt-resume-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TINY = ['model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64', 'model.max_seq_len=112'];

const args = (recipe: string, run: string, sets: string[], extra: string[] = []) => trainArgs(root, TINY, recipe, run, sets, extra);
const comparable = (run: string) => comparableMetrics(root, run);

describe('multi-turn SIGKILL then --resume', () => {
  it('ArCHer (critic, replay buffer, policy) repeats exactly after a kill', async () => {
    const sft = await runCliAsync(args('recipes/calc-tool-sft.yaml', 'sft', ['sft.steps=4', 'sft.batch_size=8', 'checkpoint_every=4']));
    expect(sft.code, sft.stderr).toBe(0);
    const sets = [
      `model.init=${path.join(root, 'sft')}`,
      'rl.steps=5',
      'rl.prompts_per_step=3',
      'rl.group_size=2',
      'rl.eval_problems=4',
      'rl.eval_every=2',
      'checkpoint_every=2',
      'multiturn.archer.warmup_steps=1',
      'multiturn.archer.critic_batch=4',
      'multiturn.archer.replay_episodes=8',
      'multiturn.max_turn_tokens=16',
    ];
    const full = await runCliAsync(args('recipes/calc-tool-archer.yaml', 'full', sets));
    expect(full.code, full.stderr).toBe(0);
    const killed = await runAndKill(args('recipes/calc-tool-archer.yaml', 'killed', sets), path.join(root, 'killed', 'metrics.jsonl'), 3);
    expect(killed.killed, killed.stderr).toBe(true);
    const partial = comparable('killed');
    expect(partial.length).toBeLessThan(6);
    const resumed = await runCliAsync(args('recipes/calc-tool-archer.yaml', 'killed', sets, ['--resume']));
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = comparable('full');
    expect(a.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    // the actor was updated after the warm-up and the critic trained every step
    expect(a.slice(2).every((r) => typeof r.pg_loss === 'number' && typeof r.critic_loss === 'number')).toBe(true);
    expect(comparable('killed')).toEqual(a);
  }, 600_000);
});
