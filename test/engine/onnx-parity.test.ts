/**
 * The ONNX graphs against a plain float64 forward written from the spec (src/engine/onnx/reference.ts):
 * full forward, KV-cache decoding, ragged batches, tied embeddings, the value head, and both
 * operator sets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { ModelConfig } from '../../src/engine/config.js';
import { type OnnxSampler, createOnnxSampler } from '../../src/engine/onnx/sampler.js';
import { logSoftmax, referenceForward } from '../../src/engine/onnx/reference.js';
import type { HostWeights } from '../../src/engine/sampler-types.js';
import { maxAbsDiff, randomSeqs, testWeights, tinyConfig } from './onnx-helpers.js';

const TOL = 1e-4;

const cases: { name: string; cfg: ModelConfig; ops: 'onnxruntime' | 'standard' }[] = [
  { name: 'untied + value head, onnxruntime ops', cfg: tinyConfig(), ops: 'onnxruntime' },
  { name: 'untied + value head, standard ops', cfg: tinyConfig(), ops: 'standard' },
  {
    name: 'tied, no value head, head size 8, onnxruntime ops',
    cfg: tinyConfig({ tieEmbeddings: true, valueHead: false, nHeads: 4, nLayers: 3, ropeTheta: 500 }),
    ops: 'onnxruntime',
  },
  {
    name: 'tied, no value head, head size 8, standard ops',
    cfg: tinyConfig({ tieEmbeddings: true, valueHead: false, nHeads: 4, nLayers: 3, ropeTheta: 500 }),
    ops: 'standard',
  },
  {
    name: 'reference-model widths (d128, 4 heads of 32), one layer',
    cfg: tinyConfig({ vocabSize: 64, dModel: 128, nHeads: 4, dFF: 352, nLayers: 1 }),
    ops: 'onnxruntime',
  },
];

describe.each(cases)('ONNX decoder vs float64 reference: $name', ({ cfg, ops }) => {
  const weights: HostWeights = testWeights(cfg, 7);
  let sampler: OnnxSampler;
  const get = async () => (sampler ??= await createOnnxSampler(weights, cfg, { ops, threads: 1 }));
  afterAll(() => sampler?.dispose());

  it('full forward on a ragged batch: log-probs and values', async () => {
    const s = await get();
    const seqs = randomSeqs(new Rng(3), [9, 1, 14, 5], cfg.vocabSize);
    const { logits, values } = await s.forward(seqs);
    let worstLp = 0;
    let worstV = 0;
    seqs.forEach((seq, i) => {
      const ref = referenceForward(weights, cfg, seq);
      for (let t = 0; t < seq.length; t++) {
        const got = logSoftmax(logits[i].subarray(t * cfg.vocabSize, (t + 1) * cfg.vocabSize));
        worstLp = Math.max(worstLp, maxAbsDiff(got, logSoftmax(ref.logits[t])));
      }
      if (cfg.valueHead) worstV = Math.max(worstV, maxAbsDiff(values![i], ref.values));
    });
    expect(worstLp).toBeLessThanOrEqual(TOL);
    expect(worstV).toBeLessThanOrEqual(TOL);
    // The logits are not trivially flat: the check means something.
    expect(
      Math.max(...logSoftmax(logits[0].subarray(0, cfg.vocabSize))) - Math.min(...logSoftmax(logits[0].subarray(0, cfg.vocabSize))),
    ).toBeGreaterThan(1);
  });

  it('KV-cache decoding of ragged prompts equals the full forward (T = 1 and T = 0.7)', async () => {
    const s = await get();
    const prompts = randomSeqs(new Rng(11), [3, 8, 1, 5, 2], cfg.vocabSize);
    for (const temperature of [1, 0.7]) {
      const res = await s.sample(prompts, { maxNewTokens: 12, temperature, seed: 5 });
      let worst = 0;
      let generated = 0;
      res.forEach((r, i) => {
        const seq = [...prompts[i], ...r.tokens];
        const ref = referenceForward(weights, cfg, seq);
        r.tokens.forEach((tok, j) => {
          const t = prompts[i].length + j;
          worst = Math.max(worst, Math.abs(logSoftmax(ref.logits[t - 1], temperature)[tok] - r.logprobs[j]));
          generated++;
        });
      });
      expect(generated).toBeGreaterThan(prompts.length * 2);
      expect(worst).toBeLessThanOrEqual(TOL);
    }
  });

  it('scoreLogprobs and values match the reference', async () => {
    const s = await get();
    const seqs = randomSeqs(new Rng(21), [6, 12, 2], cfg.vocabSize);
    const promptLens = [1, 7, 2];
    const scored = await s.scoreLogprobs(seqs, promptLens);
    let worst = 0;
    seqs.forEach((seq, i) => {
      const ref = referenceForward(weights, cfg, seq);
      expect(scored[i]).toHaveLength(seq.length - promptLens[i]);
      scored[i].forEach((lp, j) => {
        const t = promptLens[i] + j;
        worst = Math.max(worst, Math.abs(logSoftmax(ref.logits[t - 1])[seq[t]] - lp));
      });
    });
    expect(worst).toBeLessThanOrEqual(TOL);
    if (cfg.valueHead) {
      const vals = await s.values(seqs);
      const refVals = seqs.map((seq) => referenceForward(weights, cfg, seq).values[seq.length - 1]);
      expect(maxAbsDiff(vals, refVals)).toBeLessThanOrEqual(TOL);
      for (const v of vals) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
  });
});
