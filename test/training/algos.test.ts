import { describe, expect, it } from 'vitest';
import {
  aggregateLoss,
  aggregationWeights,
  applyKlToRewards,
  computeAdvantages,
  dynamicSampling,
  fromRows,
  klPerToken,
  matrix,
  overlongFilter,
  ppoClipLoss,
  ppoClipToken,
  softOverlongPenalty,
  valueLoss,
} from '../../src/training/algos/index.js';

const rowsOf = (m: { rows: number; cols: number; data: Float32Array }) =>
  Array.from({ length: m.rows }, (_, i) => Array.from(m.data.slice(i * m.cols, (i + 1) * m.cols)));

/** Outcome rewards on the last token of each response. */
function outcomeBatch(scores: number[], lengths: number[]) {
  const cols = Math.max(...lengths);
  const { values, mask } = fromRows(
    lengths.map((n, i) => Array.from({ length: n }, (_, t) => (t === n - 1 ? scores[i] : 0))),
    cols,
  );
  return { tokenRewards: values, mask };
}

describe('advantage estimators (hand-computed values)', () => {
  it('GRPO: (r - mean) / unbiased std per group, broadcast on the response tokens', () => {
    const { tokenRewards, mask } = outcomeBatch([1, 0, 0, 1, 1, 1], [2, 3, 1, 2, 2, 2]);
    const { advantages } = computeAdvantages('grpo', { tokenRewards, mask, groups: [0, 0, 0, 0, 1, 1] });
    // mean 0.5, std = sqrt(4 * 0.25 / 3) = 0.57735 -> +-0.866025; group 1 has zero variance -> 0
    const a = rowsOf(advantages);
    expect(a[0][0]).toBeCloseTo(0.866025, 4);
    expect(a[0][1]).toBeCloseTo(0.866025, 4);
    expect(a[0][2]).toBe(0); // padding
    expect(a[1][2]).toBeCloseTo(-0.866025, 4);
    expect(a[2][0]).toBeCloseTo(-0.866025, 4);
    expect(a[2][1]).toBe(0);
    expect(a[4]).toEqual([0, 0, 0]);
  });

  it('Dr.GRPO: r - mean, no std', () => {
    const { tokenRewards, mask } = outcomeBatch([1, 0, 0, 1], [1, 1, 1, 1]);
    const { advantages } = computeAdvantages('drgrpo', { tokenRewards, mask, groups: ['p', 'p', 'p', 'p'] });
    expect(Array.from(advantages.data)).toEqual([0.5, -0.5, -0.5, 0.5]);
  });

  it('RLOO: leave-one-out mean baseline', () => {
    const { tokenRewards, mask } = outcomeBatch([1, 0, 0, 1], [1, 1, 1, 1]);
    const { advantages } = computeAdvantages('rloo', { tokenRewards, mask, groups: [7, 7, 7, 7] });
    // 1 - (0+0+1)/3 = 2/3 ; 0 - (1+0+1)/3 = -2/3
    expect(advantages.data[0]).toBeCloseTo(2 / 3, 6);
    expect(advantages.data[1]).toBeCloseTo(-2 / 3, 6);
  });

  it('singleton groups get a zero advantage (no baseline)', () => {
    const { tokenRewards, mask } = outcomeBatch([1, 0], [1, 1]);
    expect(Array.from(computeAdvantages('grpo', { tokenRewards, mask, groups: [0, 1] }).advantages.data)).toEqual([0, 0]);
  });

  it('REINFORCE++: discounted return, whitened over the whole batch', () => {
    const { values: tokenRewards, mask } = fromRows(
      [
        [0, 0, 1],
        [0, -1],
      ],
      3,
    );
    const out = computeAdvantages('reinforce_pp', { tokenRewards, mask, gamma: 1 });
    expect(rowsOf(out.returns)).toEqual([
      [1, 1, 1],
      [-1, -1, 0],
    ]);
    // mean 0.2, unbiased var (3*0.64 + 2*1.44)/4 = 1.2
    const s = Math.sqrt(1.2);
    const a = rowsOf(out.advantages);
    expect(a[0][1]).toBeCloseTo(0.8 / s, 4);
    expect(a[1][0]).toBeCloseTo(-1.2 / s, 4);
    expect(a[1][2]).toBe(0);
    const g = computeAdvantages('reinforce_pp', { tokenRewards, mask, gamma: 0.5 });
    expect(rowsOf(g.returns)[0]).toEqual([0.25, 0.5, 1]);
  });

  it('GAE: deltas and (gamma lambda)-discounted sums; returns = A + V', () => {
    const { values: tokenRewards, mask } = fromRows([[0, 0, 1]]);
    const values = matrix(1, 3, [0.5, 0.6, 0.7]);
    const plain = computeAdvantages('gae', { tokenRewards, mask, values, gamma: 1, lambda: 1, whiten: false });
    expect(Array.from(plain.advantages.data).map((x) => +x.toFixed(5))).toEqual([0.5, 0.4, 0.3]);
    expect(Array.from(plain.returns.data).map((x) => +x.toFixed(5))).toEqual([1, 1, 1]);
    const disc = computeAdvantages('gae', { tokenRewards, mask, values, gamma: 0.9, lambda: 0.5, whiten: false });
    // delta = [0.04, 0.03, 0.3]; A2 = 0.3, A1 = 0.03 + 0.45*0.3, A0 = 0.04 + 0.45*A1
    expect(disc.advantages.data[2]).toBeCloseTo(0.3, 5);
    expect(disc.advantages.data[1]).toBeCloseTo(0.165, 5);
    expect(disc.advantages.data[0]).toBeCloseTo(0.11425, 5);
    const whitened = computeAdvantages('gae', { tokenRewards, mask, values, gamma: 0.9, lambda: 0.5 });
    let mean = 0;
    for (const x of whitened.advantages.data) mean += x / 3;
    expect(mean).toBeCloseTo(0, 5);
  });

  it('GAE without values and GRPO without groups are errors that say what is missing', () => {
    const { tokenRewards, mask } = outcomeBatch([1], [1]);
    expect(() => computeAdvantages('gae', { tokenRewards, mask })).toThrow(/critic values/);
    expect(() => computeAdvantages('grpo', { tokenRewards, mask })).toThrow(/group id/);
  });
});

describe('KL estimators', () => {
  const logp = matrix(1, 2, [-1, -0.5]);
  const ref = matrix(1, 2, [-2, -0.5]);
  const mask = matrix(1, 2, [1, 0]);
  it('k1, k2, k3 of Schulman (2020)', () => {
    expect(klPerToken('k1', logp, ref, mask).data[0]).toBeCloseTo(1, 6);
    expect(klPerToken('k2', logp, ref, mask).data[0]).toBeCloseTo(0.5, 6);
    expect(klPerToken('k3', logp, ref, mask).data[0]).toBeCloseTo(Math.exp(-1), 6); // e^-1 - 1 + 1
    expect(klPerToken('k3', logp, ref, mask).data[1]).toBe(0);
  });
  it('k3 is non-negative and zero when the policies agree', () => {
    for (const [a, b] of [
      [-3, -0.1],
      [-0.1, -3],
      [-1, -1],
    ]) {
      const k = klPerToken('k3', matrix(1, 1, [a]), matrix(1, 1, [b]), matrix(1, 1, [1])).data[0];
      expect(k).toBeGreaterThanOrEqual(0);
      if (a === b) expect(k).toBe(0);
    }
  });
  it('KL in the reward subtracts beta * KL_t per token', () => {
    const r = applyKlToRewards(matrix(1, 2, [0, 1]), matrix(1, 2, [0.5, 0.25]), matrix(1, 2, [1, 1]), 0.1);
    expect(r.data[0]).toBeCloseTo(-0.05, 6);
    expect(r.data[1]).toBeCloseTo(0.975, 6);
  });
});

describe('loss aggregation', () => {
  const { values: loss, mask } = fromRows([[1, 2, 3], [4]], 3);
  it('token-mean, seq-mean-token-sum, seq-mean-token-mean, seq-mean-token-sum-norm', () => {
    expect(aggregateLoss(loss, mask, 'token-mean')).toBeCloseTo(2.5, 6);
    expect(aggregateLoss(loss, mask, 'seq-mean-token-sum')).toBeCloseTo(5, 6);
    expect(aggregateLoss(loss, mask, 'seq-mean-token-mean')).toBeCloseTo(3, 6);
    expect(aggregateLoss(loss, mask, 'seq-mean-token-sum-norm')).toBeCloseTo(10 / 6, 6);
    expect(aggregateLoss(loss, mask, 'seq-mean-token-sum-norm', { normLength: 5 })).toBeCloseTo(1, 6);
  });
  it('aggregation weights reproduce every mode as one weighted sum', () => {
    for (const mode of ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'] as const) {
      const w = aggregationWeights(mask, mode);
      let s = 0;
      for (let k = 0; k < w.length; k++) s += w[k] * loss.data[k];
      expect(s).toBeCloseTo(aggregateLoss(loss, mask, mode), 5);
    }
  });
});

describe('PPO clip with clip-higher and dual clip', () => {
  const o = { clipLow: 0.2, clipHigh: 0.28, dualClip: 3 };
  it('clips the ratio above at 1 + eps_high for positive advantages', () => {
    const r = ppoClipToken(Math.log(1.5), 0, 1, o);
    expect(r.loss).toBeCloseTo(-1.28, 6);
    expect(r.clipped).toBe(true);
  });
  it('clips the ratio below at 1 - eps_low for negative advantages', () => {
    const r = ppoClipToken(Math.log(0.5), 0, -1, o);
    expect(r.loss).toBeCloseTo(0.8, 6);
    expect(r.clipped).toBe(true);
  });
  it('the dual clip bounds the loss at -c A when A < 0 and the ratio is huge', () => {
    const r = ppoClipToken(Math.log(5), 0, -1, o);
    expect(r.loss).toBeCloseTo(3, 6);
    expect(r.dualClipped).toBe(true);
    expect(ppoClipToken(Math.log(5), 0, -1, { ...o, dualClip: null }).loss).toBeCloseTo(5, 5);
  });
  it('inside the trust region the loss is -A rho', () => {
    const r = ppoClipToken(Math.log(1.1), 0, 1, o);
    expect(r.loss).toBeCloseTo(-1.1, 6);
    expect(r.clipped).toBe(false);
  });
  it('batch loss, clip fraction and approximate KL', () => {
    const logp = matrix(1, 4, [Math.log(1.5), Math.log(1.1), Math.log(5), 0]);
    const old = matrix(1, 4, [0, 0, 0, 0]);
    const adv = matrix(1, 4, [1, 1, -1, 9]);
    const mask = matrix(1, 4, [1, 1, 1, 0]);
    const s = ppoClipLoss(logp, old, adv, mask, { ...o, agg: 'token-mean' });
    expect(s.loss).toBeCloseTo((-1.28 - 1.1 + 3) / 3, 5);
    expect(s.clipFraction).toBeCloseTo(1 / 3, 6); // only the first token: ratio 5 with A<0 takes L1
    expect(s.dualClipFraction).toBeCloseTo(1 / 3, 6);
    expect(s.approxKl).toBeCloseTo(-(Math.log(1.5) + Math.log(1.1) + Math.log(5)) / 3, 5);
  });
});

describe('value loss', () => {
  it('clipped value loss takes the larger error', () => {
    const s = valueLoss(matrix(1, 1, [0.5]), matrix(1, 1, [0.3]), matrix(1, 1, [1]), matrix(1, 1, [1]), { clip: 0.1, agg: 'token-mean' });
    expect(s.loss).toBeCloseTo(0.18, 6); // clip(0.5, 0.2, 0.4) = 0.4 -> 0.5 * 0.36
    expect(s.clipFraction).toBe(1);
    const plain = valueLoss(matrix(1, 1, [0.5]), matrix(1, 1, [0.3]), matrix(1, 1, [1]), matrix(1, 1, [1]), {
      clip: null,
      agg: 'token-mean',
    });
    expect(plain.loss).toBeCloseTo(0.125, 6);
  });
});

describe('DAPO filters', () => {
  it('dynamic sampling drops zero-variance groups', () => {
    const r = dynamicSampling([1, 1, 0, 1, 0, 0], ['a', 'a', 'b', 'b', 'c', 'c']);
    expect(r.keepRows).toEqual([2, 3]);
    expect(r.droppedGroups).toBe(2);
    expect(r.zeroVarianceShare).toBeCloseTo(2 / 3, 6);
  });
  it('overlong filtering masks truncated responses out', () => {
    const m = overlongFilter(matrix(2, 2, [1, 1, 1, 0]), [true, false]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 0]);
  });
  it('soft overlong punishment is 0, then linear, then -1', () => {
    expect(softOverlongPenalty(16, 20, 4)).toBe(0);
    expect(softOverlongPenalty(18, 20, 4)).toBeCloseTo(-0.5, 6);
    expect(softOverlongPenalty(20, 20, 4)).toBeCloseTo(-1, 6);
    expect(softOverlongPenalty(21, 20, 4)).toBe(-1);
    expect(() => softOverlongPenalty(5, 4, 4)).toThrow(/cache/);
  });
});
