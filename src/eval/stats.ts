/**
 * Means with 95% confidence intervals: Wilson's score interval for proportions (Wilson 1927),
 * the percentile bootstrap (Efron 1979) otherwise, seeded through Rng so reports are reproducible.
 */
import { Rng } from '../core/rng.js';

export interface MeanCI {
  mean: number;
  lo: number;
  hi: number;
  n: number;
  method: 'wilson' | 'bootstrap' | 'none';
}

const Z95 = 1.959963984540054;

/** Wilson score interval for `successes` out of `n` (95% by default). */
export function wilson(successes: number, n: number, z = Z95): MeanCI {
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n: 0, method: 'wilson' };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At p = 0 (or 1) the bound is exactly 0 (or 1); computed, it can miss by a rounding error.
  const lo = successes === 0 ? 0 : Math.max(0, centre - half);
  const hi = successes === n ? 1 : Math.min(1, centre + half);
  return { mean: p, lo, hi, n, method: 'wilson' };
}

/** Percentile bootstrap of the mean. */
export function bootstrapMean(values: readonly number[], o: { seed?: number; resamples?: number; level?: number } = {}): MeanCI {
  const n = values.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n: 0, method: 'bootstrap' };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, n, method: 'none' };
  const rng = new Rng(o.seed ?? 0).fork('bootstrap');
  const B = o.resamples ?? 2000;
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng.next() * n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = (1 - (o.level ?? 0.95)) / 2;
  const at = (q: number) => means[Math.min(B - 1, Math.max(0, Math.floor(q * (B - 1))))];
  return { mean, lo: at(alpha), hi: at(1 - alpha), n, method: 'bootstrap' };
}

/** Wilson when every value is 0 or 1, bootstrap otherwise. */
export function meanWithCI(values: readonly number[], o: { seed?: number; resamples?: number } = {}): MeanCI {
  if (values.every((v) => v === 0 || v === 1)) return wilson(values.filter((v) => v === 1).length, values.length);
  return bootstrapMean(values, o);
}

export interface Summary {
  mean: number;
  median: number;
  min: number;
  max: number;
  total: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { mean: NaN, median: NaN, min: NaN, max: NaN, total: 0 };
  const s = [...values].sort((a, b) => a - b);
  const total = s.reduce((a, b) => a + b, 0);
  const mid = s.length >> 1;
  return { mean: total / s.length, median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], total };
}

/** Per-problem accuracy of a report row: correct samples over samples. */
export interface ProblemAccuracy {
  problemId: string;
  n: number;
  correct: number;
}

export interface PairedComparison {
  /** Problems present in both runs (matched by id). */
  problems: number;
  /** Mean per-problem accuracy of the baseline and of this run. */
  baseline: number;
  current: number;
  /** current - baseline, with a 95% percentile-bootstrap interval over problems (paired). */
  difference: MeanCI;
  /** Problems only this run solved more often, only the baseline did, and ties. */
  better: number;
  worse: number;
  same: number;
}

/**
 * Paired comparison of two runs on the same problems: the difference of per-problem accuracies,
 * resampled by problem (the paired bootstrap; Efron & Tibshirani 1993, ch. 16), which is tighter
 * and more honest than comparing two independent intervals, because both runs share the problems'
 * difficulty. Problems found in only one run are left out.
 */
export function pairedDifference(
  baseline: readonly ProblemAccuracy[],
  current: readonly ProblemAccuracy[],
  o: { seed?: number; resamples?: number } = {},
): PairedComparison {
  const accuracy = (p: ProblemAccuracy) => ({ problemId: p.problemId, value: p.n > 0 ? p.correct / p.n : 0 });
  return pairedValues(baseline.map(accuracy), current.map(accuracy), o);
}

/**
 * The paired comparison of any per-problem score (accuracy, IoU, ...): the same paired bootstrap
 * as `pairedDifference`; differences within `tie` of 0 count as ties.
 */
export function pairedValues(
  baseline: readonly { problemId: string; value: number }[],
  current: readonly { problemId: string; value: number }[],
  o: { seed?: number; resamples?: number; tie?: number } = {},
): PairedComparison {
  const base = new Map(baseline.map((p) => [p.problemId, p.value]));
  const pairs: [number, number][] = [];
  for (const p of current) {
    const b = base.get(p.problemId);
    if (b !== undefined) pairs.push([b, p.value]);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : NaN);
  const diffs = pairs.map(([b, c]) => c - b);
  const tie = o.tie ?? 0;
  return {
    problems: pairs.length,
    baseline: mean(pairs.map(([b]) => b)),
    current: mean(pairs.map(([, c]) => c)),
    difference: bootstrapMean(diffs, { seed: o.seed, resamples: o.resamples ?? 10_000 }),
    better: diffs.filter((d) => d > tie).length,
    worse: diffs.filter((d) => d < -tie).length,
    same: diffs.filter((d) => Math.abs(d) <= tie).length,
  };
}
