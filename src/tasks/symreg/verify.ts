/**
 * Exact symbolic recovery (the criterion of DSR and RSRM): a formula is recovered when it equals
 * the true one. We decide equality numerically: on held-out points drawn from the benchmark's range
 * with another seed, every value must agree with the truth to 1e-10 relative (|a−b| ≤ 1e-10·max(1,|b|)).
 * Two different closed forms agreeing on 200 random reals to 1e-10 is, for these formula classes,
 * what symbolic simplification would also conclude (no constants are fitted, so there is no
 * near-miss coefficient that could pass).
 */
import { Rng } from '../../core/rng.js';
import { evalNames, parseInfix } from './expr.js';
import { NGUYEN, sampleNguyen, type NguyenSpec } from './nguyen.js';

export const RECOVERY_RTOL = 1e-10;

export interface RecoveryCheck {
  recovered: boolean;
  /** Largest relative error over the held-out points (Infinity if a value is undefined). */
  maxRelError: number;
  points: number;
}

/** Checks prefix names (or infix text) against a Nguyen formula on `points` held-out samples. */
export function checkRecovery(expr: readonly string[] | string, spec: NguyenSpec, points = 200, seed = 9_999): RecoveryCheck {
  const names = typeof expr === 'string' ? parseInfix(expr, spec.variables) : expr;
  const { X, y } = sampleNguyen(spec, points, new Rng(seed).fork(`heldout/${spec.name}`));
  const pred = evalNames(
    names,
    spec.variables,
    X.map((c) => Float64Array.from(c)),
  );
  let worst = 0;
  for (let i = 0; i < y.length; i++) {
    const p = pred[i];
    const err = Number.isFinite(p) ? Math.abs(p - y[i]) / Math.max(1, Math.abs(y[i])) : Infinity;
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return { recovered: worst <= RECOVERY_RTOL, maxRelError: worst, points };
}

export function nguyenSpec(name: string): NguyenSpec | undefined {
  return NGUYEN.find((s) => s.name === name);
}

/** Two formulas are the same function when they agree to 1e-10 relative on the held-out points. */
export function sameFunction(a: string, b: string, spec: NguyenSpec, points = 200, seed = 9_999): boolean {
  const { X } = sampleNguyen(spec, points, new Rng(seed).fork(`heldout/${spec.name}`));
  const cols = X.map((c) => Float64Array.from(c));
  let pa: Float64Array;
  let pb: Float64Array;
  try {
    pa = evalNames(parseInfix(a, spec.variables), spec.variables, cols);
    pb = evalNames(parseInfix(b, spec.variables), spec.variables, cols);
  } catch {
    return false;
  }
  for (let i = 0; i < pa.length; i++) if (!(Math.abs(pa[i] - pb[i]) <= RECOVERY_RTOL * Math.max(1, Math.abs(pb[i])))) return false;
  return true;
}
