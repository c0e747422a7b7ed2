/** The paired comparison of any per-problem score (what `rlmkit bench render` reports for IoU). */
import { describe, expect, it } from 'vitest';
import { pairedDifference, pairedValues } from '../../src/eval/stats.js';

describe('pairedValues', () => {
  it('pairs by problem id, leaves out unmatched problems, and counts ties within the tolerance', () => {
    const base = [
      { problemId: 'a', value: 0.5 },
      { problemId: 'b', value: 0.25 },
      { problemId: 'c', value: 1 },
      { problemId: 'only-base', value: 0 },
    ];
    const cur = [
      { problemId: 'c', value: 1 + 1e-13 },
      { problemId: 'a', value: 0.75 },
      { problemId: 'b', value: 0 },
      { problemId: 'only-current', value: 1 },
    ];
    const r = pairedValues(base, cur, { seed: 1, tie: 1e-12 });
    expect(r.problems).toBe(3);
    expect(r.baseline).toBeCloseTo((0.5 + 0.25 + 1) / 3, 12);
    expect(r.current).toBeCloseTo((0.75 + 0 + 1) / 3, 12);
    expect(r.difference.mean).toBeCloseTo((0.25 - 0.25 + 1e-13) / 3, 12);
    expect([r.better, r.worse, r.same]).toEqual([1, 1, 1]);
    // Without a tolerance the 1e-13 gain is a win.
    expect(pairedValues(base, cur, { seed: 1 }).better).toBe(2);
  });

  it('is what pairedDifference computes from accuracies', () => {
    const base = [
      { problemId: 'x', n: 4, correct: 1 },
      { problemId: 'y', n: 4, correct: 4 },
    ];
    const cur = [
      { problemId: 'x', n: 4, correct: 3 },
      { problemId: 'y', n: 0, correct: 0 },
    ];
    const viaValues = pairedValues(
      base.map((p) => ({ problemId: p.problemId, value: p.correct / p.n })),
      [
        { problemId: 'x', value: 0.75 },
        { problemId: 'y', value: 0 },
      ],
      { seed: 3 },
    );
    expect(pairedDifference(base, cur, { seed: 3 })).toEqual(viaValues);
  });
});
