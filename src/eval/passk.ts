/**
 * Sample-based accuracy metrics for n samples per problem.
 *
 * pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1): with n
 * samples of which c are correct, the unbiased estimator is
 *     pass@k = 1 - C(n-c, k) / C(n, k)
 * computed in the numerically stable product form
 *     1 - prod_{i=n-c+1}^{n} (1 - k / i)
 * (no huge binomials); it is 1 when n - c < k.
 */

export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || n < 0 || c < 0 || c > n || k < 1) {
    throw new RangeError(`passAtK: need integers 0 <= c <= n and k >= 1 (got n=${n}, c=${c}, k=${k})`);
  }
  if (k > n) throw new RangeError(`passAtK: k=${k} is larger than the number of samples n=${n}`);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** Binomial coefficient as a float (for tests and exact small cases). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - Math.min(k, n - k) + i)) / i;
  return r;
}

export interface ScoredSample {
  /** Extracted answer (null when none). */
  answer: string | null;
  correct: boolean;
  /** correct / wrong / unparseable (no answer could be read); absent when the strategy did not say. */
  verdict?: 'correct' | 'wrong' | 'unparseable';
  /** Reward-model score (higher is better), for best-of-k and weighted voting. */
  score?: number;
}

/**
 * best-of-k by a reward model: the expected correctness of the highest-scored sample among k
 * drawn without replacement from the n. Sorting the samples by score, the j-th lowest (1-based)
 * is the maximum of a random k-subset with probability C(j-1, k-1) / C(n, k). Tied scores share
 * their probability mass equally (a random tie-break).
 */
export function bestOfK(samples: readonly ScoredSample[], k: number): number {
  const n = samples.length;
  if (k < 1 || k > n) throw new RangeError(`bestOfK: need 1 <= k <= n (k=${k}, n=${n})`);
  const sorted = [...samples].sort((a, b) => (a.score ?? -Infinity) - (b.score ?? -Infinity));
  const total = binomial(n, k);
  let expected = 0;
  let j = 0;
  while (j < n) {
    // A run of equal scores [j, end).
    let end = j + 1;
    while (end < n && (sorted[end].score ?? -Infinity) === (sorted[j].score ?? -Infinity)) end++;
    // P(max of the subset falls in this run) = P(max index in [j, end)).
    let pRun = 0;
    for (let t = j; t < end; t++) pRun += binomial(t, k - 1) / total;
    const correctInRun = sorted.slice(j, end).filter((s) => s.correct).length;
    expected += pRun * (correctInRun / (end - j));
    j = end;
  }
  return expected;
}

/** Groups answers into clusters with the task's equivalence; returns cluster index per sample (-1: no answer). */
export function clusterAnswers(samples: readonly ScoredSample[], same: (a: string, b: string) => boolean): number[] {
  const reps: string[] = [];
  return samples.map((s) => {
    if (s.answer === null) return -1;
    const i = reps.findIndex((r) => same(r, s.answer!));
    if (i >= 0) return i;
    reps.push(s.answer);
    return reps.length - 1;
  });
}

/** One vote over a subset: the chosen cluster's correctness, ties split evenly. */
function vote(idx: readonly number[], samples: readonly ScoredSample[], clusters: readonly number[], weighted: boolean): number {
  const weight = new Map<number, number>();
  const correct = new Map<number, boolean>();
  for (const i of idx) {
    const c = clusters[i];
    if (c < 0) continue;
    weight.set(c, (weight.get(c) ?? 0) + (weighted ? (samples[i].score ?? 0) : 1));
    if (samples[i].correct) correct.set(c, true);
  }
  if (weight.size === 0) return 0;
  const best = Math.max(...weight.values());
  const top = [...weight.entries()].filter(([, w]) => w === best).map(([c]) => c);
  return top.filter((c) => correct.get(c)).length / top.length;
}

function* subsetsOrSamples(n: number, k: number, rng: () => number, maxExact: number, resamples: number): Generator<number[]> {
  if (binomial(n, k) <= maxExact) {
    const idx = Array.from({ length: k }, (_, i) => i);
    while (true) {
      yield [...idx];
      let i = k - 1;
      while (i >= 0 && idx[i] === n - k + i) i--;
      if (i < 0) return;
      idx[i]++;
      for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
    }
  }
  for (let r = 0; r < resamples; r++) {
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng() * (n - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    yield pool.slice(0, k);
  }
}

/**
 * maj@k (self-consistency, Wang et al. 2023) and score-weighted@k (weighted majority, as in
 * Uesato et al. 2022 / Li et al. 2023): the expected correctness of the vote over k of the n
 * samples. Exact over all k-subsets when there are at most `maxExact` of them, otherwise a seeded
 * Monte-Carlo average over `resamples` subsets.
 */
export function votingAtK(
  samples: readonly ScoredSample[],
  k: number,
  same: (a: string, b: string) => boolean,
  o: { weighted?: boolean; rng: () => number; maxExact?: number; resamples?: number },
): number {
  const n = samples.length;
  if (k < 1 || k > n) throw new RangeError(`votingAtK: need 1 <= k <= n (k=${k}, n=${n})`);
  const clusters = clusterAnswers(samples, same);
  let sum = 0;
  let count = 0;
  for (const idx of subsetsOrSamples(n, k, o.rng, o.maxExact ?? 5000, o.resamples ?? 1000)) {
    sum += vote(idx, samples, clusters, o.weighted ?? false);
    count++;
  }
  return sum / count;
}
