/**
 * The ablation harness of `rlmkit bench ablation`: every arm is a valid RL section, arms merge into
 * plain GRPO, and a toy run (one RL step per arm) writes the JSON and markdown table with the
 * paired comparison against plain GRPO, and a rerun keeps finished arms.
 */
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
});

describe('ablation run (toy size)', () => {
  it('runs plain GRPO and an arm, writes the table with paired CIs, and skips finished arms on a rerun', async () => {
    const o = { task: 'game24', checkpoint, out: tmp, ...budget, heldOut: 104, samples: 2, seeds: [0], progress: 'silent' as const };
    const r = await runAblation({ ...o, arms: ['campo-repetition'] });
    expect(r.heldout_problems).toBe(104);
    expect(Object.keys(r.arms)).toEqual(['grpo', 'campo-repetition']);
    const arm = r.arms['campo-repetition'];
    expect(arm.rollout_tokens).toBeGreaterThan(0);
    expect(arm.vs_baseline!.greedy.problems).toBe(104);
    expect(arm.vs_baseline!.sampled.difference.lo).toBeLessThanOrEqual(arm.vs_baseline!.sampled.difference.hi);
    const md = fs.readFileSync(path.join(tmp, 'ablation.md'), 'utf8');
    expect(md).toContain('| campo-repetition |');
    expect(md).toContain('104 held-out problems');
    const before = fs.statSync(path.join(tmp, 'per-problem', 'grpo.json')).mtimeMs;
    const again = await runAblation({ ...o, arms: ['grpo'] });
    expect(again.arms.grpo.greedy_accuracy).toBe(r.arms.grpo.greedy_accuracy);
    expect(fs.statSync(path.join(tmp, 'per-problem', 'grpo.json')).mtimeMs).toBe(before);
  }, 240_000);
});
