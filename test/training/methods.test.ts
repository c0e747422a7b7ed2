/**
 * Issue 21's per-batch methods against values computed by hand: StableReinforce (pre-clip, 3-sigma
 * advantage filter, consistency reward), CAMPO's adaptive repetition penalty, ReST-GRPO's group
 * selection and TP-GRPO's thought-level advantages.
 */
import { describe, expect, it } from 'vitest';
import { buildReward } from '../../src/rewards/index.js';
import { repetitionOnset, repetitionUnits } from '../../src/rewards/method-terms.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import {
  RlMethodsSectionSchema,
  advantageFilter,
  matrix,
  methodsFilterAdvantages,
  methodsSelectGroups,
  ppoClipToken,
  preClipBound,
  preClippedRatio,
  processAdvantages,
  selectGroups,
  splitThoughts,
  thoughtAdvantages,
} from '../../src/training/algos/index.js';
import { PolicyLossSectionSchema } from '../../src/training/algos/policy-loss-config.js';
import { ruleThoughtScorer } from '../../src/training/thoughts.js';

describe('StableReinforce pre-clip (R1-Reward eq. 6)', () => {
  it('clips the log ratio to [-ln d, ln d] before exp', () => {
    expect(preClippedRatio(Math.log(5), 3)).toBeCloseTo(3, 12);
    expect(preClippedRatio(-Math.log(5), 3)).toBeCloseTo(1 / 3, 12);
    expect(preClippedRatio(0.1, 3)).toBeCloseTo(Math.exp(0.1), 12);
    expect(preClipBound(null, 20)).toBe(20);
    expect(preClipBound(3, 20)).toBeCloseTo(Math.log(3), 12);
    expect(() => preClipBound(1, 20)).toThrow(/must be > 1/);
  });

  it('bounds the PPO loss of a huge ratio with a negative advantage', () => {
    const o = { clipLow: 0.2, clipHigh: 0.2 };
    // ratio 10, A = -1: L = max(-A*10, -A*1.2) = 10 without pre-clip, max(3, 1.2) = 3 with delta 3
    expect(ppoClipToken(Math.log(10), 0, -1, o).loss).toBeCloseTo(10, 6);
    expect(ppoClipToken(Math.log(10), 0, -1, { ...o, preClip: 3 }).loss).toBeCloseTo(3, 6);
    // inside the bound nothing changes: ratio 1.1, A = 2 -> max(-2.2, -2.2) = -2.2
    expect(ppoClipToken(Math.log(1.1), 0, 2, { ...o, preClip: 3 }).loss).toBeCloseTo(-2.2, 6);
  });

  it('is a policy_loss recipe key, off by default and > 1 when set', () => {
    expect(PolicyLossSectionSchema.parse({}).pre_clip).toBeNull();
    expect(PolicyLossSectionSchema.parse({ pre_clip: 3 }).pre_clip).toBe(3);
    expect(PolicyLossSectionSchema.safeParse({ pre_clip: 0.5 }).success).toBe(false);
  });
});

describe('StableReinforce advantage filter (3-sigma rule)', () => {
  it('masks tokens whose batch z-score exceeds sigma', () => {
    // 19 zeros and one 10: mean 0.5, std sqrt(95/19) = sqrt(5); z(10) = 9.5/sqrt(5) = 4.25 > 3
    const adv = matrix(4, 5, [...Array(19).fill(0), 10]);
    const mask = matrix(4, 5, Array(20).fill(1));
    const r = advantageFilter(adv, mask, 3);
    expect(r.mean).toBeCloseTo(0.5, 6);
    expect(r.std).toBeCloseTo(Math.sqrt(5), 6);
    expect(r.filteredShare).toBeCloseTo(1 / 20, 12);
    expect(Array.from(r.mask.data)).toEqual([...Array(19).fill(1), 0]);
    expect(advantageFilter(adv, mask, 5).filteredShare).toBe(0);
    // nine zeros and one 10: z = 9/sqrt(10) = 2.85 < 3, kept
    expect(advantageFilter(matrix(1, 10, [...Array(9).fill(0), 10]), matrix(1, 10, Array(10).fill(1))).filteredShare).toBe(0);
  });

  it('ignores padding and leaves an all-equal batch alone', () => {
    const adv = matrix(1, 4, [1, 1, 1, 99]);
    const mask = matrix(1, 4, [1, 1, 1, 0]);
    const r = advantageFilter(adv, mask);
    expect(r.std).toBe(0);
    expect(Array.from(r.mask.data)).toEqual([1, 1, 1, 0]);
  });

  it('runs from the methods section only when configured', () => {
    const m = RlMethodsSectionSchema.parse({});
    const adv = matrix(1, 2, [0, 1]);
    const mask = matrix(1, 2, [1, 1]);
    expect(methodsFilterAdvantages(m, adv, mask)).toBeNull();
    expect(methodsFilterAdvantages(RlMethodsSectionSchema.parse({ advantage_filter: {} }), adv, mask)!.filteredShare).toBe(0);
  });
});

describe('ReST-GRPO group selection', () => {
  const scores = [1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0];
  const groups = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
  it('keeps the highest-std groups above min_std (population std)', () => {
    // stds: g0 0.5, g1 sqrt(3)/4 = 0.433, g2 0, g3 0.433; keep 2 -> g0 and g1 (tie with g3 broken by first row)
    const r = selectGroups(scores, groups, { minStd: 0.05, keep: 2 });
    expect(r.keepRows).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.droppedGroups).toBe(2);
    expect(r.keptMeanStd).toBeCloseTo((0.5 + Math.sqrt(3) / 4) / 2, 12);
    expect(r.allMeanStd).toBeCloseTo((0.5 + 2 * (Math.sqrt(3) / 4)) / 4, 12);
    // no cap: every group with std >= 0.45 -> only g0
    expect(selectGroups(scores, groups, { minStd: 0.45, keep: null }).keepRows).toEqual([0, 1, 2, 3]);
    // min_std 0 still drops zero-variance groups (DAPO's dynamic sampling as the special case)
    expect(selectGroups(scores, groups, { minStd: 0, keep: null }).droppedGroups).toBe(1);
  });
  it('validates its settings and the methods section wires it', () => {
    expect(() => selectGroups([1], [0, 1], { minStd: 0, keep: null })).toThrow(/2 group ids/);
    expect(() => selectGroups(scores, groups, { minStd: 0, keep: 0 })).toThrow(/positive integer/);
    expect(methodsSelectGroups(RlMethodsSectionSchema.parse({}), scores, groups)).toBeNull();
    const m = RlMethodsSectionSchema.parse({ group_select: { min_std: 0.05, keep: 1 } });
    expect(methodsSelectGroups(m, scores, groups)!.keepRows).toEqual([0, 1, 2, 3]);
  });
});

describe('TP-GRPO thought-level advantages', () => {
  it('splits responses into thoughts at the step markers', () => {
    expect(splitThoughts([5, 3, 6, 7, 3, 9, 2], (id) => id === 3 || id === 2)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 5 },
      { start: 5, end: 7 },
    ]);
    expect(splitThoughts([5, 3, 6], (id) => id === 3, false)).toEqual([{ start: 0, end: 2 }]);
  });

  it('normalises thought rewards per group and sums them over the thoughts ending at or after a token', () => {
    // one group: row 0 thoughts [0,2) r=1, [2,4) r=0; row 1 one thought [0,3) r=1 (3 tokens, 1 pad)
    // all rewards {1, 0, 1}: mean 2/3, std sqrt(1/3); normalised: 1 -> 1/sqrt(3), 0 -> -2/sqrt(3)
    const mask = matrix(2, 4, [1, 1, 1, 1, 1, 1, 1, 0]);
    const input = {
      mask,
      groups: [0, 0],
      spans: [
        [
          { start: 0, end: 2 },
          { start: 2, end: 4 },
        ],
        [{ start: 0, end: 3 }],
      ],
      rewards: [[1, 0], [1]],
    };
    const p = processAdvantages(input);
    const a = 1 / Math.sqrt(3);
    const b = -2 / Math.sqrt(3);
    const want = [a + b, a + b, b, b, a, a, a, 0];
    Array.from(p.data).forEach((v, k) => expect(v).toBeCloseTo(want[k], 5));
    const outcome = matrix(2, 4, [1, 1, 1, 1, -1, -1, -1, 0]);
    const mixed = thoughtAdvantages({ ...input, outcome, alpha: 0.5 });
    const wantMixed = want.map((w, k) => (mask.data[k] ? outcome.data[k] + 0.5 * w : 0));
    Array.from(mixed.data).forEach((v, k) => expect(v).toBeCloseTo(wantMixed[k], 5));
    // alpha 0 is plain GRPO
    expect(Array.from(thoughtAdvantages({ ...input, outcome, alpha: 0 }).data)).toEqual(Array.from(outcome.data));
  });

  it('gives zero process advantage when every thought of a group scored the same', () => {
    const p = processAdvantages({ mask: matrix(1, 2, [1, 1]), groups: [0], spans: [[{ start: 0, end: 2 }]], rewards: [[1]] });
    expect(Array.from(p.data)).toEqual([0, 0]);
  });

  it('scores Game of 24 thoughts with the rule PRM: 1 while the steps are valid', async () => {
    const problem = (await game24Task.problems({ split: 'test' }))[0]; // 4 5 6 10
    const scorer = ruleThoughtScorer(game24Task);
    const [good, bad] = await scorer([
      { problem, steps: ['4*5=20 (6 10 20)', '10-6=4 (20 4)', '20+4=24 (24)'] },
      { problem, steps: ['4*5=20 (6 10 20)', '10*6=61 (20 61)', '20+4=24 (24)'] },
    ]);
    expect(good).toEqual([1, 1, 1]);
    expect(bad).toEqual([1, 0, 0]);
  });

  it('validates the thought_rewards section', () => {
    expect(RlMethodsSectionSchema.parse({ thought_rewards: {} }).thought_rewards).toEqual({ source: 'rules', prm: null, alpha: 0.5 });
    expect(RlMethodsSectionSchema.safeParse({ thought_rewards: { source: 'prm' } }).success).toBe(false);
    expect(RlMethodsSectionSchema.safeParse({ bogus: 1 }).success).toBe(false);
  });
});

describe('reward terms: consistency (R1-Reward) and adaptive repetition (CAMPO)', () => {
  it('repetition onset: the share of the response from the first repeated n-gram on', () => {
    expect(repetitionOnset(['a', 'b', 'a', 'b', 'c'], 2)).toBeCloseTo(3 / 5, 12); // "a b" again at 2
    expect(repetitionOnset(['a', 'b', 'c', 'd'], 2)).toBe(0);
    expect(repetitionOnset(['x', 'x', 'x', 'x'], 1)).toBeCloseTo(3 / 4, 12);
    expect(repetitionUnits(' a\n\n b \n', 'line')).toEqual(['a', 'b']);
  });

  it('adaptive repetition: -lambda * rho, lambda moved by the batch after each evaluateBatch', async () => {
    const problem = (await game24Task.problems({ split: 'test' }))[0];
    const reward = buildReward(
      { terms: [{ type: 'adaptive-repetition', n: 1, lambda: 0.5, lambdaLr: 0.5, target: 0.05 }] },
      { task: game24Task },
    );
    const completion = '4*5=20 (6 10 20)\n4*5=20 (6 10 20)\n4*5=20 (6 10 20)'; // lines L L L: rho = 2/3
    const [r1] = await reward.evaluateBatch([{ problem, completion }]);
    expect(r1.total).toBeCloseTo(-0.5 * (2 / 3), 12);
    expect(reward.lambdas()['adaptive-repetition']).toBeCloseTo(0.5 + 0.5 * (2 / 3 - 0.05), 12);
    const [r2] = await reward.evaluateBatch([{ problem, completion }]);
    expect(r2.total).toBeCloseTo(-(0.5 + 0.5 * (2 / 3 - 0.05)) * (2 / 3), 12);
    // a batch without repetition lowers lambda by lr * target
    const before = reward.lambdas()['adaptive-repetition'];
    await reward.evaluateBatch([{ problem, completion: '4*5=20 (6 10 20)' }]);
    expect(reward.lambdas()['adaptive-repetition']).toBeCloseTo(before - 0.5 * 0.05, 12);
  });

  it('consistency: valid steps reaching the extracted answer; gated by correctness by default', async () => {
    const problem = (await game24Task.problems({ split: 'test' }))[0];
    const gated = buildReward({ terms: [{ type: 'consistency' }] }, { task: game24Task });
    const open = buildReward({ terms: [{ type: 'consistency', gated: false }] }, { task: game24Task });
    const right = '4*5=20 (6 10 20)\n10-6=4 (20 4)\n20+4=24 (24)';
    const wrongButConsistent = '4*5=20 (6 10 20)\n10-6=4 (20 4)\n20-4=16 (16)';
    const contradicting = '4*5=20 (6 10 20)\n10-6=4 (20 4)\n20-4=16 (16)\nAnswer: 4*5+10-6';
    expect((await gated.evaluate({ problem, completion: right })).total).toBe(1);
    expect((await gated.evaluate({ problem, completion: wrongButConsistent })).total).toBe(0);
    expect((await open.evaluate({ problem, completion: wrongButConsistent })).total).toBe(1);
    // the Answer line is correct (4*5+10-6 = 24) but the reasoning reached 16: inconsistent
    const c = await gated.evaluate({ problem, completion: contradicting });
    expect(c.correct).toBe(true);
    expect(c.total).toBe(0);
  });
});
