/**
 * The ablation harness of `rlmkit bench ablation`: every arm is a valid RL section, arms merge into
 * plain GRPO, and a toy run (one RL step per arm) writes the JSON and markdown table with the
 * paired comparison against plain GRPO, and a rerun keeps finished arms.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ABLATION_ARMS, armSection, mergeSection, plainGrpoSection } from '../../src/training/ablation-arms.js';
import { armSections, runAblation } from '../../src/training/ablation.js';

const checkpoint = path.resolve('checkpoints/game24-sft/policy.safetensors');
const budget = { steps: 1, prompts: 2, group: 2, maxNewTokens: 48 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-ablation-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('ablation arms', () => {
  it('merge objects key by key; arrays, scalars and null replace', () => {
    expect(mergeSection({ a: { b: 1, c: 2 }, d: [1, 2], e: 1 }, { a: { c: 3 }, d: [3], e: null })).toEqual({
      a: { b: 1, c: 3 },
      d: [3],
      e: null,
    });
    const rest = ABLATION_ARMS.find((a) => a.name === 'rest-grpo')!;
    expect(armSection(rest, { ...budget, prompts: 8 }).prompts_per_step).toBe(16);
    expect(plainGrpoSection(budget).dynamic_sampling).toBe(true);
  });

  it('every arm is a valid RL section at a toy budget, and a typo is refused before any training', () => {
    const sections = armSections({ ...budget, arms: ABLATION_ARMS.map((a) => a.name) });
    expect(Object.keys(sections)).toEqual(ABLATION_ARMS.map((a) => a.name));
    expect(sections['stable-reinforce'].policy_loss.pre_clip).toBe(3);
    expect(() => armSections({ ...budget, arms: ['grpo', 'no-such-arm'] })).toThrow(/unknown ablation arm "no-such-arm"/);
  });

  it('a combination a+b merges the parts and refuses parts that set the same key differently', () => {
    const combo = armSections({ ...budget, prompts: 8, arms: ['observe-r1+rest-grpo+tp-grpo'] })['observe-r1+rest-grpo+tp-grpo'];
    const alone = armSections({ ...budget, prompts: 8, arms: ['observe-r1', 'rest-grpo', 'tp-grpo'] });
    expect(combo.curriculum).toEqual(alone['observe-r1'].curriculum);
    expect(combo.group_weighting).toEqual(alone['observe-r1'].group_weighting);
    expect(combo.methods.group_select).toEqual(alone['rest-grpo'].methods.group_select);
    expect(combo.methods.thought_rewards).toEqual(alone['tp-grpo'].methods.thought_rewards);
    expect(combo.prompts_per_step).toBe(16);
    // the hot StableReinforce arm is the combination of its two parts
    const hot = armSections({ ...budget, arms: ['stable-reinforce+grpo-hot', 'stable-reinforce-hot'] });
    expect(hot['stable-reinforce+grpo-hot']).toEqual(hot['stable-reinforce-hot']);
    expect(() => armSections({ ...budget, arms: ['stable-reinforce+campo-repetition'] })).toThrow(
      /stable-reinforce and campo-repetition both set rl\.reward/,
    );
    expect(() => armSections({ ...budget, arms: ['grpo-reseed+observe-r1'] })).toThrow(/cannot be combined/);
    expect(() => armSections({ ...budget, arms: ['rlcs+rlcs'] })).toThrow(/names a part twice/);
    expect(() => armSections({ ...budget, arms: ['observe-r1+nope'] })).toThrow(/unknown ablation arm "observe-r1\+nope"/);
  });
});

describe('ablation run (toy size)', () => {
  it('runs plain GRPO and an arm, writes the table with paired CIs, and skips finished arms on a rerun', async () => {
    const o = { task: 'game24', checkpoint, out: tmp, ...budget, heldOut: 104, samples: 2, seeds: [0], progress: 'silent' as const };
    const r = await runAblation({ ...o, arms: ['campo-repetition'] });
    expect(r.heldout_problems).toBe(104);
    expect(Object.keys(r.arms)).toEqual(['grpo', 'campo-repetition']);
    const arm = r.arms['campo-repetition'];
    expect(arm.rollout_tokens).toBeGreaterThan(0);
    expect(arm.zero_variance_share).toBeGreaterThanOrEqual(0);
    expect(arm.zero_variance_share).toBeLessThanOrEqual(1);
    expect(arm.vs_baseline!.greedy.problems).toBe(104);
    expect(arm.vs_baseline!.sampled.difference.lo).toBeLessThanOrEqual(arm.vs_baseline!.sampled.difference.hi);
    expect(arm.per_seed.map((s) => s.seed)).toEqual([0]);
    expect(arm.per_seed[0].vs_baseline).toEqual(arm.vs_baseline);
    const md = fs.readFileSync(path.join(tmp, 'ablation.md'), 'utf8');
    expect(md).toContain('| campo-repetition |');
    expect(md).toContain('104 held-out problems');
    const grpoFile = path.join(tmp, 'per-problem', 'grpo-s0.json');
    const sha = createHash('sha256').update(fs.readFileSync(checkpoint)).digest('hex');
    expect((JSON.parse(fs.readFileSync(grpoFile, 'utf8')) as { stamp: { checkpoint_sha256: string } }).stamp.checkpoint_sha256).toBe(sha);
    const before = fs.statSync(grpoFile).mtimeMs;
    const again = await runAblation({ ...o, arms: ['grpo'] });
    expect(again.arms.grpo.greedy_accuracy).toBe(r.arms.grpo.greedy_accuracy);
    expect(fs.statSync(path.join(tmp, 'per-problem', 'grpo-s0.json')).mtimeMs).toBe(before);
  }, 240_000);

  it('adds a seed to finished ones: per-seed rows against GRPO at that seed, pooled over problems x seeds', async () => {
    const out = path.join(tmp, 'seeds');
    const o = { task: 'game24', checkpoint, out, ...budget, heldOut: 40, samples: 2, progress: 'silent' as const };
    const combo = 'observe-r1+rest-grpo';
    const one = await runAblation({ ...o, arms: [combo], seeds: [0] });
    const seed0 = path.join(out, 'per-problem', 'observe-r1.rest-grpo-s0.json');
    const before = fs.statSync(seed0).mtimeMs;
    const two = await runAblation({ ...o, arms: [combo], seeds: [0, 1] });
    expect(fs.statSync(seed0).mtimeMs).toBe(before);
    const a = two.arms[combo];
    expect(a.seeds).toEqual([0, 1]);
    expect(a.per_seed[0]).toEqual(one.arms[combo].per_seed[0]);
    expect(a.per_seed[1].vs_baseline!.greedy.current).toBeCloseTo(a.per_seed[1].greedy_accuracy, 10);
    expect(a.per_seed[1].vs_baseline!.greedy.baseline).toBeCloseTo(two.arms.grpo.per_seed[1].greedy_accuracy, 10);
    // equal samples per seed: the pooled accuracy is the mean of the seeds'
    const meanOf = (k: 'greedy_accuracy' | 'sampled_accuracy') => (a.per_seed[0][k] + a.per_seed[1][k]) / 2;
    expect(a.greedy_accuracy).toBeCloseTo(meanOf('greedy_accuracy'), 10);
    expect(a.sampled_accuracy).toBeCloseTo(meanOf('sampled_accuracy'), 10);
    expect(a.vs_baseline!.sampled.difference.mean).toBeCloseTo(a.sampled_accuracy - two.arms.grpo.sampled_accuracy, 10);
    const md = fs.readFileSync(path.join(out, 'ablation.md'), 'utf8');
    expect(md).toContain(`| ${combo} | 1 |`);
  }, 400_000);
});
