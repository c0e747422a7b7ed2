/** Prefix caching in the ONNX sampler: the same results as without it, with less prefill work. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RlmkitError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { KvCache, KvStoragePool } from '../../src/engine/onnx/kv-cache.js';
import { BLOCK, PrefixCache } from '../../src/engine/onnx/prefix-cache.js';
import { type OnnxSampler, createOnnxSampler } from '../../src/engine/onnx/sampler.js';
import { randomSeqs, testWeights, tinyConfig } from './onnx-helpers.js';

const cfg = tinyConfig();
const weights = testWeights(cfg, 5);
let plain: OnnxSampler;
let cached: OnnxSampler;
beforeAll(async () => {
  plain = await createOnnxSampler(weights, cfg, { threads: 1 });
  cached = await createOnnxSampler(weights, cfg, { threads: 1, prefixCacheMiB: 1 });
});
afterAll(() => {
  plain.dispose();
  cached.dispose();
});

function expectSame(a: { tokens: number[]; logprobs: number[] }[], b: { tokens: number[]; logprobs: number[] }[]): void {
  expect(a.map((r) => r.tokens)).toEqual(b.map((r) => r.tokens));
  a.forEach((r, i) => r.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(b[i].logprobs[j], 4)));
}

describe('ONNX sampler prefix cache', () => {
  it('step-by-step prompts reuse the previous call and give the same tokens as an uncached sampler', async () => {
    cached.clearPrefixCache();
    let prompts = randomSeqs(new Rng(4), [3, 5, 2, 6], cfg.vocabSize);
    const o = { maxNewTokens: 3, temperature: 0 };
    let expectedReuse = 0;
    // Round 1: nothing cached. Round 2: each prompt is the previous prompt and its completion (one
    // new token to run: the decode-graph path). Round 3: two tokens more (the sequence graph with a past).
    for (const extra of [[], [], [4, 7]]) {
      const [a, b] = [await plain.sample(prompts, o), await cached.sample(prompts, o)];
      expectSame(b, a);
      expect(cached.prefixCacheStats!.reusedTokens).toBe(expectedReuse);
      // What the next round can reuse: every prompt and completion but the last token.
      expectedReuse += prompts.reduce((s, p, i) => s + p.length + a[i].tokens.length - 1, 0);
      prompts = prompts.map((p, i) => [...p, ...a[i].tokens, ...extra]);
    }
    const stats = cached.prefixCacheStats!;
    expect(stats.lookups).toBe(12);
    expect(stats.hits).toBe(8);
    expect(stats.bytes).toBeLessThanOrEqual(2 ** 20);
  });

  it('sampled (seeded) rows and repeated prompts match the uncached sampler', async () => {
    cached.clearPrefixCache();
    const base = randomSeqs(new Rng(9), [4, 7], cfg.vocabSize);
    // n = 3 samples of each prompt, as a policy sends them: repeated prompts are prefilled once.
    const rows = base.flatMap((p) => [p, p, p]);
    const o = { maxNewTokens: 5, temperature: 1, seed: 3 };
    const first = await cached.sample(rows, o);
    expectSame(first, await plain.sample(rows, o));
    const next = rows.map((p, i) => [...p, ...first[i].tokens]);
    expectSame(await cached.sample(next, { ...o, seed: 4 }), await plain.sample(next, { ...o, seed: 4 }));
    // Every distinct prompt of the second call continued one of the first: all were hits.
    expect(cached.prefixCacheStats!.hits).toBe(new Set(next.map((p) => p.join(','))).size);
  });

  it('a long reused prefix next to a long new prompt near the context end stays finite and exact', async () => {
    cached.clearPrefixCache();
    // Row 0 reuses all but one token of a prompt close to the context; row 1 has nothing cached and
    // a long prompt, so row 0's padding runs far past the context (its positions must stay valid).
    const rng = new Rng(12);
    const long = randomSeqs(rng, [cfg.maxSeqLen - 4], cfg.vocabSize)[0];
    await cached.sample([long.slice(0, -1)], { maxNewTokens: 1, temperature: 0 });
    const rows = [long, ...randomSeqs(rng, [cfg.maxSeqLen - 6], cfg.vocabSize)];
    const o = { maxNewTokens: 2, temperature: 1, seed: 5 };
    const got = await cached.sample(rows, o);
    expect(cached.prefixCacheStats!.reusedTokens).toBeGreaterThan(cfg.maxSeqLen / 2);
    for (const r of got) for (const lp of r.logprobs) expect(Number.isFinite(lp)).toBe(true);
    expectSame(got, await plain.sample(rows, o));
  });

  it('values of states that extend cached ones match the uncached values', async () => {
    cached.clearPrefixCache();
    const parents = randomSeqs(new Rng(12), [3, 6, 4], cfg.vocabSize);
    const children = parents.flatMap((p, i) => [
      [...p, 2, 5],
      [...p, 7],
      [...p, 3, 3, i + 1],
    ]);
    for (const states of [parents, children]) {
      const [a, b] = [await plain.values(states), await cached.values(states)];
      b.forEach((v, i) => expect(v).toBeCloseTo(a[i], 5));
    }
    // Every child reused its parent: all of it (parents are at most the child minus its last token).
    expect(cached.prefixCacheStats!).toMatchObject({ lookups: 12, hits: 9 });
    expect(cached.prefixCacheStats!.reusedTokens).toBe(3 * (3 + 6 + 4));
  });

  it('keeps its memory bound and can be cleared; bad sizes are usage errors', async () => {
    const small = await createOnnxSampler(weights, cfg, { threads: 1, prefixCacheMiB: 0.01 });
    try {
      const prompts = randomSeqs(new Rng(1), [5, 6, 7, 8, 9, 10], cfg.vocabSize);
      const out = await small.sample(prompts, { maxNewTokens: 6, temperature: 0 });
      expectSame(out, await plain.sample(prompts, { maxNewTokens: 6, temperature: 0 }));
      expect(small.prefixCacheStats!.bytes).toBeLessThanOrEqual(0.01 * 2 ** 20);
      expect(small.prefixCacheStats!.entries).toBeGreaterThan(0); // a block fits: some rows were kept
      small.clearPrefixCache();
      expect(small.prefixCacheStats).toMatchObject({ entries: 0, bytes: 0, lookups: 0 });
    } finally {
      small.dispose();
    }
    expect(plain.prefixCacheStats).toBeNull();
    await expect(createOnnxSampler(weights, cfg, { prefixCacheMiB: -1 })).rejects.toBeInstanceOf(RlmkitError);
  });
});

describe('PrefixCache', () => {
  const [L, H, Dh] = [2, 2, 3];
  const blockBytes = 2 * L * H * BLOCK * Dh * 4;
  /** A cache whose slot contents encode (row, token id, layer, head, d), so copies can be checked. */
  function filled(rows: { tokens: number[] }[], capacity: number): KvCache {
    const c = new KvCache(L, rows.length, H, Dh, capacity);
    rows.forEach((r, row) =>
      r.tokens.forEach((tok, t) => {
        for (let l = 0; l < L; l++)
          for (let h = 0; h < H; h++)
            for (let d = 0; d < Dh; d++) {
              // Keys depend on the prefix only through the tokens (as in a real model): same tokens, same keys.
              const at = ((row * H + h) * capacity + t) * Dh + d;
              c.keys[l][at] = 1000 * l + 100 * h + 10 * d + tok + 0.001 * t;
              c.values[l][at] = -c.keys[l][at];
            }
      }),
    );
    return c;
  }

  it('restores prefixes assembled from stored segments, and only up to the limit', () => {
    const pc = new PrefixCache(1 << 20, L, H, Dh);
    const a = [1, 5, 6, 7];
    const b = [1, 5, 6, 7, 8, 9]; // extends a: stored as a segment of 2 tokens on top of a
    const c = [1, 5, 2]; // shares 2 tokens with a
    const src = filled([{ tokens: a }, { tokens: b }, { tokens: c }], 8);
    pc.store(a, src, 0);
    pc.store(b, src, 1);
    pc.store(c, src, 2);
    pc.store(a, src, 0); // already contained: not stored again
    expect(pc.stats.entries).toBe(3);
    // Each entry holds its own tokens (4, 2 and 1) in one block, and its token ids.
    expect(pc.stats.bytes).toBe(3 * blockBytes + 4 * (4 + 6 + 3));
    const prompt = [1, 5, 6, 7, 8, 9, 3];
    const dst = new KvCache(L, 2, H, Dh, 10);
    expect(pc.restore(prompt, prompt.length - 1, dst, 1)).toBe(6);
    const want = filled([{ tokens: [] }, { tokens: prompt.slice(0, 6) }], 10);
    for (let l = 0; l < L; l++) {
      expect(Array.from(dst.keys[l])).toEqual(Array.from(want.keys[l]));
      expect(Array.from(dst.values[l])).toEqual(Array.from(want.values[l]));
    }
    expect(pc.restore([1, 5, 6, 7, 8], 2, new KvCache(L, 1, H, Dh, 10), 0)).toBe(2);
    expect(pc.restore([2, 5], 1, new KvCache(L, 1, H, Dh, 10), 0)).toBe(0);
    expect(pc.stats).toMatchObject({ lookups: 3, hits: 2, reusedTokens: 8, promptTokens: 14 });
  });

  it('evicts least recently used entries with their descendants, within the bound, and assembles long prefixes', () => {
    const pc = new PrefixCache(3 * blockBytes + 100, L, H, Dh);
    const seqs = [
      [1, 2, 3, 4],
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9],
      [7, 8, 9, 10, 11, 12, 13],
      [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
    ];
    const src = filled(
      seqs.map((tokens) => ({ tokens })),
      16,
    );
    seqs.slice(0, 3).forEach((s, i) => pc.store(s, src, i));
    expect(pc.stats.entries).toBe(3);
    // A fourth block does not fit: [1..4], least recently used, goes, and [1..6], which needs it, with it.
    pc.store(seqs[3], src, 3);
    expect(pc.stats).toMatchObject({ entries: 2 });
    expect(pc.stats.bytes).toBeLessThanOrEqual(3 * blockBytes + 100);
    const probe = new KvCache(L, 1, H, Dh, 16);
    expect(pc.restore([1, 2, 3, 4, 5, 6, 0], 6, probe, 0)).toBe(0);
    // Eight more tokens on top of [7..13]: one more block (a freed one), its ancestors stored once.
    pc.store(seqs[4], src, 4);
    expect(pc.stats.entries).toBe(3);
    expect(pc.restore([...seqs[4], 0], 15, probe, 0)).toBe(15);
    const want = filled([{ tokens: seqs[4] }], 16);
    for (let l = 0; l < L; l++) expect(Array.from(probe.keys[l])).toEqual(Array.from(want.keys[l]));
  });
});

describe('KvStoragePool', () => {
  it('reuses the buffers of a finished batch, but never those of a batch that produced NaN', () => {
    const pool = new KvStoragePool();
    const a = pool.take(2, 3, 2, 4, 5);
    pool.give(a);
    const b = pool.take(2, 2, 2, 4, 5); // smaller: fits in a's buffers
    expect(b.keys[0].buffer).toBe(a.keys[0].buffer);
    expect(b.keys[0].length).toBe(2 * 2 * 4 * 5);
    b.poisoned = true;
    pool.give(b);
    const c = pool.take(2, 2, 2, 4, 5);
    expect(c.keys[0].buffer).not.toBe(a.keys[0].buffer);
    expect(Array.from(c.keys[1]).every((x) => x === 0)).toBe(true);
  });
});
