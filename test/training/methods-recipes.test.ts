/**
 * Issue 21's method recipes (StableReinforce, CAMPO's adaptive repetition penalty, TP-GRPO,
 * ReST-GRPO) at toy size through `rlmkit train` (real subprocesses, the shipped Game of 24 policy):
 * each runs and logs what its option did.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { runMetrics, trainArgs } from '../helpers/train-runs.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-methods-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TOY = [
  'rl.steps=2',
  'rl.prompts_per_step=6',
  'rl.group_size=4',
  'rl.mini_batches=1',
  'rl.rollout.max_new_tokens=40',
  'rl.eval_problems=4',
  'rl.eval_every=2',
  'checkpoint_every=2',
  'log_every=1',
  'task.limit=60',
];
async function train(recipe: string, sets: string[] = []): Promise<Record<string, number | null>[]> {
  const r = await runCliAsync(trainArgs(root, [], `recipes/${recipe}.yaml`, recipe, [...TOY, ...sets]));
  expect(r.code, r.stderr).toBe(0);
  return runMetrics(root, recipe);
}
const steps = (m: Record<string, number | null>[]) => m.filter((r) => r.step !== 0 && r.reward !== undefined);

describe('issue-21 method recipes at toy size', () => {
  it('StableReinforce: pre-clipped loss, advantage filter share logged, consistency-shaped reward', async () => {
    const m = steps(await train('game24-stable-reinforce', ['rl.methods.advantage_filter.sigma=1']));
    expect(m).toHaveLength(2);
    // with sigma 1 some advantages always lie outside: the filter acts and says how much
    const shares = m.map((r) => r.advantage_filtered_share).filter((x) => typeof x === 'number') as number[];
    expect(shares.length).toBeGreaterThan(0);
    expect(shares.every((x) => x >= 0 && x < 1)).toBe(true);
    // reward = correctness + 0.5 * gated consistency: a correct rollout scores 1.5
    for (const r of m) expect(r.reward!).toBeCloseTo(1.5 * r.accuracy!, 4);
  }, 300_000);

  it('CAMPO adaptive repetition: the penalty only lowers the reward', async () => {
    const m = steps(await train('game24-campo-repetition'));
    expect(m).toHaveLength(2);
    for (const r of m) expect(r.reward!).toBeLessThanOrEqual(r.accuracy! + 1e-9);
  }, 300_000);

  it('TP-GRPO: thought rewards from the rule PRM per response', async () => {
    const m = steps(await train('game24-tp-grpo'));
    const t = m.filter((r) => typeof r.thoughts_per_response === 'number');
    expect(t.length).toBeGreaterThan(0);
    for (const r of t) {
      expect(r.thoughts_per_response!).toBeGreaterThan(0);
      expect(r.thought_reward!).toBeGreaterThanOrEqual(0);
      expect(r.thought_reward!).toBeLessThanOrEqual(1);
    }
  }, 300_000);

  it('ReST-GRPO: keeps at most `keep` groups, of larger reward std than the sampled ones', async () => {
    const m = steps(await train('game24-rest-grpo', ['rl.methods.group_select.keep=3', 'rl.methods.group_select.min_std=0']));
    for (const r of m) {
      if (r.kept_samples === undefined || r.kept_samples === null) continue;
      expect(r.kept_samples).toBeLessThanOrEqual(3 * 4);
      if (r.group_select_kept_std !== undefined && r.group_select_kept_std !== null && r.group_select_all_std! > 0)
        expect(r.group_select_kept_std).toBeGreaterThanOrEqual(r.group_select_all_std!);
    }
  }, 300_000);
});
