/**
 * Equivalence of two normalised answers. Structures are compared part by part (matrices, sets,
 * intervals, tuples, unions, equations, comma lists); each part is compared as a string, as a
 * multiple-choice letter, as a plain number, and finally symbolically with
 * @cortex-js/compute-engine: structural sameness, then numeric evaluation (with a relative
 * tolerance), then evaluation at fixed points for expressions with free variables.
 */
import { ComputeEngine } from '@cortex-js/compute-engine';
import { choiceLetter } from './normalize.js';

export interface Tolerance {
  /** Relative tolerance for non-integer numbers: |a-b| <= relTol * max(|a|, |b|). */
  relTol: number;
  /** Absolute floor for values near zero. */
  absTol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { relTol: 1e-6, absTol: 1e-9 };

export interface Verdict {
  equal: boolean;
  reason: string;
}

/** Splits at top-level occurrences of `sep` (outside (), [], {} and \left...\right pairs). */
export function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s.startsWith('\\{', i)) {
      depth++;
      i++;
      continue;
    }
    if (c === '\\' && s.startsWith('\\}', i)) {
      depth--;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      parts.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Whether the opening bracket at 0 closes exactly at the end (so "(1,2)" but not "(1)+(2)"). */
function enclosed(s: string, open: string, close: string): boolean {
  if (!s.startsWith(open) || !s.endsWith(close)) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.startsWith('\\{', i) || s.startsWith('\\}', i)) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
    } else if ('([{'.includes(s[i])) depth++;
    else if (')]}'.includes(s[i])) depth--;
    if (depth === 0 && i < s.length - 1) return false;
  }
  return true;
}

/** Plain numbers: integers, decimals, scientific notation, a/b and \frac{a}{b}; null otherwise. */
export function parsePlainNumber(s: string): { value: number; exact: boolean } | null {
  let m = /^(-?)(\d+(?:\.\d+)?)(?:(?:e|E|\\times10\^|\*10\^|\\cdot10\^)\{?([+-]?\d+)\}?)?$/.exec(s);
  if (m) {
    const v = Number(`${m[1]}${m[2]}${m[3] !== undefined ? `e${m[3]}` : ''}`);
    const exact = m[3] === undefined && !m[2].includes('.') && Number.isSafeInteger(v);
    return Number.isFinite(v) ? { value: v, exact } : null;
  }
  m = /^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$/.exec(s) ?? /^(-?)(\d+)\/(\d+)$/.exec(s);
  if (m) {
    const den = Number(m[3]);
    if (den === 0) return null;
    return { value: (m[1] ? -1 : 1) * (Number(m[2]) / den), exact: false };
  }
  return null;
}

export function numbersClose(a: number, b: number, tol: Tolerance): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= Math.max(tol.absTol, tol.relTol * Math.max(Math.abs(a), Math.abs(b)));
}

let engine: ComputeEngine | null = null;
function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Fixed evaluation points for free variables (irrational-ish, so accidental equalities are rare). */
const POINTS = [0.7317, 1.4142, 2.2361, -0.5772, 3.1416, 1.618, -1.3247, 2.7183];

function complexOf(x: any): { re: number; im: number } | null {
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

function closeComplex(a: { re: number; im: number }, b: { re: number; im: number }, tol: Tolerance): boolean {
  return numbersClose(a.re, b.re, tol) && numbersClose(a.im, b.im, tol);
}

/** Symbolic comparison of two LaTeX expressions; null when either cannot be parsed. */
export function symbolicEqual(a: string, b: string, tol: Tolerance): Verdict | null {
  const engineRef = ce();
  let A: any;
  let B: any;
  try {
    A = engineRef.parse(a);
    B = engineRef.parse(b);
  } catch {
    return null;
  }
  if (!A.isValid || !B.isValid) return null;
  try {
    if (A.isSame(B)) return { equal: true, reason: 'same expression (compute-engine)' };
  } catch {
    /* fall through to numeric checks */
  }
  const vars = [...new Set<string>([...(A.unknowns ?? []), ...(B.unknowns ?? [])])];
  if (vars.length === 0) {
    const x = complexOf(A);
    const y = complexOf(B);
    if (!x || !y) return { equal: false, reason: 'not numerically comparable' };
    const equal = closeComplex(x, y, tol);
    return { equal, reason: equal ? 'numerically equal (compute-engine)' : `numerically different (${x.re} vs ${y.re})` };
  }
  if (vars.length > 6) return { equal: false, reason: 'too many free variables' };
  let compared = 0;
  for (let k = 0; k < 5; k++) {
    const subs: Record<string, number> = {};
    vars.forEach((v, i) => (subs[v] = POINTS[(k * 3 + i * 5) % POINTS.length] + k * 0.01));
    let x: { re: number; im: number } | null = null;
    let y: { re: number; im: number } | null = null;
    try {
      x = complexOf(A.subs(subs));
      y = complexOf(B.subs(subs));
    } catch {
      /* skip this point */
    }
    if (!x || !y) continue;
    if (!Number.isFinite(x.re) || !Number.isFinite(y.re)) continue;
    if (!closeComplex(x, y, tol)) return { equal: false, reason: `differ at ${JSON.stringify(subs)}` };
    compared++;
  }
  if (compared >= 2) return { equal: true, reason: `equal at ${compared} points in ${vars.join(', ')} (compute-engine)` };
  return { equal: false, reason: 'could not evaluate the expressions' };
}

const WORDY = /^[A-Za-z][A-Za-z\s'-]{2,}$/;

/** Compares one part (no structure). `symbolic` may be disabled to keep the check cheap. */
export function compareLeaf(a: string, b: string, tol: Tolerance, symbolic: boolean): Verdict | null {
  if (a === b) return { equal: true, reason: 'identical after normalisation' };
  const ca = choiceLetter(a);
  const cb = choiceLetter(b);
  if (ca && cb) return { equal: ca === cb, reason: ca === cb ? 'same choice letter' : 'different choice letters' };
  if (BASE_NUMBER.test(a) || BASE_NUMBER.test(b)) return { equal: a.replace(/[{}]/g, '') === b.replace(/[{}]/g, ''), reason: 'base-n numerals compared as written' };
  const na = parsePlainNumber(a);
  const nb = parsePlainNumber(b);
  if (na && nb) {
    if (na.exact && nb.exact) return { equal: na.value === nb.value, reason: na.value === nb.value ? 'equal integers' : 'different integers' };
    const equal = numbersClose(na.value, nb.value, tol);
    return { equal, reason: equal ? 'numerically equal' : 'numerically different' };
  }
  // Words ("Monday", "odd") are compared as words: a CAS would read them as products of letters.
  if ((WORDY.test(a) && !a.startsWith('\\')) || (WORDY.test(b) && !b.startsWith('\\'))) {
    const equal = a.toLowerCase() === b.toLowerCase();
    return { equal, reason: equal ? 'same word' : 'different words' };
  }
  if (!symbolic) return null;
  return symbolicEqual(a, b, tol) ?? { equal: false, reason: 'cannot parse as mathematics and not identical' };
}

/** "a\pm b" -> ["a+b", "a-b"] (one top-level \pm only); otherwise [s]. */
function expandPlusMinus(s: string): string[] {
  const parts = splitTopLevel(s, '\\pm');
  if (parts.length !== 2) return [s];
  return [`${parts[0]}+${parts[1]}`, `${parts[0]}-${parts[1]}`];
}

/** Numbers written in a base ("40_9", "1011_{2}") are compared as written, not evaluated. */
const BASE_NUMBER = /^[0-9A-Za-z]+_\{?\d+\}?$/;

function matrixCells(s: string): string[][] | null {
  const m = /^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^}]*\})?(.*)\\end\{\1\}$/.exec(s);
  if (!m) return null;
  return m[2].split('\\\\').filter((r) => r.length > 0).map((r) => r.split('&'));
}

function compareLists(as: string[], bs: string[], ordered: boolean, tol: Tolerance, symbolic: boolean, what: string): Verdict | null {
  if (as.length !== bs.length) return { equal: false, reason: `${what}: ${as.length} vs ${bs.length} elements` };
  if (ordered) {
    for (let i = 0; i < as.length; i++) {
      const v = compareNormalized(as[i], bs[i], tol, symbolic);
      if (v === null) return null;
      if (!v.equal) return { equal: false, reason: `${what}: element ${i + 1} differs (${v.reason})` };
    }
    return { equal: true, reason: `${what}: all ${as.length} elements equal` };
  }
  // Unordered. Same strings in another order: equal at once.
  const sa = [...as].sort();
  const sb = [...bs].sort();
  if (sa.every((x, i) => x === sb[i])) return { equal: true, reason: `${what}: same ${as.length} elements in any order` };
  // Pairwise matching is quadratic: on the calling thread (no time limit) leave long lists to the
  // symbolic check, which a MathGrader runs in a worker under its time limit.
  if (!symbolic && as.length * bs.length > 400) return null;
  // Greedy matching is enough for lists of distinct values.
  const used = new Array(bs.length).fill(false);
  for (const a of as) {
    let found = false;
    for (let j = 0; j < bs.length && !found; j++) {
      if (used[j]) continue;
      const v = compareNormalized(a, bs[j], tol, symbolic);
      if (v === null) return null;
      if (v.equal) used[j] = found = true;
    }
    if (!found) return { equal: false, reason: `${what}: no match for ${a}` };
  }
  return { equal: true, reason: `${what}: same ${as.length} elements in any order` };
}

/**
 * Compares two normalised answers. Returns null only when `symbolic` is false and the cheap
 * checks cannot decide (the caller then runs the symbolic check, e.g. in a worker with a timeout).
 */
export function compareNormalized(a: string, b: string, tol: Tolerance = DEFAULT_TOLERANCE, symbolic = true): Verdict | null {
  if (a === b) return { equal: true, reason: 'identical after normalisation' };
  if (a === '' || b === '') return { equal: false, reason: 'empty answer' };

  const ma = matrixCells(a);
  const mb = matrixCells(b);
  if (ma || mb) {
    if (!ma || !mb) return { equal: false, reason: 'matrix vs non-matrix' };
    if (ma.length !== mb.length) return { equal: false, reason: `matrix: ${ma.length} vs ${mb.length} rows` };
    return compareLists(ma.flat(), mb.flat(), true, tol, symbolic, 'matrix');
  }

  const ua = splitTopLevel(a, '\\cup');
  const ub = splitTopLevel(b, '\\cup');
  if (ua.length > 1 || ub.length > 1) return compareLists(ua, ub, true, tol, symbolic, 'union');

  const setA = enclosed(a, '\\{', '\\}');
  const setB = enclosed(b, '\\{', '\\}');
  if (setA || setB) {
    const ea = setA ? splitTopLevel(a.slice(2, -2), ',') : splitTopLevel(a, ',');
    const eb = setB ? splitTopLevel(b.slice(2, -2), ',') : splitTopLevel(b, ',');
    return compareLists(ea, eb, false, tol, symbolic, 'set');
  }

  const bracketed = (s: string) => (enclosed(s, '(', ')') || enclosed(s, '[', ']') || enclosed(s, '(', ']') || enclosed(s, '[', ')')) && splitTopLevel(s.slice(1, -1), ',').length > 1;
  const ta = bracketed(a);
  const tb = bracketed(b);
  if (ta || tb) {
    if (!ta || !tb) return { equal: false, reason: 'tuple/interval vs a single value' };
    if (a[0] !== b[0] || a[a.length - 1] !== b[b.length - 1]) return { equal: false, reason: `different brackets (${a[0]}..${a[a.length - 1]} vs ${b[0]}..${b[b.length - 1]})` };
    return compareLists(splitTopLevel(a.slice(1, -1), ','), splitTopLevel(b.slice(1, -1), ','), true, tol, symbolic, a[0] === '(' && a.endsWith(')') ? 'tuple' : 'interval');
  }

  // Comma lists of values ("1, -2"), where "1\pm\sqrt{2}" stands for two values.
  const la = splitTopLevel(a, ',').flatMap(expandPlusMinus);
  const lb = splitTopLevel(b, ',').flatMap(expandPlusMinus);
  if (la.length > 1 || lb.length > 1) return compareLists(la, lb, false, tol, symbolic, 'list');

  const qa = splitTopLevel(a, '=');
  const qb = splitTopLevel(b, '=');
  if (qa.length > 1 || qb.length > 1) {
    if (qa.length !== qb.length) return { equal: false, reason: 'equation vs expression' };
    return compareLists(qa, qb, true, tol, symbolic, 'equation');
  }

  return compareLeaf(a, b, tol, symbolic);
}
