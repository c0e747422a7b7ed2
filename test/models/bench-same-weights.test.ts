/**
 * The same-weights row of `rlmkit bench engine`: both engines run the shipped checkpoint on the
 * same prompts and generate comparable amounts of text; the row carries rates and their ratio.
 * (Speeds themselves are measured by the benchmark, not asserted here.)
 */
import { describe, expect, it } from 'vitest';
import { runSameWeights } from '../../src/cli/bench/same-weights.js';

describe('bench engine: same-weights row', () => {
  it('measures onnx and llama.cpp on the shipped checkpoint at each batch size', async () => {
    const row = await runSameWeights({ rounds: 1, batches: [1, 4] });
    expect(row.error).toBeUndefined();
    expect(Object.keys(row.batches)).toEqual(['1', '4']);
    for (const b of Object.values(row.batches)) {
      expect(b.onnx_tokens_per_s).toBeGreaterThan(0);
      expect(b.llamacpp_tokens_per_s).toBeGreaterThan(0);
      expect(b.onnx_over_llamacpp).toBeCloseTo(b.onnx_tokens_per_s / b.llamacpp_tokens_per_s, 1);
      // Both sample full solutions of the same prompts at T=1: similar token counts.
      expect(b.tokens_per_round.onnx).toBeGreaterThan(b.tokens_per_round.llamacpp / 2);
      expect(b.tokens_per_round.llamacpp).toBeGreaterThan(b.tokens_per_round.onnx / 2);
    }
  }, 120_000);
});
