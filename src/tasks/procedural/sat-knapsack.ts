/**
 * SAT and knapsack, two of x1's procedural families (Dutta et al. 2025), with exact verifiers.
 * - `sat`: random 3-SAT with a planted solution (clauses drawn among those the planted assignment
 *   satisfies, so every instance is satisfiable); any satisfying assignment is correct. The solver
 *   is DPLL (Davis, Logemann & Loveland 1962) with unit propagation; the trace assigns x1..xn in
 *   order along the solution it finds; a step is valid while no clause is falsified.
 * - `knapsack`: 0/1 knapsack; the optimum is computed by dynamic programming over capacities
 *   (Bellman 1957); any item set within capacity reaching the optimum is correct; the trace takes
 *   the items of one optimal set in index order with running totals.
 */
import type { Rng } from '../../core/rng.js';
import type { CheckResult, Level, ProceduralSpec } from './make.js';

// ---------------------------------------------------------------- SAT

export interface SatData {
  n: number;
  /** Clauses of literals: +k is x_k, -k is not x_k (1-based). */
  clauses: number[][];
}

const SAT_SIZE: Record<Level, { n: number; m: number }> = { easy: { n: 4, m: 10 }, medium: { n: 6, m: 20 }, hard: { n: 10, m: 40 } };

const litTrue = (lit: number, a: ReadonlyArray<boolean | undefined>) => {
  const v = a[Math.abs(lit) - 1];
  return v === undefined ? undefined : lit > 0 ? v : !v;
};

/** DPLL with unit propagation; variables tried in index order, true first. Null when unsatisfiable. */
export function dpll(
  n: number,
  clauses: readonly number[][],
  partial: Array<boolean | undefined> = new Array(n).fill(undefined),
): boolean[] | null {
  const a = [...partial];
  for (let changed = true; changed;) {
    changed = false;
    for (const c of clauses) {
      const vals = c.map((l) => litTrue(l, a));
      if (vals.some((v) => v === true)) continue;
      const open = c.filter((_, i) => vals[i] === undefined);
      if (open.length === 0) return null;
      if (open.length === 1) {
        a[Math.abs(open[0]) - 1] = open[0] > 0;
        changed = true;
      }
    }
  }
  const free = a.findIndex((v) => v === undefined);
  if (free < 0) return a as boolean[];
  for (const v of [true, false]) {
    a[free] = v;
    const r = dpll(n, clauses, a);
    if (r) return r;
  }
  return null;
}

function parseBits(d: SatData, answer: string): boolean[] | null {
  const named = [...answer.matchAll(/x(\d+)\s*=\s*([01TtFf])/g)];
  if (named.length === d.n) {
    const a = new Array<boolean | undefined>(d.n).fill(undefined);
    for (const m of named) if (Number(m[1]) >= 1 && Number(m[1]) <= d.n) a[Number(m[1]) - 1] = /[1Tt]/.test(m[2]);
    return a.every((v) => v !== undefined) ? (a as boolean[]) : null;
  }
  const bits = answer.replace(/[\s,]/g, '');
  return new RegExp(`^[01]{${d.n}}$`).test(bits) ? [...bits].map((b) => b === '1') : null;
}

const clauseText = (c: readonly number[]) => `(${c.map((l) => (l > 0 ? `x${l}` : `¬x${-l}`)).join(' ∨ ')})`;

export const satSpec: ProceduralSpec<SatData> = {
  name: 'sat',
  description: '3-SAT with a planted solution: find a satisfying assignment (any is accepted)',
  ruleCheck: true,
  generate(rng: Rng, level: Level) {
    const { n, m } = SAT_SIZE[level];
    const planted = Array.from({ length: n }, () => rng.bool());
    const clauses: number[][] = [];
    const seen = new Set<string>();
    while (clauses.length < m) {
      const vars = rng
        .shuffle(Array.from({ length: n }, (_, i) => i + 1))
        .slice(0, 3)
        .sort((x, y) => x - y);
      const c = vars.map((v) => (rng.bool() ? v : -v));
      if (!c.some((l) => litTrue(l, planted))) continue;
      const k = c.join(' ');
      if (seen.has(k)) continue;
      seen.add(k);
      clauses.push(c);
    }
    return { n, clauses };
  },
  key: (d) => d.clauses.map((c) => c.join(' ')).join(','),
  question: (d) => `Find values for x1..x${d.n} (1 = true, 0 = false) that satisfy every clause: ${d.clauses.map(clauseText).join(' ∧ ')}.`,
  plain: (d) => d.clauses.map((c) => c.join(' ')).join(','),
  answerFormat: 'the values of x1..xn as bits, e.g. 1011',
  answer: (d) =>
    dpll(d.n, d.clauses)!
      .map((b) => (b ? '1' : '0'))
      .join(''),
  check(d, answer): CheckResult {
    const a = parseBits(d, answer);
    if (!a) return { parsed: false, correct: false, reason: `expected ${d.n} bits (x1..x${d.n})` };
    const bad = d.clauses.findIndex((c) => !c.some((l) => litTrue(l, a)));
    return bad < 0
      ? { parsed: true, correct: true, reason: 'every clause satisfied' }
      : { parsed: true, correct: false, reason: `clause ${bad + 1} ${clauseText(d.clauses[bad])} is false` };
  },
  trace: (d) => dpll(d.n, d.clauses)!.map((b, i) => `x${i + 1}=${b ? 1 : 0}`),
  stepsValid(d, steps) {
    const a = new Array<boolean | undefined>(d.n).fill(undefined);
    for (let i = 0; i < steps.length; i++) {
      const m = /^x(\d+)=([01])$/.exec(steps[i].trim());
      if (!m || Number(m[1]) !== i + 1 || i >= d.n)
        return { valid: false, reason: `step ${i + 1}: expected "x${i + 1}=0" or "x${i + 1}=1"` };
      a[i] = m[2] === '1';
      const bad = d.clauses.find((c) => c.every((l) => litTrue(l, a) === false));
      if (bad) return { valid: false, reason: `step ${i + 1}: clause ${clauseText(bad)} is now false` };
    }
    return { valid: true };
  },
};

// ---------------------------------------------------------------- knapsack

export interface KnapsackData {
  weights: number[];
  values: number[];
  capacity: number;
  /** The optimal total value (dynamic programming). */
  best: number;
}

const KNAP_SIZE: Record<Level, number> = { easy: 4, medium: 6, hard: 9 };

/** 0/1 knapsack by DP over capacities; returns the best value and one optimal set (smallest indices first). */
export function knapsack(weights: readonly number[], values: readonly number[], capacity: number): { best: number; items: number[] } {
  const n = weights.length;
  // best[i][c]: best value using items i..n-1 with capacity c (suffix form, so the choice is greedy in index order).
  const best = Array.from({ length: n + 1 }, () => new Array<number>(capacity + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let c = 0; c <= capacity; c++) {
      best[i][c] = best[i + 1][c];
      if (weights[i] <= c) best[i][c] = Math.max(best[i][c], values[i] + best[i + 1][c - weights[i]]);
    }
  }
  const items: number[] = [];
  let c = capacity;
  for (let i = 0; i < n; i++) {
    if (weights[i] <= c && best[i][c] === values[i] + best[i + 1][c - weights[i]]) {
      items.push(i + 1);
      c -= weights[i];
    }
  }
  return { best: best[0][capacity], items };
}

export const knapsackSpec: ProceduralSpec<KnapsackData> = {
  name: 'knapsack',
  description: '0/1 knapsack: choose items within the capacity with the largest total value (any optimal set is accepted)',
  ruleCheck: true,
  generate(rng, level) {
    const n = KNAP_SIZE[level];
    const weights = Array.from({ length: n }, () => rng.int(1, 9));
    const values = Array.from({ length: n }, () => rng.int(1, 20));
    const capacity = Math.max(1, Math.floor(weights.reduce((a, b) => a + b, 0) / 2));
    return { weights, values, capacity, best: knapsack(weights, values, capacity).best };
  },
  key: (d) => `${d.weights.join(',')}|${d.values.join(',')}|${d.capacity}`,
  question: (d) =>
    `Items (weight, value): ${d.weights.map((w, i) => `${i + 1}: (${w}, ${d.values[i]})`).join('; ')}. Capacity ${d.capacity}. Choose items with total weight at most ${d.capacity} and the largest total value.`,
  plain: (d) => `${d.weights.map((w, i) => `${w}:${d.values[i]}`).join(' ')} c${d.capacity}`,
  answerFormat: 'the chosen item numbers separated by commas, e.g. 1,3',
  answer: (d) => knapsack(d.weights, d.values, d.capacity).items.join(','),
  check(d, answer): CheckResult {
    const t = answer.trim();
    const parts =
      t === '' || /^(none|-|\[\])$/i.test(t)
        ? []
        : t
            .replace(/^\[|\]$/g, '')
            .split(/[\s,]+/)
            .filter(Boolean);
    if (parts.some((p) => !/^\d+$/.test(p))) return { parsed: false, correct: false, reason: 'expected item numbers separated by commas' };
    const items = parts.map(Number);
    if (items.some((i) => i < 1 || i > d.weights.length) || new Set(items).size !== items.length)
      return { parsed: true, correct: false, reason: `items must be distinct numbers 1..${d.weights.length}` };
    const w = items.reduce((a, i) => a + d.weights[i - 1], 0);
    const v = items.reduce((a, i) => a + d.values[i - 1], 0);
    if (w > d.capacity) return { parsed: true, correct: false, reason: `weight ${w} exceeds capacity ${d.capacity}` };
    return v === d.best
      ? { parsed: true, correct: true, reason: `optimal value ${v}` }
      : { parsed: true, correct: false, reason: `value ${v}, the optimum is ${d.best}` };
  },
  trace(d) {
    let w = 0;
    let v = 0;
    return knapsack(d.weights, d.values, d.capacity).items.map((i) => {
      w += d.weights[i - 1];
      v += d.values[i - 1];
      return `take ${i}: w=${w} v=${v}`;
    });
  },
  stepsValid(d, steps) {
    let w = 0;
    let v = 0;
    let last = 0;
    for (let s = 0; s < steps.length; s++) {
      const m = /^take (\d+): w=(\d+) v=(\d+)$/.exec(steps[s].trim());
      if (!m) return { valid: false, reason: `step ${s + 1}: expected "take <item>: w=<total weight> v=<total value>"` };
      const i = Number(m[1]);
      if (i <= last || i > d.weights.length)
        return { valid: false, reason: `step ${s + 1}: items are taken in increasing order, 1..${d.weights.length}` };
      last = i;
      w += d.weights[i - 1];
      v += d.values[i - 1];
      if (Number(m[2]) !== w || Number(m[3]) !== v) return { valid: false, reason: `step ${s + 1}: totals are w=${w} v=${v}` };
      if (w > d.capacity) return { valid: false, reason: `step ${s + 1}: weight ${w} exceeds capacity ${d.capacity}` };
    }
    return { valid: true };
  },
};
