/**
 * MoDoMoDo's mixture search (Liang et al. 2025, "MoDoMoDo: Multi-Domain Data Mixtures for Multimodal
 * LLM Reinforcement Learning", section 3.3): the RL outcome is modelled as a function of the task
 * mixture weights from a few short runs, and the mixture with the best predicted outcome is chosen.
 *
 * The outcome model is Scheffé's quadratic mixture polynomial (Scheffé 1958, "Experiments with
 * Mixtures"), the standard model for responses to proportions w on the simplex (sum w = 1, so there
 * is no intercept; it is absorbed by the linear terms):
 *     y(w) = sum_i b_i w_i + sum_{i<j} b_ij w_i w_j
 * fitted by ridge-regularised least squares (lambda small; the few runs a search affords make the
 * normal equations ill-conditioned otherwise). The search then evaluates the fit on a simplex grid
 * (every w with components in multiples of 1/resolution) and returns the argmax.
 *
 * `runMixtureSearch` drives it with real runs: one short RL run per candidate mixture of the
 * recipe's `rl.mixture.tasks` (the loop's multi-task mixtures, ./rl/mixture.ts), the outcome being
 * the final held-out greedy accuracy averaged over the tasks (eval_accuracy_<task>).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '../core/index.js';
import type { Recipe } from './recipe.js';
import { trainRl } from './pipeline.js';

/** Features of the Scheffé quadratic model: w_1..w_k, then w_i w_j for i < j. */
export function mixtureFeatures(w: readonly number[]): number[] {
  const f = [...w];
  for (let i = 0; i < w.length; i++) for (let j = i + 1; j < w.length; j++) f.push(w[i] * w[j]);
  return f;
}

/** Solves A x = b (A square) by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-12) throw new RangeError('mixture fit: singular system (too few distinct runs; raise the ridge)');
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

export interface MixtureModel {
  tasks: number;
  coef: number[];
}

/** Ridge least squares: coef = (X^T X + lambda I)^-1 X^T y over the Scheffé features. */
export function fitMixtureModel(weights: readonly (readonly number[])[], outcomes: readonly number[], lambda = 1e-3): MixtureModel {
  if (weights.length === 0 || weights.length !== outcomes.length)
    throw new RangeError(`mixture fit: ${weights.length} mixtures for ${outcomes.length} outcomes`);
  const k = weights[0].length;
  if (weights.some((w) => w.length !== k)) throw new RangeError('mixture fit: every mixture needs the same number of tasks');
  const X = weights.map((w) => mixtureFeatures(w));
  const p = X[0].length;
  const xtx = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? lambda : 0)),
  );
  const xty = Array.from({ length: p }, (_, i) => X.reduce((s, r, n) => s + r[i] * outcomes[n], 0));
  return { tasks: k, coef: solveLinear(xtx, xty) };
}

export function predictMixture(m: MixtureModel, w: readonly number[]): number {
  const f = mixtureFeatures(w);
  return f.reduce((s, x, i) => s + x * m.coef[i], 0);
}

/** Every w in the k-simplex with components in multiples of 1/resolution. */
export function simplexGrid(k: number, resolution: number): number[][] {
  if (!(Number.isInteger(k) && k >= 1 && Number.isInteger(resolution) && resolution >= 1))
    throw new RangeError(`simplex grid needs integers k >= 1 and resolution >= 1 (got ${k}, ${resolution})`);
  const out: number[][] = [];
  const rec = (prefix: number[], left: number) => {
    if (prefix.length === k - 1) {
      out.push([...prefix, left].map((x) => x / resolution));
      return;
    }
    for (let x = 0; x <= left; x++) rec([...prefix, x], left - x);
  };
  rec([], resolution);
  return out;
}

/** The grid mixture with the best predicted outcome (ties: the first in grid order). */
export function bestPredictedMixture(m: MixtureModel, resolution = 20): { weights: number[]; predicted: number } {
  let best = { weights: [] as number[], predicted: -Infinity };
  for (const w of simplexGrid(m.tasks, resolution)) {
    const y = predictMixture(m, w);
    if (y > best.predicted + 1e-12) best = { weights: w, predicted: y };
  }
  return best;
}

/** Default candidates: the k vertices, the centroid and the k(k-1)/2 edge midpoints (enough runs for the k(k+1)/2 coefficients). */
export function defaultCandidates(k: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < k; i++) out.push(Array.from({ length: k }, (_, j) => (j === i ? 1 : 0)));
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) out.push(Array.from({ length: k }, (_, t) => (t === i || t === j ? 0.5 : 0)));
  if (k > 2) out.push(Array(k).fill(1 / k));
  return out;
}

export interface MixtureSearchResult {
  tasks: string[];
  runs: { weights: number[]; outcome: number; perTask: Record<string, number>; run: string }[];
  model: MixtureModel;
  best: { weights: number[]; predicted: number };
}

function finalEval(runDir: string, tasks: readonly string[]): { outcome: number; perTask: Record<string, number> } {
  const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  const perTask: Record<string, number> = {};
  for (const l of lines) {
    const r = JSON.parse(l) as Record<string, unknown>;
    for (const t of tasks) if (typeof r[`eval_accuracy_${t}`] === 'number') perTask[t] = r[`eval_accuracy_${t}`] as number;
  }
  const missing = tasks.filter((t) => perTask[t] === undefined);
  if (missing.length) throw usageError(`mixture search: the run logged no eval_accuracy_${missing[0]}`, 'set rl.eval_problems > 0');
  return { outcome: tasks.reduce((s, t) => s + perTask[t], 0) / tasks.length, perTask };
}

/** Short RL runs of `recipe` at each candidate mixture, the fitted outcome model, and its best mixture. */
export async function runMixtureSearch(
  recipe: Recipe,
  o: { candidates?: number[][]; resolution?: number; root?: string; name?: string; progress?: 'bar' | 'log' | 'silent' } = {},
): Promise<MixtureSearchResult> {
  const mix = recipe.rl?.mixture;
  if (!recipe.rl || !mix)
    throw usageError('mixture search needs an rl recipe with rl.mixture.tasks', 'e.g. recipes/game24-countdown-mixture.yaml');
  const tasks = mix.tasks.map((t) => t.name);
  const candidates = o.candidates ?? defaultCandidates(tasks.length);
  if (candidates.some((w) => w.length !== tasks.length))
    throw usageError(`mixture search: candidates need ${tasks.length} weights each`, 'one per rl.mixture task');
  const runs: MixtureSearchResult['runs'] = [];
  for (const [i, w] of candidates.entries()) {
    // a task at weight 0 stays in the mixture (its held-out eval still runs) but is never sampled
    const r = structuredClone(recipe);
    r.rl!.mixture!.tasks = mix.tasks.map((t, j) => ({ ...t, weight: Math.max(w[j], 1e-9) }));
    const name = `${o.name ?? recipe.run.name}-mix${i}`;
    const res = await trainRl(r, { name, root: o.root, overwrite: true, progress: o.progress ?? 'silent' });
    runs.push({ weights: w, ...finalEval(res.run, tasks), run: res.run });
  }
  const model = fitMixtureModel(
    runs.map((r) => r.weights),
    runs.map((r) => r.outcome),
  );
  return { tasks, runs, model, best: bestPredictedMixture(model, o.resolution ?? 20) };
}
