/**
 * The symbolic part of the grader, on @cortex-js/compute-engine: parse LaTeX, evaluate numerically
 * (complex-aware), substitute fixed points for free variables. Synchronous and possibly slow on
 * pathological input, so MathGrader runs it in worker threads under a time limit (pool.ts).
 */
import { ComputeEngine } from '@cortex-js/compute-engine';

export interface Tolerance {
  /** Relative tolerance for non-integer numbers: |a-b| <= relTol * max(|a|, |b|). */
  relTol: number;
  /** Absolute floor for values near zero. */
  absTol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { relTol: 1e-6, absTol: 1e-9 };

export interface Complex {
  re: number;
  im: number;
}

let engine: ComputeEngine | null = null;
export function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Fixed evaluation points for free variables (irrational-ish, so accidental equalities are rare). */
export const POINTS = [0.7317, 1.4142, 2.2361, -0.5772, 3.1416, 1.618, -1.3247, 2.7183];

export function numbersClose(a: number, b: number, tol: Tolerance): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= Math.max(tol.absTol, tol.relTol * Math.max(Math.abs(a), Math.abs(b)));
}

export function complexOf(x: any): Complex | null {
  try {
    const n = x.N();
    const re = typeof n.re === 'number' ? n.re : NaN;
    const im = typeof n.im === 'number' ? n.im : 0;
    if (Number.isNaN(re) || Number.isNaN(im)) return null;
    return { re, im };
  } catch {
    return null;
  }
}

export function closeComplex(a: Complex, b: Complex, tol: Tolerance): boolean {
  return numbersClose(a.re, b.re, tol) && numbersClose(a.im, b.im, tol);
}

/** A parsed expression, or null when compute-engine cannot read it. */
export function parseLatex(s: string): any | null {
  try {
    const e = ce().parse(s);
    return e.isValid ? e : null;
  } catch {
    return null;
  }
}

/** Free variables of parsed expressions (union, sorted). */
export function freeVariables(...exprs: any[]): string[] {
  const vars = new Set<string>();
  for (const e of exprs) for (const v of (e?.unknowns ?? []) as string[]) vars.add(v);
  return [...vars].sort();
}

/** Values of the expressions at the k-th fixed point (same substitution for all); null entries where evaluation failed. */
export function valuesAt(exprs: any[], vars: readonly string[], k: number): Array<Complex | null> {
  const subs: Record<string, number> = {};
  vars.forEach((v, i) => (subs[v] = POINTS[(k * 3 + i * 5) % POINTS.length] + k * 0.01));
  return exprs.map((e) => {
    try {
      const c = complexOf(vars.length ? e.subs(subs) : e);
      return c && Number.isFinite(c.re) && Number.isFinite(c.im) ? c : null;
    } catch {
      return null;
    }
  });
}
