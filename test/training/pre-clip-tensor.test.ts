/**
 * StableReinforce's pre-clip in the trainer's tensor loss equals the host PPO clip with pre-clip
 * (and differs from it without), on a tiny model with behaviour log-probs far from the policy's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.js';
import { LlamaModel, Trainer, initEngine, validateModelConfig, type TrainBatch } from '../../src/engine/index.js';
import { aggregationWeights, matrix, ppoClipLoss, type Matrix } from '../../src/training/algos/index.js';
import { registryPolicyLoss } from '../../src/training/algos/policy-losses-tensor.js';
import { responseLogprobs } from '../helpers/response-logprobs.js';

describe('pre-clip: tensor twin = host', () => {
  const cfg = validateModelConfig({ vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 16 });
  const seqs = [
    [1, 5, 6, 7, 8, 9, 2],
    [1, 4, 4, 10, 11, 5, 6, 7, 8, 2],
  ];
  const B = seqs.length;
  const T = 10;
  const promptLen = 3;
  let model: LlamaModel;
  let logp: Matrix;
  let mask: Matrix;
  beforeAll(async () => {
    await initEngine();
    model = LlamaModel.init(cfg, 7);
    ({ logp, mask } = await responseLogprobs(model, seqs, promptLen, T));
  });
  afterAll(() => model?.dispose());

  it('PPO clip with pre_clip 1.2 on ratios up to e^0.8', async () => {
    const rng = new Rng(3);
    const mu = matrix(
      B,
      T,
      logp.data.map((x, k) => (mask.data[k] ? x + 0.8 * (rng.next() * 2 - 1) : 0)),
    );
    const adv = matrix(
      B,
      T,
      mask.data.map((m) => (m ? rng.next() * 4 - 2 : 0)),
    );
    const o = { clipLow: 0.2, clipHigh: 0.28, dualClip: null, agg: 'token-mean' as const };
    const host = ppoClipLoss(logp, mu, adv, mask, { ...o, preClip: 1.2 });
    const plain = ppoClipLoss(logp, mu, adv, mask, o);
    expect(Math.abs(host.loss - plain.loss)).toBeGreaterThan(1e-3); // the pre-clip binds on this batch
    const rows = (m: Matrix | Float32Array) => {
      const d = m instanceof Float32Array ? m : m.data;
      return Array.from({ length: B }, (_, i) => Array.from(d.slice(i * T, (i + 1) * T)));
    };
    const trainer = new Trainer(model, {
      miniBatchRows: B,
      seqLen: T,
      lossFn: registryPolicyLoss({
        name: 'ppo_clip',
        clipLow: 0.2,
        clipHigh: 0.28,
        dualClip: null,
        gspoClipLow: 3e-4,
        gspoClipHigh: 4e-4,
        klLoss: null,
        entropyCoef: 0,
        preClip: 1.2,
      }),
    });
    const batch: TrainBatch = {
      tokens: seqs.map((s) => [...s.slice(0, -1), ...Array(T + 1 - s.length).fill(0)]),
      targets: seqs.map((s) => [...s.slice(1), ...Array(T + 1 - s.length).fill(0)]),
      floats: { mask: rows(mask), weight: rows(aggregationWeights(mask, 'token-mean')), adv: rows(adv), old_logp: rows(mu) },
    };
    const r = await trainer.evaluate(batch);
    trainer.dispose();
    expect(r.metrics.pg_loss).toBeCloseTo(host.loss, 4);
    expect(r.metrics.clip_frac).toBeCloseTo(host.clipFraction, 4);
  });
});
