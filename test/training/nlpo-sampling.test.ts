/**
 * NLPO's masked sampling (src/training/rl/nlpo.ts) against its definition on a small random model:
 * the first response token must follow mu = pi_T / Z on the masking policy's top-p nucleus (never
 * a token outside it), and every recorded behaviour log-prob must be log mu of the token sampled.
 */
import { describe, expect, it } from 'vitest';
import { CharTokenizer, initEngine } from '../../src/engine/index.js';
import { startingModel } from '../../src/training/models.js';
import { ModelSectionSchema } from '../../src/training/recipe.js';
import { maskedDistribution, nucleus, sampleMasked, softmax } from '../../src/training/rl/nlpo.js';

describe('NLPO masked sampling', () => {
  it('samples mu = pi_T / Z on the nucleus of the masking policy and records log mu', async () => {
    await initEngine();
    const tok = CharTokenizer.fromTexts(['abcdefgh']);
    const section = ModelSectionSchema.parse({ d_model: 16, n_layers: 1, n_heads: 2, d_ff: 32, max_seq_len: 16 });
    const policy = startingModel(section, tok, 1, { kind: 'policy' });
    const masker = startingModel(section, tok, 2, { kind: 'policy' });
    const prompt = [1, ...tok.encode('abc')];
    const n = 3000;
    const { samples } = await sampleMasked(
      { weights: policy.weights, config: policy.config },
      { weights: masker.weights, config: masker.config },
      Array.from({ length: n }, () => prompt),
      { maxNewTokens: 3, temperature: 1, topP: 0.5, seed: 7 },
    );
    // the definition at the first position, from a full forward of each model
    const { createOnnxSampler } = await import('../../src/engine/onnx/sampler.js');
    const [a, b] = await Promise.all([createOnnxSampler(policy.weights, policy.config), createOnnxSampler(masker.weights, masker.config)]);
    const V = policy.config.vocabSize;
    const at = prompt.length - 1;
    const la = (await a.forward([prompt])).logits[0].subarray(at * V, (at + 1) * V);
    const lb = (await b.forward([prompt])).logits[0].subarray(at * V, (at + 1) * V);
    a.dispose();
    b.dispose();
    const allowed = nucleus(softmax(lb), 0.5);
    const mu = maskedDistribution(softmax(la), allowed);
    expect(allowed.length).toBeLessThan(V);
    const counts = new Array<number>(V).fill(0);
    for (const s of samples) counts[s.tokens[0]]++;
    for (let v = 0; v < V; v++) {
      if (!allowed.includes(v)) expect(counts[v]).toBe(0);
      else expect(Math.abs(counts[v] / n - mu[v])).toBeLessThan(4 * Math.sqrt((mu[v] * (1 - mu[v])) / n) + 1e-9);
      // the recorded behaviour log-prob of the first token is log mu
    }
    for (const s of samples.slice(0, 50)) expect(s.logprobs[0]).toBeCloseTo(Math.log(mu[s.tokens[0]]), 4);
    for (const s of samples) expect(s.logprobs.every((x) => Number.isFinite(x) && x <= 1e-6)).toBe(true);
  }, 120_000);
});
