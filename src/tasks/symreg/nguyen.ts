/**
 * The Nguyen symbolic-regression benchmark (Uy, Hoai, O'Neill, McKay & Galván-López 2011,
 * "Semantically-based crossover in genetic programming", Genetic Programming and Evolvable
 * Machines 12(2), Table: Nguyen-1…12), with the sampling used by DSR (Petersen et al. 2021) and
 * RSRM (Xu et al., ICLR 2024): 20 points drawn uniformly in the stated range per variable.
 * Held-out points for the exact-recovery check come from the same range with another seed.
 */
import { Rng } from '../../core/rng.js';

export interface SymRegProblemData {
  name: string;
  /** The true formula, infix (never shown to a search). */
  formula: string;
  variables: string[];
  range: [number, number];
  /** Training columns (one per variable) and targets. */
  X: number[][];
  y: number[];
}

export interface NguyenSpec {
  name: string;
  formula: string;
  variables: string[];
  range: [number, number];
  points: number;
  f: (v: readonly number[]) => number;
}

const sin = Math.sin;
const cos = Math.cos;
const log = Math.log;
const x1: [number, number] = [-1, 1];

export const NGUYEN: readonly NguyenSpec[] = [
  { name: 'nguyen-1', formula: 'x^3 + x^2 + x', variables: ['x'], range: x1, points: 20, f: ([x]) => x ** 3 + x ** 2 + x },
  { name: 'nguyen-2', formula: 'x^4 + x^3 + x^2 + x', variables: ['x'], range: x1, points: 20, f: ([x]) => x ** 4 + x ** 3 + x ** 2 + x },
  {
    name: 'nguyen-3',
    formula: 'x^5 + x^4 + x^3 + x^2 + x',
    variables: ['x'],
    range: x1,
    points: 20,
    f: ([x]) => x ** 5 + x ** 4 + x ** 3 + x ** 2 + x,
  },
  {
    name: 'nguyen-4',
    formula: 'x^6 + x^5 + x^4 + x^3 + x^2 + x',
    variables: ['x'],
    range: x1,
    points: 20,
    f: ([x]) => x ** 6 + x ** 5 + x ** 4 + x ** 3 + x ** 2 + x,
  },
  { name: 'nguyen-5', formula: 'sin(x^2)*cos(x) - 1', variables: ['x'], range: x1, points: 20, f: ([x]) => sin(x * x) * cos(x) - 1 },
  { name: 'nguyen-6', formula: 'sin(x) + sin(x + x^2)', variables: ['x'], range: x1, points: 20, f: ([x]) => sin(x) + sin(x + x * x) },
  {
    name: 'nguyen-7',
    formula: 'log(x + 1) + log(x^2 + 1)',
    variables: ['x'],
    range: [0, 2],
    points: 20,
    f: ([x]) => log(x + 1) + log(x * x + 1),
  },
  { name: 'nguyen-8', formula: 'sqrt(x)', variables: ['x'], range: [0, 4], points: 20, f: ([x]) => Math.sqrt(x) },
  { name: 'nguyen-9', formula: 'sin(x) + sin(y^2)', variables: ['x', 'y'], range: [0, 1], points: 20, f: ([x, y]) => sin(x) + sin(y * y) },
  { name: 'nguyen-10', formula: '2*sin(x)*cos(y)', variables: ['x', 'y'], range: [0, 1], points: 20, f: ([x, y]) => 2 * sin(x) * cos(y) },
  { name: 'nguyen-11', formula: 'x^y', variables: ['x', 'y'], range: [0, 1], points: 20, f: ([x, y]) => x ** y },
  {
    name: 'nguyen-12',
    formula: 'x^4 - x^3 + y^2/2 - y',
    variables: ['x', 'y'],
    range: [0, 1],
    points: 20,
    f: ([x, y]) => x ** 4 - x ** 3 + (y * y) / 2 - y,
  },
];

/** `n` points uniform in the spec's range (each variable independently), with targets. */
export function sampleNguyen(spec: NguyenSpec, n: number, rng: Rng): { X: number[][]; y: number[] } {
  const [lo, hi] = spec.range;
  const X = spec.variables.map(() => Array.from({ length: n }, () => lo + (hi - lo) * rng.next()));
  const y = Array.from({ length: n }, (_, i) => spec.f(X.map((c) => c[i])));
  return { X, y };
}

export function nguyenProblem(spec: NguyenSpec, seed: number): SymRegProblemData {
  const { X, y } = sampleNguyen(spec, spec.points, new Rng(seed).fork(spec.name));
  return { name: spec.name, formula: spec.formula, variables: spec.variables, range: spec.range, X, y };
}
