import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { validateModelConfig } from '../../src/engine/config.js';
import { chooseToken, logSoftmax } from '../../src/engine/choose.js';
import { LlamaModel, initHostWeights } from '../../src/engine/model.js';
import { JaxSampler, createJaxSampler } from '../../src/engine/jax-sampler.js';
import { LogprobScorer } from '../../src/engine/logprob-scorer.js';

// Larger init than the default so the distribution is far from uniform and sampling choices matter.
const cfg = validateModelConfig({ vocabSize: 20, dModel: 32, nLayers: 2, nHeads: 4, dFF: 48, maxSeqLen: 24, valueHead: true });
const weights = initHostWeights(cfg, 21);
for (const [name, w] of weights)
  if (!name.endsWith('norm.weight'))
    w.data.forEach((x, i, a) => {
      a[i] = x * 8;
    });
const model = LlamaModel.fromHostWeights(weights, cfg);
const sampler = new JaxSampler(model);
afterAll(() => {
  sampler.dispose();
  model.dispose();
});

const prompts = [[1, 5, 6], [1], [1, 7, 8, 9, 10, 11, 12]];

describe('jax-js sampler', () => {
  it('KV-cache decoding gives the same log-probs as a full forward pass', async () => {
    const res = await sampler.sample(prompts, { maxNewTokens: 12, seed: 3 });
    const seqs = prompts.map((p, i) => [...p, ...res[i].tokens]);
    const full = await sampler.scoreLogprobs(
      seqs,
      prompts.map((p) => p.length),
    );
    let maxDiff = 0;
    res.forEach((r, i) => {
      expect(full[i].length).toBe(r.tokens.length);
      r.logprobs.forEach((lp, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(lp - full[i][j]));
      });
    });
    expect(res.some((r) => r.tokens.length > 3)).toBe(true);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('scores per-token log-probs at a temperature and per-token values on the host', async () => {
    const res = await sampler.sample(prompts, { maxNewTokens: 8, seed: 4, temperature: 0.7 });
    const seqs = prompts.map((p, i) => [...p, ...res[i].tokens]);
    const scorer = new LogprobScorer(model);
    const lp = await scorer.tokenLogprobs(seqs, 0.7);
    res.forEach((r, i) => {
      expect(lp[i]).toBeInstanceOf(Float32Array);
      expect(lp[i].length).toBe(seqs[i].length - 1);
      r.logprobs.forEach((x, j) => expect(Math.abs(x - lp[i][prompts[i].length - 1 + j])).toBeLessThan(1e-4));
    });
    const vals = await scorer.tokenValues(seqs);
    const last = await sampler.values!(seqs);
    vals.forEach((v, i) => {
      expect(v.length).toBe(seqs[i].length);
      expect(v[v.length - 1]).toBeCloseTo(last[i], 5);
    });
    scorer.dispose();
  });

  it('is deterministic under a seed; different seeds differ', async () => {
    const a = await sampler.sample(prompts, { maxNewTokens: 10, seed: 7 });
    const b = await sampler.sample(prompts, { maxNewTokens: 10, seed: 7 });
    const c = await sampler.sample(prompts, { maxNewTokens: 10, seed: 8 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('greedy equals top-k 1 and a tiny top-p, and scores at temperature 1', async () => {
    const g = await sampler.sample(prompts, { maxNewTokens: 8, temperature: 0 });
    const k1 = await sampler.sample(prompts, { maxNewTokens: 8, topK: 1, seed: 5 });
    const p0 = await sampler.sample(prompts, { maxNewTokens: 8, topP: 1e-6, seed: 6 });
    expect(k1.map((r) => r.tokens)).toEqual(g.map((r) => r.tokens));
    expect(p0.map((r) => r.tokens)).toEqual(g.map((r) => r.tokens));
    expect(k1.map((r) => r.logprobs)).toEqual(g.map((r) => r.logprobs));
  });

  it('reports log-probs of log_softmax(logits / T) before truncation', () => {
    const logits = [2, 1, 0.5, -1];
    const c = chooseToken(logits, { maxNewTokens: 1, temperature: 0.5, topK: 2 }, new Rng(1));
    expect([0, 1]).toContain(c.token);
    expect(c.logprob).toBeCloseTo(logSoftmax(logits.map((x) => x / 0.5))[c.token], 12);
  });

  it('stops at eos, at stop tokens and at the length limit', async () => {
    const many = Array.from({ length: 16 }, () => [1, 4]);
    const res = await sampler.sample(many, { maxNewTokens: 6, stopTokens: [5, 6, 7], seed: 1, temperature: 1.5 });
    for (const r of res) {
      const last = r.tokens[r.tokens.length - 1];
      if (r.finishReason === 'eos') expect(last).toBe(2);
      else if (r.finishReason === 'stop') {
        expect([5, 6, 7]).toContain(last);
        expect(r.stopToken).toBe(last);
      } else expect(r.tokens.length).toBe(6);
      expect(r.tokens.slice(0, -1).some((t) => t === 2 || [5, 6, 7].includes(t))).toBe(false);
      expect(r.logprobs.length).toBe(r.tokens.length);
    }
    expect(new Set(res.map((r) => r.finishReason)).size).toBeGreaterThan(1);
    // the context limit: prompt + generated never exceeds maxSeqLen
    const long = await sampler.sample([[1, 4, 4, 4]], { maxNewTokens: 100, temperature: 0 });
    if (long[0].finishReason === 'length') expect(4 + long[0].tokens.length).toBe(cfg.maxSeqLen);
    const none = await sampler.sample([[1]], { maxNewTokens: 0 });
    expect(none[0]).toEqual({ tokens: [], logprobs: [], finishReason: 'length' });
  });

  it('computes values at the last position, matching the value of a longer prefix scored alone', async () => {
    const v = await sampler.values!([
      [1, 4, 5],
      [1, 4, 5, 6, 7],
    ]);
    expect(v).toHaveLength(2);
    for (const x of v) expect(Math.abs(x)).toBeLessThanOrEqual(1);
    const alone = await sampler.values!([[1, 4, 5]]);
    expect(alone[0]).toBeCloseTo(v[0], 5);
  });

  it('rejects an over-long context, out-of-vocabulary ids and empty prompts', async () => {
    await expect(sampler.sample([Array(25).fill(4)], { maxNewTokens: 1 })).rejects.toThrow(/more than the model context of 24/);
    await expect(sampler.sample([[1, 20]], { maxNewTokens: 1 })).rejects.toThrow(/token id 20 is outside the model vocabulary/);
    await expect(sampler.sample([[]], { maxNewTokens: 1 })).rejects.toThrow(/prompt 0 is empty/);
    await expect(sampler.scoreLogprobs([Array(30).fill(4)], [1])).rejects.toThrow(/more than the model context/);
    await expect(sampler.sample([[1]], { maxNewTokens: 1, topP: 0 })).rejects.toThrow(/topP/);
  });

  it('createJaxSampler builds an owning sampler from host weights', async () => {
    const s = await createJaxSampler(weights, cfg);
    expect(s.kind).toBe('jax');
    const a = await s.sample([[1, 5]], { maxNewTokens: 4, seed: 2 });
    const b = await sampler.sample([[1, 5]], { maxNewTokens: 4, seed: 2 });
    expect(a).toEqual(b);
    s.dispose();
  });
});
