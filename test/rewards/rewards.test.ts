import { describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/errors.js';
import {
  LagrangeMultiplier,
  buildReward,
  explorationBonus,
  overlongPenalty,
  parseRewardConfig,
  repetitionPenalty,
  returnsToGo,
  shapeProcessRewards,
} from '../../src/rewards/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { NumberGameProblem } from '../../src/tasks/games/number-game.js';

const p: NumberGameProblem = { id: 'g', question: '', data: { numbers: [4, 4, 6, 8], target: 24 } };
const good = '4+8=12 (4 6 12)\n6-4=2 (12 2)\n12*2=24 (24)';
const bad = '4+8=13 (4 6 13)\n13+4=17 (6 17)\n17+6=23 (23)';

describe('reward functions', () => {
  it('DAPO soft overlong punishment (eq. 13)', () => {
    const o = { maxTokens: 100, cacheTokens: 20 };
    expect(overlongPenalty(50, o)).toBe(0);
    expect(overlongPenalty(80, o)).toBe(0);
    expect(overlongPenalty(90, o)).toBeCloseTo(-0.5);
    expect(overlongPenalty(100, o)).toBeCloseTo(-1);
    expect(overlongPenalty(101, o)).toBe(-1);
  });

  it('repetition penalty counts repeated n-grams', () => {
    expect(repetitionPenalty('a b c d e f', { n: 2, coef: 1, unit: 'word' })).toBe(0);
    // "a b a b a b": bigrams ab ba ab ba ab -> 2 distinct of 5.
    expect(repetitionPenalty('a b a b a b', { n: 2, coef: 1, unit: 'word' })).toBeCloseTo(-(1 - 2 / 5));
    expect(repetitionPenalty('x', { n: 3, coef: 1, unit: 'word' })).toBe(0);
  });

  it('RLSP exploration bonus grows with length up to the cap', () => {
    const o = { coef: 0.2, cap: 100, onlyWhenWrong: false };
    expect(explorationBonus(50, true, o)).toBeCloseTo(0.1);
    expect(explorationBonus(500, true, o)).toBeCloseTo(0.2);
    expect(explorationBonus(500, true, { ...o, onlyWhenWrong: true })).toBe(0);
  });

  it('clip and delta shaping (Gao et al. 2024) by hand', () => {
    const r = [0.9, 0.6, 0.8];
    expect(shapeProcessRewards(r, 'none')).toEqual(r);
    const clip = shapeProcessRewards(r, 'clip', 0.7);
    expect(clip[0]).toBeCloseTo(0);
    expect(clip[1]).toBeCloseTo(-0.1);
    expect(clip[2]).toBeCloseTo(0);
    const delta = shapeProcessRewards(r, 'delta');
    expect(delta[0]).toBeCloseTo(0.3);
    expect(delta[1]).toBeCloseTo(-0.2);
    expect(delta[2]).toBeCloseTo(0.8);
    // Delta telescopes: the return from step t equals r_t.
    const g = returnsToGo(delta);
    g.forEach((x, t) => expect(x).toBeCloseTo(r[t]));
    // Clip makes every shaped reward <= 0, so adding steps never adds reward.
    expect(shapeProcessRewards([0.9, 0.95, 0.99, 1], 'clip', 0.5).every((x) => x <= 0)).toBe(true);
  });

  it('Lagrange multiplier ascends while the constraint is violated (Safe RLHF)', () => {
    const m = new LagrangeMultiplier(0.5, 0.1, 0.2);
    expect(m.penalise(1, 0.4)).toBeCloseTo(0.8);
    expect(m.update([0.6, 0.4])).toBeCloseTo(0.5 + 0.1 * (0.5 - 0.2));
    for (let i = 0; i < 100; i++) m.update([0]);
    expect(m.lambda).toBe(0); // projected onto lambda >= 0
  });
});

describe('reward registry from YAML', () => {
  it('a weighted sum of terms over a task', async () => {
    const reward = buildReward(
      `terms:
  - type: correctness
    weight: 1
  - type: format
    weight: 0.1
    answerWeight: 1
  - type: overlong
    maxTokens: 100
    cacheTokens: 20
  - type: repetition
    weight: 0.5
    n: 3
`,
      { task: game24Task },
    );
    const r = await reward.evaluate({ problem: p, completion: good, tokens: 30 });
    expect(r.terms.correctness).toBe(1);
    expect(r.terms.format).toBeCloseTo(0.1);
    expect(r.terms.overlong).toBe(0);
    expect(r.total).toBeCloseTo(1.1 + r.terms.repetition);
    expect(r.correct).toBe(true);
    const w = await reward.evaluate({ problem: p, completion: bad, tokens: 95 });
    expect(w.terms.correctness).toBe(0);
    expect(w.terms.format).toBe(0); // an invalid transcript yields no answer
    expect(w.terms.overlong).toBeCloseTo(-0.75);
  });

  it('format reward by step validity, process shaping and nested sums', async () => {
    const reward = buildReward(
      {
        terms: [
          { type: 'format', answerWeight: 0, stepWeight: 1 },
          { type: 'process', shaping: 'delta', aggregate: 'sum' },
          { type: 'sum', weight: 2, terms: [{ type: 'length', coef: 1, scale: 100 }] },
        ],
      },
      { task: game24Task },
    );
    const half = await reward.evaluate({ problem: p, completion: '4+8=12 (4 6 12)\n6-4=3 (12 3)', processScores: [0.9, 0.2], tokens: 50 });
    expect(half.terms.format).toBeCloseTo(0.5);
    expect(half.terms.process).toBeCloseTo(0.9); // delta: (0.9-0.2) + 0.2
    expect(half.terms.sum).toBeCloseTo(2 * -0.5);
  });

  it('constraint term with a multiplier updated per batch', async () => {
    const reward = buildReward(
      { terms: [{ type: 'correctness' }, { type: 'constraint', cost: 'tokens', scale: 100, lambda: 1, lambdaLr: 0.5, threshold: 0.2 }] },
      { task: game24Task },
    );
    const batch = [
      { problem: p, completion: good, tokens: 60 },
      { problem: p, completion: good, tokens: 40 },
    ];
    const rs = await reward.evaluateBatch(batch);
    expect(rs[0].terms.constraint).toBeCloseTo(-0.6);
    expect(reward.lambdas().constraint).toBeCloseTo(1 + 0.5 * (0.5 - 0.2));
    const again = await reward.evaluate(batch[0]);
    expect(again.terms.constraint).toBeCloseTo(-1.15 * 0.6);
  });

  it('correctness can use a verify result computed elsewhere', async () => {
    const reward = buildReward({ terms: [{ type: 'correctness', partial: true }] });
    expect((await reward.evaluate({ problem: p, completion: '', verify: { correct: false, score: 0.25 } })).total).toBeCloseTo(0.25);
    await expect(reward.evaluate({ problem: p, completion: '' })).rejects.toThrow(/needs a task/);
  });

  it('correctness: onUnparseable rewards a format failure apart from a wrong answer (three-way verdict)', async () => {
    const reward = buildReward({ terms: [{ type: 'correctness', onWrong: 0, onUnparseable: -1 }] });
    const at = async (verify: { correct: boolean; score: number; verdict?: 'correct' | 'wrong' | 'unparseable' }, answer: string | null) =>
      (await reward.evaluate({ problem: p, completion: '', answer, verify })).total;
    expect(await at({ correct: false, score: 0, verdict: 'unparseable' }, 'x')).toBe(-1);
    expect(await at({ correct: false, score: 0 }, null)).toBe(-1);
    expect(await at({ correct: false, score: 0, verdict: 'wrong' }, '5')).toBe(0);
    expect(await at({ correct: true, score: 1, verdict: 'correct' }, '24')).toBe(1);
    // Without onUnparseable an unreadable answer is simply wrong.
    const plain = buildReward({ terms: [{ type: 'correctness' }] });
    expect(
      (await plain.evaluate({ problem: p, completion: '', answer: null, verify: { correct: false, score: 0, verdict: 'unparseable' } }))
        .total,
    ).toBe(0);
  });

  it('bad configs are usage errors naming the key', () => {
    const err = (c: unknown) => {
      try {
        parseRewardConfig(c);
      } catch (e) {
        return isRlmkitError(e) ? e.message : String(e);
      }
      return 'no error';
    };
    expect(err({ terms: [{ type: 'nope' }] })).toMatch(/terms\.0/);
    expect(err({ terms: [{ type: 'overlong', maxTokens: 10, cacheTokens: 20 }] })).toMatch(/cacheTokens/);
    expect(err({ terms: [{ type: 'correctness', wieght: 2 }] })).toMatch(/terms\.0/);
    expect(err('terms: [')).toMatch(/not valid YAML/);
    expect(err({ terms: [] })).toMatch(/terms/);
  });
});
