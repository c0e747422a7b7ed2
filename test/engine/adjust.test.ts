/** OpenAI's sampling controls on a logit row (src/engine/adjust.ts), against the formula. */
import { describe, expect, it } from 'vitest';
import { adjustRow, hasAdjustments, topLogprobs } from '../../src/engine/adjust.js';
import { logSoftmax } from '../../src/engine/choose.js';

describe('logit bias and penalties', () => {
  it('logit[j] += bias[j] - count[j] * frequency - (count[j] > 0) * presence', () => {
    const logits = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
    const out = new Float32Array(6);
    // Offset 2: the row is [2, 3, 4, 5, 6, 7]; tokens 1 (x3) and 4 (x1) were generated.
    adjustRow(
      logits,
      2,
      6,
      { maxNewTokens: 1, logitBias: { 0: 10, 5: -100, 9: 50 }, frequencyPenalty: 0.5, presencePenalty: 0.25 },
      [1, 4, 1, 1],
      out,
    );
    expect([...out]).toEqual([12, 3 - 3 * 0.5 - 0.25, 4, 5, 6 - 0.5 - 0.25, 7 - 100]);
    expect(hasAdjustments({ maxNewTokens: 1 })).toBe(false);
    expect(hasAdjustments({ maxNewTokens: 1, logitBias: {}, presencePenalty: 0 })).toBe(false);
    expect(hasAdjustments({ maxNewTokens: 1, frequencyPenalty: -1 })).toBe(true);
  });

  it('top log-probs are the k largest of log_softmax at temperature 1, most likely first', () => {
    const row = [0.3, -1, 2.5, 2.5, 0, 1.7];
    const lp = logSoftmax(row);
    const top = topLogprobs(row, 0, row.length, 3);
    expect(top.map((t) => t.token)).toEqual([2, 3, 5]);
    top.forEach((t) => expect(t.logprob).toBeCloseTo(lp[t.token], 12));
  });
});
