/**
 * The issue-21 loop recipes at toy size through `rlmkit train` (real subprocesses, the shipped Game
 * of 24 policy): each runs, logs what its option does, and a run with the stateful options
 * (curriculum pass rates, NLPO's masking policy, entropy-selected checkpoint, length stages)
 * killed with SIGKILL and resumed logs exactly what an uninterrupted run logs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { comparableMetrics, runAndKill, runMetrics, trainArgs } from '../helpers/train-runs.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-rl-loop-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TOY = [
  'rl.steps=2',
  'rl.prompts_per_step=4',
  'rl.group_size=4',
  'rl.mini_batches=1',
  'rl.rollout.max_new_tokens=40',
  'rl.eval_problems=4',
  'rl.eval_every=2',
  'checkpoint_every=2',
  'log_every=1',
];
const args = (recipe: string, run: string, sets: string[] = [], extra: string[] = []) =>
  trainArgs(root, [], `recipes/${recipe}.yaml`, run, [...TOY, ...sets], extra);
const metrics = (run: string) => runMetrics(root, run);
const latest = (run: string) =>
  JSON.parse(fs.readFileSync(path.join(root, run, 'checkpoints', 'rl', 'latest.json'), 'utf8')) as {
    step: number;
    state: Record<string, unknown>;
  };
const train = async (recipe: string, run: string, sets: string[] = []) => {
  const r = await runCliAsync(args(recipe, run, sets));
  expect(r.code, r.stderr).toBe(0);
  return metrics(run);
};

describe('issue-21 loop recipes at toy size', () => {
  it('Observe-R1: curriculum state per problem in the checkpoint, open share growing, group weights logged', async () => {
    const m = await train('game24-observe-r1', 'observe', ['rl.curriculum.ramp_steps=4', 'task.limit=40']);
    expect(m[1].curriculum_open).toBeCloseTo(0.3 + 0.7 / 4, 6);
    expect(m[2].curriculum_open).toBeCloseTo(0.3 + 1.4 / 4, 6);
    expect(m[2].curriculum_seen).toBeGreaterThanOrEqual(m[1].curriculum_seen!);
    const rates = latest('observe').state.curriculum as (number | null)[];
    expect(rates).toHaveLength(40);
    expect(rates.filter((x) => x !== null).length).toBe(m[2].curriculum_seen);
    expect(rates.every((x) => x === null || (x >= 0 && x <= 1))).toBe(true);
  }, 300_000);

  it('RLCS (with the rl.methods hooks) and MaskSearch levels run; levels stays at its stage bound', async () => {
    const a = await train('game24-rlcs', 'rlcs', [
      'rl.steps=3',
      'rl.methods={group_select: {min_std: 0.01}, advantage_filter: {sigma: 3}, thought_rewards: {source: rules, alpha: 0.5}}',
    ]);
    expect(a[3].curriculum_seen).toBeGreaterThan(0);
    // ReST-GRPO's selection runs every step; TP-GRPO and the 3-sigma filter on every step that trains
    expect(a.slice(1).every((r) => typeof r.group_select_dropped === 'number')).toBe(true);
    for (const r of a.slice(1).filter((x) => x.kept_samples! > 0)) {
      expect(r.thoughts_per_response).toBeGreaterThan(0);
      expect(r.advantage_filtered_share).toBeGreaterThanOrEqual(0);
    }
    const b = await train('countdown-levels', 'levels');
    expect(b.slice(1).map((r) => r.curriculum_level)).toEqual([3, 3]);
  }, 300_000);

  it('mixture: slots shared between the tasks, held-out accuracy per task', async () => {
    const m = await train('game24-countdown-mixture', 'mixture');
    expect(typeof m[0].eval_accuracy_game24).toBe('number');
    expect(typeof m[0].eval_accuracy_countdown).toBe('number');
    for (const r of m.slice(1)) expect(r.mixture_share_game24! + r.mixture_share_countdown!).toBeCloseTo(1, 9);
    // 4 held-out problems of each task
    expect(m[0].eval_problems).toBe(8);
  }, 300_000);

  it('length stages: the stage limits rollouts and group size', async () => {
    const m = await train('game24-length-stages', 'stages', [
      'rl.length_stages=[{steps: 1, max_new_tokens: 12, group_size: 2}, {steps: 5, max_new_tokens: 30}]',
    ]);
    expect([m[1].max_new_tokens, m[1].group_size, m[1].length_stage]).toEqual([12, 2, 0]);
    expect([m[2].max_new_tokens, m[2].group_size, m[2].length_stage]).toEqual([30, 4, 1]);
    expect(m[1].response_length).toBeLessThanOrEqual(12);
    expect(m[1].rollout_tokens).toBeLessThanOrEqual(4 * 2 * 12);
  }, 300_000);

  it('NLPO and entropy selection: off-mask mass logged, masking policy and selected checkpoint saved', async () => {
    const n = await train('game24-nlpo', 'nlpo');
    expect(n.slice(1).every((r) => r.nlpo_off_mask_mass! >= 0 && r.nlpo_off_mask_mass! < 1)).toBe(true);
    expect(latest('nlpo').state.nlpoMaskStep).toBe(1);
    expect(fs.existsSync(path.join(root, 'nlpo', 'checkpoints', 'rl', 'nlpo-mask-step-1.safetensors'))).toBe(true);

    const e = await train('game24-entropy-select', 'entropy', ['rl.steps=4']);
    const logged = e.filter((r) => typeof r.critical_entropy === 'number');
    expect(logged.map((r) => r.step)).toEqual([2, 4]);
    const best = logged.reduce((a, b) => (b.critical_entropy! > a.critical_entropy! ? b : a));
    const final = JSON.parse(fs.readFileSync(path.join(root, 'entropy', 'checkpoints', 'final.json'), 'utf8')) as { policy: string };
    expect(final.policy).toBe(path.join('rl', 'selected', `policy-step-${best.step}.safetensors`));
    expect(fs.readdirSync(path.join(root, 'entropy', 'checkpoints', 'rl', 'selected'))).toEqual([`policy-step-${best.step}.safetensors`]);
  }, 300_000);

  it('SIGKILL and --resume with curriculum, group weights, NLPO, stages and entropy selection repeat exactly', async () => {
    const sets = [
      'rl.steps=4',
      'rl.curriculum.name=observe_r1',
      'rl.curriculum.ramp_steps=3',
      'rl.group_weighting={}',
      'rl.nlpo={sync_every: 3}',
      'rl.policy_loss.name=tis',
      'rl.select_checkpoint=entropy',
      'rl.length_stages=[{steps: 2, max_new_tokens: 24}]',
      'rl.eval_problems=2',
      'rl.critical_entropy={problems: 2}',
    ];
    const full = await runCliAsync(args('game24-observe-r1', 'r-full', sets));
    expect(full.code, full.stderr).toBe(0);
    const killed = await runAndKill(args('game24-observe-r1', 'r-killed', sets), path.join(root, 'r-killed', 'metrics.jsonl'), 3);
    expect(killed.killed, killed.stderr).toBe(true);
    const resumed = await runCliAsync(args('game24-observe-r1', 'r-killed', sets, ['--resume']));
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = comparableMetrics(root, 'r-full');
    expect(a.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    expect(comparableMetrics(root, 'r-killed')).toEqual(a);
    expect(latest('r-killed').state).toEqual(latest('r-full').state);
  }, 600_000);
});
