/**
 * The tensor loss builders (src/training/losses.ts) against the host reference (src/training/algos)
 * on a tiny random model: same per-token log-probs in, same loss and metrics out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.js';
import { LlamaModel, Trainer, initEngine, ops, validateModelConfig, type TrainBatch } from '../../src/engine/index.js';
import {
  aggregateLoss,
  aggregationWeights,
  klPerToken,
  matrix,
  ppoClipLoss,
  valueLoss,
  type LossAggMode,
  type Matrix,
} from '../../src/training/algos/index.js';
import { criticLoss, dpoLoss, policyLoss, valueRegressionLoss } from '../../src/training/losses.js';
import { responseLogprobs } from '../helpers/response-logprobs.js';

const cfg = validateModelConfig({ vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 16, valueHead: true });
const B = 4;
const T = 10;
let model: LlamaModel;
const rng = new Rng(7);
// sequences: prompt of 3 tokens, responses of varying length
const seqs = [
  [1, 5, 6, 7, 8, 9, 2],
  [1, 4, 4, 10, 11, 5, 6, 7, 8, 2],
  [1, 6, 7, 5, 2],
  [1, 9, 9, 9, 8, 7, 6, 5, 4, 4, 2],
];
const promptLen = 3;
let logp: Matrix;
let entropy: Matrix;
let mask: Matrix;
let values: Matrix;

function toBatch(floats: Record<string, number[][] | number[]>): TrainBatch {
  return { tokens: seqs.map((s) => s.slice(0, -1)), targets: seqs.map((s) => s.slice(1)), floats };
}
const rowsOf = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.slice(i * m.cols, (i + 1) * m.cols)));
const noisy = (base: Matrix, scale: number) =>
  matrix(
    base.rows,
    base.cols,
    base.data.map((x, k) => (mask.data[k] ? x + scale * (rng.next() * 2 - 1) : 0)),
  );

beforeAll(async () => {
  await initEngine();
  model = LlamaModel.init(cfg, 3);
  ({ logp, mask } = await responseLogprobs(model, seqs, promptLen, T));
  // per-position entropy and value, read one position at a time through a probing loss
  const probe = async (what: 'entropy' | 'values') => {
    const out = matrix(B, T);
    const t = new Trainer(model, {
      miniBatchRows: B,
      seqLen: T,
      lossFn: (o, b) => ({ loss: ops.sum(ops.mul(what === 'entropy' ? o.entropy() : o.values(), b.sel)) }),
    });
    for (let k = 0; k < B * T; k++) {
      if (!mask.data[k]) continue;
      const sel = matrix(B, T);
      sel.data[k] = 1;
      out.data[k] = (await t.evaluate(toBatch({ sel: rowsOf(sel) }))).loss;
    }
    t.dispose();
    return out;
  };
  entropy = await probe('entropy');
  values = await probe('values');
});
afterAll(() => model?.dispose());

describe('tensor losses equal the host reference', () => {
  for (const agg of ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum'] as LossAggMode[]) {
    it(`PPO clip (clip-higher, dual clip) + k3 KL in the loss + entropy bonus, ${agg}`, async () => {
      const old = noisy(logp, 0.6);
      const ref = noisy(logp, 0.4);
      const adv = matrix(
        B,
        T,
        mask.data.map((m) => (m ? rng.next() * 4 - 2 : 0)),
      );
      const settings = { clipLow: 0.2, clipHigh: 0.28, dualClip: 2, klLoss: { coef: 0.05, estimator: 'k3' as const }, entropyCoef: 0.01 };
      const weight = aggregationWeights(mask, agg);
      const trainer = new Trainer(model, { miniBatchRows: B, seqLen: T, lossFn: policyLoss(settings) });
      const r = await trainer.evaluate(
        toBatch({
          mask: rowsOf(mask),
          weight: rowsOf(matrix(B, T, weight)),
          adv: rowsOf(adv),
          old_logp: rowsOf(old),
          ref_logp: rowsOf(ref),
        }),
      );
      trainer.dispose();
      const host = ppoClipLoss(logp, old, adv, mask, { clipLow: 0.2, clipHigh: 0.28, dualClip: 2, agg });
      const kl = aggregateLoss(klPerToken('k3', logp, ref, mask), mask, agg);
      const ent = aggregateLoss(entropy, mask, agg);
      expect(host.clipFraction).toBeGreaterThan(0); // the test exercises the clip
      expect(r.metrics.pg_loss).toBeCloseTo(host.loss, 4);
      expect(r.metrics.kl).toBeCloseTo(kl, 4);
      expect(r.metrics.entropy).toBeCloseTo(ent, 4);
      expect(r.loss).toBeCloseTo(host.loss + 0.05 * kl - 0.01 * ent, 4);
      expect(r.metrics.clip_frac).toBeCloseTo(host.clipFraction, 5);
      expect(r.metrics.dual_clip_frac).toBeCloseTo(host.dualClipFraction, 5);
      expect(r.metrics.approx_kl).toBeCloseTo(host.approxKl, 4);
    });
  }

  it('clipped critic loss', async () => {
    const v = values;
    const oldV = noisy(v, 0.3);
    const returns = matrix(
      B,
      T,
      mask.data.map((m) => (m ? rng.next() * 2 - 1 : 0)),
    );
    const agg: LossAggMode = 'token-mean';
    const weight = aggregationWeights(mask, agg);
    const t2 = new Trainer(model, { miniBatchRows: B, seqLen: T, lossFn: criticLoss(0.2) });
    const r = await t2.evaluate(
      toBatch({ mask: rowsOf(mask), weight: rowsOf(matrix(B, T, weight)), returns: rowsOf(returns), old_values: rowsOf(oldV) }),
    );
    t2.dispose();
    const host = valueLoss(v, oldV, returns, mask, { clip: 0.2, agg });
    expect(host.clipFraction).toBeGreaterThan(0);
    expect(r.loss).toBeCloseTo(host.loss, 4);
    expect(r.metrics.value_clip_frac).toBeCloseTo(host.clipFraction, 5);
    // value regression at the last token of each sequence
    const lastMask = matrix(B, T);
    const target = matrix(B, T);
    seqs.forEach((s, i) => {
      lastMask.data[i * T + s.length - 2] = 1;
      target.data[i * T + s.length - 2] = i % 2 ? 1 : -1;
    });
    const t3 = new Trainer(model, { miniBatchRows: B, seqLen: T, lossFn: valueRegressionLoss });
    const r3 = await t3.evaluate(toBatch({ mask: rowsOf(lastMask), target: rowsOf(target) }));
    t3.dispose();
    let mse = 0;
    seqs.forEach((s, i) => {
      mse += (values.data[i * T + s.length - 2] - (i % 2 ? 1 : -1)) ** 2 / B;
    });
    expect(r3.loss).toBeCloseTo(mse, 4);
  });

  it('DPO loss', async () => {
    // pairs (row 0 chosen, row 1 rejected), (row 2 chosen, row 3 rejected)
    const sign = rowsOf(
      matrix(
        B,
        T,
        mask.data.map((m, k) => (m ? (Math.floor(k / T) % 2 === 0 ? 1 : -1) : 0)),
      ),
    );
    const sums = [0, 1, 2, 3].map((i) => logp.data.slice(i * T, (i + 1) * T).reduce((a, b) => a + b, 0));
    const refMargin = [0.3, 0, -0.2, 0];
    const beta = 0.5;
    const trainer = new Trainer(model, { miniBatchRows: B, seqLen: T, lossFn: dpoLoss(beta) });
    const r = await trainer.evaluate(toBatch({ mask: rowsOf(mask), sign, ref_margin: refMargin, pair_weight: [0.5, 0, 0.5, 0] }));
    trainer.dispose();
    const z = [beta * (sums[0] - sums[1] - 0.3), beta * (sums[2] - sums[3] + 0.2)];
    const expected = z.reduce((s, x) => s + 0.5 * Math.log(1 + Math.exp(-x)), 0);
    expect(r.loss).toBeCloseTo(expected, 4);
    expect(r.metrics.reward_margin).toBeCloseTo((z[0] + z[1]) / 2, 4);
  });
});
