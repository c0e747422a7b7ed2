/**
 * The loss-builder API that src/training uses: RL objectives written with `ops` over ModelOutputs
 * and batch floats train through the generic step and move the policy the way they should.
 */
import { describe, expect, it } from 'vitest';
import { validateModelConfig } from '../../src/engine/config.js';
import { LlamaModel } from '../../src/engine/model.js';
import { LogprobScorer } from '../../src/engine/logprob-scorer.js';
import { ops } from '../../src/engine/tensor.js';
import { type LossFn, Trainer } from '../../src/engine/train.js';

const cfg = validateModelConfig({ vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 8, valueHead: true });

/** GRPO-style clipped surrogate with per-row advantages and a k3 KL penalty (Schulman 2020). */
const grpo: LossFn = (out, b) => {
  const lp = out.logprobs();
  const ratio = ops.exp(ops.sub(lp, ops.stopGradient(b.oldLogprobs)));
  const adv = ops.reshape(b.advantages, [out.batchSize, 1]);
  const surrogate = ops.minimum(ops.mul(ratio, adv), ops.mul(ops.clip(ratio, 0.8, 1.2), adv));
  const logr = ops.sub(b.refLogprobs, lp);
  const k3 = ops.sub(ops.sub(ops.exp(logr), logr), 1);
  const perToken = ops.sub(ops.mul(k3, 0.01), surrogate);
  const clipped = ops.where(ops.greater(ops.abs(ops.sub(ratio, 1)), 0.2), 1, 0);
  return {
    loss: ops.maskedMean(perToken, b.mask),
    metrics: { clip_frac: ops.maskedMean(clipped, b.mask), entropy: ops.maskedMean(out.entropy(), b.mask) },
  };
};

const critic: LossFn = (out, b) => ({
  loss: ops.maskedMean(ops.square(ops.sub(out.values(), ops.reshape(b.returns, [out.batchSize, 1]))), b.mask),
});

describe('loss builders over the generic train step', () => {
  it('a GRPO-style objective raises the log-prob of a positively rewarded sequence', async () => {
    const model = LlamaModel.init(cfg, 1);
    const scorer = new LogprobScorer(model);
    const good = [1, 5, 6, 7, 2];
    const bad = [1, 8, 9, 10, 2];
    const seqs = [good, bad];
    const before = await scorer.tokenLogprobs(seqs);
    const tr = new Trainer(model, {
      miniBatchRows: 2,
      seqLen: 4,
      lossFn: grpo,
      optimizer: { lr: 1e-2, weightDecay: 0 },
      schedule: { totalSteps: 20 },
    });
    const old = before.map((r) => Array.from(r));
    const batch = {
      tokens: seqs.map((s) => s.slice(0, -1)),
      targets: seqs.map((s) => s.slice(1)),
      floats: {
        oldLogprobs: old,
        refLogprobs: old,
        advantages: [1, -1],
        mask: [
          [1, 1, 1, 1],
          [1, 1, 1, 1],
        ],
      },
    };
    let last;
    for (let i = 0; i < 10; i++) last = await tr.trainStep([batch]);
    expect(Number.isFinite(last!.loss)).toBe(true);
    expect(last!.metrics.clip_frac).toBeGreaterThanOrEqual(0);
    const after = await scorer.tokenLogprobs(seqs);
    const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);
    expect(sum(after[0])).toBeGreaterThan(sum(before[0]));
    expect(sum(after[1])).toBeLessThan(sum(before[1]));
    tr.dispose();
    scorer.dispose();
    model.dispose();
  });

  it('a value-MSE critic moves values toward the returns', async () => {
    const model = LlamaModel.init(cfg, 2);
    const scorer = new LogprobScorer(model);
    const seqs = [
      [1, 4, 5, 6],
      [1, 7, 8, 9],
    ];
    const tr = new Trainer(model, {
      miniBatchRows: 2,
      seqLen: 4,
      lossFn: critic,
      optimizer: { lr: 1e-2, weightDecay: 0 },
      schedule: { totalSteps: 40 },
    });
    // Position 0 (<bos>) looks the same in both rows, so it cannot fit both returns: leave it out.
    const batch = {
      tokens: seqs,
      targets: seqs,
      floats: {
        returns: [0.8, -0.6],
        mask: [
          [0, 1, 1, 1],
          [0, 1, 1, 1],
        ],
      },
    };
    const first = (await tr.trainStep([batch])).loss;
    let loss = first;
    for (let i = 0; i < 30; i++) loss = (await tr.trainStep([batch])).loss;
    expect(loss).toBeLessThan(first / 4);
    const v = await scorer.values(seqs);
    expect(v[0]).toBeGreaterThan(v[1]);
    tr.dispose();
    scorer.dispose();
    model.dispose();
  });

  it('rejects values() on a model without a value head', async () => {
    const model = LlamaModel.init({ ...cfg, valueHead: false }, 3);
    const tr = new Trainer(model, { miniBatchRows: 1, seqLen: 3, lossFn: critic });
    await expect(
      tr.trainStep([{ tokens: [[1, 4, 5]], targets: [[4, 5, 2]], floats: { returns: [1], mask: [[1, 1, 1]] } }]),
    ).rejects.toThrow(/no value head/);
    tr.dispose();
    model.dispose();
  });
});
