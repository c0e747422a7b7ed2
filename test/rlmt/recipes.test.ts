/**
 * The RLMT recipes at toy size through `rlmkit train` (real subprocesses): a reward model from the
 * shipped Game of 24 policy's own samples ranked by the rule (recipes/word-sorting-rm.yaml with the
 * task and policy swapped for ones a fresh clone has), then GRPO rewarded only by that model
 * (recipes/word-sorting-rlmt.yaml). Checks what each logs: held-out pair accuracy, rewards that are
 * reward-model scores or the format penalty (never the checker's 0/1), and the true accuracy apart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/engine/index.js';
import { runCliAsync } from '../helpers/cli.js';
import { runMetrics, trainArgs } from '../helpers/train-runs.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-rlmt-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const POLICY = 'model.init=checkpoints/game24-sft/policy.safetensors';
const SCALE = 4;
const PENALTY = -5;

describe('RLMT recipes at toy size', () => {
  it('pipeline rm trains a reward model on rule-ranked pairs, then rl is rewarded by it alone', async () => {
    const rm = await runCliAsync(
      trainArgs(root, [], 'recipes/word-sorting-rm.yaml', 'rm', [
        POLICY,
        'task.name=game24',
        'task.limit=24',
        'rm.steps=3',
        'rm.batch_size=8',
        'rm.samples_per_problem=4',
        'rm.held_out_problems=10',
        'rm.sees=completion',
        'rm.rollout.max_new_tokens=40',
        'checkpoint_every=3',
        'log_every=1',
      ]),
    );
    expect(rm.code, rm.stderr).toBe(0);
    const rmMetrics = runMetrics(root, 'rm');
    expect(rmMetrics.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(rmMetrics[0].train_pairs).toBeGreaterThan(0);
    expect(rmMetrics[0].held_out_pairs).toBeGreaterThan(0);
    for (const r of [rmMetrics[0], rmMetrics[3]]) {
      expect(r.val_pair_accuracy).toBeGreaterThanOrEqual(0);
      expect(r.val_pair_accuracy).toBeLessThanOrEqual(1);
    }
    for (const r of rmMetrics.slice(1)) expect(r.loss).toBeGreaterThan(0);
    const finals = JSON.parse(fs.readFileSync(path.join(root, 'rm', 'checkpoints', 'final.json'), 'utf8')) as Record<string, string>;
    const ck = loadCheckpoint(path.join(root, 'rm', 'checkpoints', finals.reward));
    expect(ck.kind).toBe('reward');
    expect(ck.extra.reward_model).toMatchObject({ scale: SCALE, sees: 'completion', task: 'game24' });

    const rl = await runCliAsync(
      trainArgs(root, [], 'recipes/word-sorting-rlmt.yaml', 'rlmt', [
        POLICY,
        'task.name=game24',
        'task.limit=40',
        `rl.reward.reward_model.checkpoint=${path.join(root, 'rm')}`,
        'rl.steps=2',
        'rl.prompts_per_step=4',
        'rl.group_size=4',
        'rl.mini_batches=1',
        'rl.eval_problems=4',
        'rl.eval_every=2',
        'checkpoint_every=2',
        'log_every=1',
      ]),
    );
    expect(rl.code, rl.stderr).toBe(0);
    const m = runMetrics(root, 'rlmt').filter((r) => r.step !== 0 && r.reward !== undefined);
    expect(m).toHaveLength(2);
    for (const r of m) {
      // mean of RM scores in [-scale, scale] or the format penalty, plus DAPO's soft overlong term (<= 0)
      expect(r.reward!).toBeGreaterThanOrEqual(PENALTY - 1);
      expect(r.reward!).toBeLessThanOrEqual(SCALE);
      // the true score is logged apart, from the rule checker
      expect(r.accuracy!).toBeGreaterThanOrEqual(0);
      expect(r.accuracy!).toBeLessThanOrEqual(1);
    }
    // the reward is not the checker's: a 0/1 reward would make reward == accuracy at every step
    expect(m.some((r) => Math.abs(r.reward! - r.accuracy!) > 1e-6)).toBe(true);
    const finalsRl = JSON.parse(fs.readFileSync(path.join(root, 'rlmt', 'checkpoints', 'final.json'), 'utf8')) as Record<string, string>;
    expect(finalsRl.policy).toMatch(/policy-step-2\.safetensors$/);
  }, 600_000);

  it('a reward_model that is not a reward model stops the run with one clear line (exit 2)', async () => {
    const r = await runCliAsync(
      trainArgs(root, [], 'recipes/word-sorting-rlmt.yaml', 'bad', [
        POLICY,
        'task.name=game24',
        'rl.reward.reward_model.checkpoint=checkpoints/game24-sft/policy.safetensors',
        'rl.steps=1',
        'rl.prompts_per_step=2',
        'rl.group_size=2',
        'rl.mini_batches=1',
        'rl.eval_problems=0',
      ]),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a reward model/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 300_000);
});
