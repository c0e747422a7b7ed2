/** Behaviour of the ONNX sampler: determinism, batching, stopping, truncation and clear errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { RlmkitError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { EOS_TOKEN } from '../../src/engine/sampler-types.js';
import { type OnnxSampler, createOnnxSampler } from '../../src/engine/onnx/sampler.js';
import { buildOnnxModels } from '../../src/engine/onnx/models.js';
import { randomSeqs, testWeights, tinyConfig } from './onnx-helpers.js';

const cfg = tinyConfig();
const weights = testWeights(cfg, 3);
let sampler: OnnxSampler;
beforeAll(async () => {
  sampler = await createOnnxSampler(weights, cfg, { threads: 1 });
});
afterAll(() => sampler.dispose());

const prompts = randomSeqs(new Rng(2), [4, 1, 7, 3, 9, 2], cfg.vocabSize);

/** Expects `p` to reject with an RlmkitError whose message matches `re`. */
async function rejectsWith(p: Promise<unknown> | (() => unknown), re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error matching ${re}`).toBeInstanceOf(RlmkitError);
  expect((err as RlmkitError).message).toMatch(re);
}

describe('ONNX sampler', () => {
  it('is deterministic under a seed, and the seed matters', async () => {
    const o = { maxNewTokens: 10, temperature: 1.2 };
    const a = await sampler.sample(prompts, { ...o, seed: 42 });
    const b = await sampler.sample(prompts, { ...o, seed: 42 });
    const c = await sampler.sample(prompts, { ...o, seed: 43 });
    expect(b).toEqual(a);
    expect(c.map((r) => r.tokens)).not.toEqual(a.map((r) => r.tokens));
  });

  it('greedy decoding does not depend on the batch around a prompt, maxBatch or cacheMiB', async () => {
    const o = { maxNewTokens: 9, temperature: 0 };
    const batched = await sampler.sample(prompts, o);
    for (let i = 0; i < prompts.length; i++) {
      const [alone] = await sampler.sample([prompts[i]], o);
      expect(alone.tokens).toEqual(batched[i].tokens);
      for (let j = 0; j < alone.logprobs.length; j++) expect(alone.logprobs[j]).toBeCloseTo(batched[i].logprobs[j], 5);
    }
    for (const opts of [{ maxBatch: 2 }, { cacheMiB: 0.01 }]) {
      // successive small batches: the same greedy tokens, the same scores
      const small = await createOnnxSampler(weights, cfg, { threads: 1, ...opts });
      try {
        expect((await small.sample(prompts, o)).map((r) => r.tokens)).toEqual(batched.map((r) => r.tokens));
        const [a, b] = [
          await small.scoreLogprobs(
            prompts,
            prompts.map(() => 1),
          ),
          await sampler.scoreLogprobs(
            prompts,
            prompts.map(() => 1),
          ),
        ];
        a.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(b[i][j], 5)));
      } finally {
        small.dispose();
      }
    }
  });

  it('top-k 1 and a tiny top-p are greedy; log-probs are taken before truncation', async () => {
    const greedy = await sampler.sample(prompts, { maxNewTokens: 6, temperature: 0 });
    const topK = await sampler.sample(prompts, { maxNewTokens: 6, temperature: 1, topK: 1, seed: 9 });
    const topP = await sampler.sample(prompts, { maxNewTokens: 6, temperature: 1, topP: 1e-6, seed: 9 });
    expect(topK.map((r) => r.tokens)).toEqual(greedy.map((r) => r.tokens));
    expect(topP.map((r) => r.tokens)).toEqual(greedy.map((r) => r.tokens));
    // Untruncated log-probs at T = 1 are those of greedy decoding (scored at T = 1), and below 0.
    topK.forEach((r, i) =>
      r.logprobs.forEach((lp, j) => {
        expect(lp).toBeCloseTo(greedy[i].logprobs[j], 5);
        expect(lp).toBeLessThan(0);
      }),
    );
  });

  it('top-k restricts the sampled tokens to the k most likely', async () => {
    const prompt = [prompts[2]];
    const [full] = await sampler.forward(prompt).then((f) => f.logits);
    const last = Array.from(full.subarray((prompt[0].length - 1) * cfg.vocabSize));
    const top3 = last
      .map((l, i) => [l, i])
      .sort((a, b) => b[0] - a[0])
      .slice(0, 3)
      .map(([, i]) => i);
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const [r] = await sampler.sample(prompt, { maxNewTokens: 1, temperature: 3, topK: 3, seed });
      seen.add(r.tokens[0]);
    }
    for (const t of seen) expect(top3).toContain(t);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('stops on eos and stop tokens, per row, with the right finish reason', async () => {
    const stopTokens = Array.from({ length: cfg.vocabSize }, (_, i) => i).filter((i) => i !== EOS_TOKEN);
    const res = await sampler.sample(prompts, { maxNewTokens: 8, seed: 1, stopTokens });
    for (const r of res) {
      expect(r.tokens).toHaveLength(1);
      if (r.tokens[0] === EOS_TOKEN) expect(r.finishReason).toBe('eos');
      else {
        expect(r.finishReason).toBe('stop');
        expect(r.stopToken).toBe(r.tokens[0]);
      }
    }
    const long = await sampler.sample(prompts, { maxNewTokens: 8, seed: 1, temperature: 2 });
    for (const r of long) {
      expect(r.tokens.length).toBeLessThanOrEqual(8);
      expect(r.logprobs).toHaveLength(r.tokens.length);
      const lastTok = r.tokens[r.tokens.length - 1];
      if (r.finishReason === 'eos') expect(lastTok).toBe(EOS_TOKEN);
      else {
        expect(r.finishReason).toBe('length');
        expect(r.tokens).toHaveLength(8);
        expect(r.tokens.slice(0, -1)).not.toContain(EOS_TOKEN);
      }
    }
  });

  it('stops at the model context and handles maxNewTokens 0', async () => {
    const nearFull = randomSeqs(new Rng(4), [cfg.maxSeqLen - 2, cfg.maxSeqLen, 3], cfg.vocabSize);
    const res = await sampler.sample(nearFull, { maxNewTokens: 10, temperature: 0 });
    expect(res[0].tokens.length).toBeLessThanOrEqual(2);
    expect(res[1].tokens.length).toBe(1); // a full prompt still yields one token, never fed back
    if (res[0].finishReason !== 'eos') expect(res[0].finishReason).toBe('length');
    const none = await sampler.sample(prompts, { maxNewTokens: 0 });
    expect(none.every((r) => r.tokens.length === 0 && r.finishReason === 'length')).toBe(true);
    expect(await sampler.sample([], { maxNewTokens: 3 })).toEqual([]);
  });

  it('scoreLogprobs of sampled sequences reproduces the sampled log-probs', async () => {
    const res = await sampler.sample(prompts, { maxNewTokens: 7, seed: 8 });
    const scored = await sampler.scoreLogprobs(
      prompts.map((p, i) => [...p, ...res[i].tokens]),
      prompts.map((p) => p.length),
    );
    res.forEach((r, i) => r.logprobs.forEach((lp, j) => expect(scored[i][j]).toBeCloseTo(lp, 5)));
  });

  it('builds models that onnxruntime loads, with the config in the metadata', async () => {
    const { sequence, decode } = buildOnnxModels(weights, cfg, 'standard');
    const s = await ort.InferenceSession.create(sequence);
    expect(s.inputNames).toEqual(expect.arrayContaining(['input_ids', 'position_ids', 'attention_bias', 'past_key_0', 'past_value_1']));
    expect(s.outputNames).toEqual(expect.arrayContaining(['logits', 'new_key_0', 'new_value_1', 'values']));
    await s.release();
    const d = await ort.InferenceSession.create(decode);
    expect(d.outputNames).toEqual(['logits', 'new_kv']);
    await d.release();
    expect(new TextDecoder().decode(sequence)).toContain('"vocabSize":19');
  });
});

describe('ONNX sampler errors', () => {
  it('rejects weights that do not fit the config', async () => {
    const missing = new Map(weights);
    missing.delete('layers.1.attention.wk.weight');
    await rejectsWith(createOnnxSampler(missing, cfg), /missing tensor layers\.1\.attention\.wk\.weight/);
    const noHead = new Map(weights);
    noHead.delete('output.weight');
    await rejectsWith(createOnnxSampler(noHead, cfg), /missing tensor output\.weight.*tieEmbeddings: false/);
    const wrong = new Map(weights);
    wrong.set('norm.weight', { shape: [cfg.dModel + 1], data: new Float32Array(cfg.dModel + 1) });
    await rejectsWith(createOnnxSampler(wrong, cfg), /norm\.weight has shape \[33\], the config needs \[32\]/);
    await rejectsWith(createOnnxSampler(weights, { ...cfg, valueHead: false }), /unexpected tensor value_head\..*valueHead: false/);
    await rejectsWith(createOnnxSampler(weights, { ...cfg, dFF: 48 }), /feed_forward\.w1\.weight has shape/);
    await rejectsWith(createOnnxSampler(weights, { ...cfg, nHeads: 3 }), /divisible by nHeads/);
  });

  it('rejects bad token ids, over-long and empty sequences, bad options', async () => {
    await rejectsWith(
      sampler.sample([[1, 2, cfg.vocabSize]], { maxNewTokens: 2 }),
      /prompt 0 has token id 19 at position 2, outside the model vocabulary \(0\.\.18\)/,
    );
    await rejectsWith(sampler.sample([[1, -1]], { maxNewTokens: 2 }), /token id -1/);
    await rejectsWith(sampler.sample([[1, 2.5]], { maxNewTokens: 2 }), /token id 2\.5/);
    await rejectsWith(sampler.scoreLogprobs([[1, 99]], [1]), /sequence 0 has token id 99/);
    const tooLong = Array.from({ length: cfg.maxSeqLen + 1 }, () => 1);
    await rejectsWith(sampler.sample([tooLong], { maxNewTokens: 1 }), /prompt 0 is 25 tokens long, more than the model context of 24/);
    await rejectsWith(sampler.values([tooLong]), /more than the model context/);
    await rejectsWith(sampler.sample([[]], { maxNewTokens: 1 }), /prompt 0 is empty/);
    await rejectsWith(sampler.sample([[1]], { maxNewTokens: -1 }), /maxNewTokens/);
    await rejectsWith(sampler.sample([[1]], { maxNewTokens: 1, topP: 0 }), /topP/);
    await rejectsWith(sampler.sample([[1]], { maxNewTokens: 1, stopTokens: [400] }), /stop token 400/);
    await rejectsWith(sampler.scoreLogprobs([[1, 2]], [0]), /prompt length 0/);
    await rejectsWith(sampler.scoreLogprobs([[1, 2]], []), /1 sequences but 0 prompt lengths/);
    await rejectsWith(createOnnxSampler(weights, cfg, { threads: 0 }), /threads/);
  });

  it('refuses values without a value head, and use after dispose', async () => {
    const policyCfg = tinyConfig({ valueHead: false });
    const policy = await createOnnxSampler(testWeights(policyCfg), policyCfg, { threads: 1 });
    await rejectsWith(policy.values([[1, 2]]), /no value head/);
    policy.dispose();
    await rejectsWith(() => policy.sample([[1]], { maxNewTokens: 1 }), /after dispose/);
  });
});
