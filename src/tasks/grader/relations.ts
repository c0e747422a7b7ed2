/**
 * Relations in answers: equations (`y = 2x + 3`, chains `x = 5 + 6 = 11`, `\approx`), inequalities
 * (`x \ge 5`, `5 \le x`, `-x > -1`, chains `-2 \le x \le 7`) and `\ne`. Two equations are the same
 * when one side minus the other is proportional (any non-zero factor: `2x+4y-3=0` is
 * `y = -x/2 + 3/4`); two inequalities when each is `f < 0` / `f \le 0` with f proportional by a
 * positive factor (so flipped sides and negated forms agree, opposite directions do not). An
 * equation `x = v` with a lone symbol on the left stands for its value v; `x \in [a, b]` compares
 * with the inequalities `a \le x \le b`. Proportionality is checked by evaluating both sides at
 * fixed points (symbolic.ts), so it needs the symbolic step (a worker under a time limit).
 */
import { type Tolerance, closeComplex, freeVariables, parseLatex, valuesAt } from './symbolic.js';

export type RelOp = '=' | '\\approx' | '<' | '\\le' | '>' | '\\ge' | '\\ne';
export interface Relation {
  parts: string[];
  ops: RelOp[];
}
export interface RelVerdict {
  equal: boolean;
  reason: string;
  unparseable?: boolean;
}
/** Compares two plain answers (the caller's full equivalence); null = needs the symbolic step. */
export type Compare = (a: string, b: string) => RelVerdict | null;

const OPS: RelOp[] = ['\\approx', '\\le', '\\ge', '\\ne', '<', '>', '='];

/** Splits at top-level relation symbols; null when there is none. */
export function splitRelation(s: string): Relation | null {
  const parts: string[] = [];
  const ops: RelOp[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth !== 0) continue;
    const op = OPS.find((o) => s.startsWith(o, i) && !(o.startsWith('\\') && /[a-zA-Z]/.test(s[i + o.length] ?? '')));
    if (!op) {
      if (c === '\\') while (/[a-zA-Z]/.test(s[i + 1] ?? '')) i++;
      continue;
    }
    parts.push(s.slice(start, i));
    ops.push(op);
    i += op.length - 1;
    start = i + 1;
  }
  if (ops.length === 0) return null;
  parts.push(s.slice(start));
  const trimmed = parts.map((p) => p.trim());
  if (trimmed.some((p) => p === '')) return null;
  return { parts: trimmed, ops };
}

const SYMBOL = /^(?:[a-zA-Z]+|\\[a-zA-Z]+)(?:_\{?[\w,]+\}?|_\w)?'*$/;
const isSymbol = (p: string) => SYMBOL.test(p) || /^\((?:[a-zA-Z](?:_\w)?,)+[a-zA-Z](?:_\w)?\)$/.test(p) || /^[a-zA-Z]\([\w,]+\)$/.test(p);
const hasLetters = (p: string) => /[a-zA-Z]/.test(p.replace(/\\(?:frac|sqrt|cdot|times|pi|infty)/g, ''));

type Kind = 'eq' | 'ineq' | 'ne' | 'mixed';
function kindOf(r: Relation): Kind {
  if (r.ops.every((o) => o === '=' || o === '\\approx')) return 'eq';
  if (r.ops.every((o) => o === '<' || o === '>' || o === '\\le' || o === '\\ge')) return 'ineq';
  if (r.ops.length === 1 && r.ops[0] === '\\ne') return 'ne';
  return 'mixed';
}

/**
 * The value an equation chain stands for: after a lone symbol (`x = 5 + 6 = 11`, `k \approx 3`),
 * the last part written after "=" (else the first after the symbol); in a chain of numbers, the
 * last part after "=". Null for a genuine equation (`2x + z = 1`).
 */
export function equationValue(r: Relation): string | null {
  let sym = -1;
  for (let i = 0; i < r.parts.length - 1; i++) if (isSymbol(r.parts[i])) sym = i;
  if (sym < 0 && r.parts.some(hasLetters)) return null;
  const after = sym + 1;
  for (let i = r.parts.length - 1; i >= Math.max(after, 1); i--) if (r.ops[i - 1] === '=') return r.parts[i];
  return r.parts[after] ?? null;
}

/** The last part written after "=" (or `\approx`) in an equation chain. */
function lastRhs(r: Relation): string {
  for (let i = r.parts.length - 1; i >= 1; i--) if (r.ops[i - 1] === '=') return r.parts[i];
  return r.parts[r.parts.length - 1];
}

/**
 * A left-hand side made of named quantities only, with no number outside subscripts: `|AB|`,
 * `\frac{NO}{BO}`, `S_{MBCN}:S`, `a+b`, `f(x)` (Math-Verify's "only symbols" test for assignments).
 */
export function symbolsOnly(p: string): boolean {
  const t = p
    .replace(/_\{[^{}]*\}|_\w/g, '')
    .replace(
      /\\(?:frac|angle|overline|bar|vec|hat|widehat|overrightarrow|triangle|mathrm|operatorname|cdot|times|left|right|mid)(?![a-zA-Z])/g,
      ' ',
    )
    .replace(/[{}()|:/*+\-'\s,]/g, '');
  return /^[A-Za-z]+$/.test(t);
}

/** lhs - rhs of an equation chain: first part against the last part after "=". */
function equationForm(r: Relation): string {
  let last = r.parts.length - 1;
  for (let i = r.parts.length - 1; i >= 1; i--)
    if (r.ops[i - 1] === '=') {
      last = i;
      break;
    }
  return `(${r.parts[0]})-(${r.parts[last]})`;
}

interface Ineq {
  f: string;
  strict: boolean;
}
/** Each adjacent pair of a chain as f < 0 or f \le 0. */
function inequalities(r: Relation): Ineq[] {
  return r.ops.map((op, i) => {
    const [a, b] = [r.parts[i], r.parts[i + 1]];
    const strict = op === '<' || op === '>';
    return op === '<' || op === '\\le' ? { f: `(${a})-(${b})`, strict } : { f: `(${b})-(${a})`, strict };
  });
}

/** Inequalities of `v \in` an interval; null when s is not an interval. */
function intervalInequalities(s: string, v: string): Ineq[] | null {
  const m = /^([([])(.*)([)\]])$/.exec(s);
  if (!m) return null;
  let depth = 0;
  let comma = -1;
  for (let i = 0; i < m[2].length; i++) {
    const c = m[2][i];
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      if (comma >= 0) return null;
      comma = i;
    }
  }
  if (comma < 0) return null;
  const [lo, hi] = [m[2].slice(0, comma), m[2].slice(comma + 1)];
  const out: Ineq[] = [];
  if (!/^[-+]?\\infty$/.test(lo)) out.push({ f: `(${lo})-(${v})`, strict: m[1] === '(' });
  if (!/^\+?\\infty$/.test(hi)) out.push({ f: `(${v})-(${hi})`, strict: m[3] === ')' });
  return out;
}

/**
 * Whether f = c·g for a constant c (positive when `positive`), checked at fixed points. null when
 * either side cannot be parsed or evaluated.
 */
export function proportional(f: string, g: string, positive: boolean, tol: Tolerance): boolean | null {
  if (/\\(?:sum|prod)/.test(f + g)) return null; // symbolic bounds: no sample points (see symbolicEqual)
  const F = parseLatex(f);
  const G = parseLatex(g);
  if (!F || !G) return null;
  const vars = freeVariables(F, G);
  // Without variables every pair of non-zero numbers is "proportional": not a test.
  if (vars.length === 0) return null;
  let c: number | null = null;
  let checked = 0;
  for (let k = 0; k < 6; k++) {
    const [x, y] = valuesAt([F, G], vars, k);
    if (!x || !y || Math.abs(x.im) > 1e-9 || Math.abs(y.im) > 1e-9) continue;
    if (Math.abs(y.re) < 1e-12) {
      if (Math.abs(x.re) > 1e-9) return false;
      continue;
    }
    if (c === null) {
      c = x.re / y.re;
      if (c === 0 || (positive && c < 0)) return false;
    } else if (!closeComplex({ re: x.re, im: 0 }, { re: c * y.re, im: 0 }, tol)) return false;
    checked++;
  }
  return c !== null && checked >= 2 ? true : null;
}

function matchAll(as: Ineq[], bs: Ineq[], tol: Tolerance, symbolic: boolean): RelVerdict | null {
  if (as.length !== bs.length) return { equal: false, reason: `inequalities: ${as.length} vs ${bs.length} conditions` };
  const used = new Array(bs.length).fill(false);
  let deferred = false;
  for (const a of as) {
    let found = false;
    for (let j = 0; j < bs.length && !found; j++) {
      if (used[j] || bs[j].strict !== a.strict) continue;
      if (a.f === bs[j].f) found = used[j] = true;
    }
    for (let j = 0; j < bs.length && !found; j++) {
      if (used[j] || bs[j].strict !== a.strict) continue;
      if (!symbolic) {
        deferred = true;
        continue;
      }
      const p = proportional(a.f, bs[j].f, true, tol);
      if (p) found = used[j] = true;
    }
    if (!found) return deferred ? null : { equal: false, reason: 'inequalities differ (direction, strictness or bounds)' };
  }
  return { equal: true, reason: 'same inequalities (sides flipped or scaled by a positive factor)' };
}

/**
 * Compares when either side is a relation; undefined when neither is (the caller goes on), null
 * when only the symbolic step can decide.
 */
export function compareRelations(a: string, b: string, tol: Tolerance, symbolic: boolean, cmp: Compare): RelVerdict | null | undefined {
  const A = splitRelation(a);
  const B = splitRelation(b);
  if (!A && !B) return undefined;
  if (A && B) return compareTwo(A, B, tol, symbolic, cmp);
  const [R, other] = A ? [A, b] : [B!, a];
  const kind = kindOf(R);
  if (kind === 'eq') {
    // Which side of an equation stands for the answer follows Math-Verify's convention: a predicted
    // equation against a plain reference is read as its last right-hand side (`2x + z = 1` -> 1,
    // `6 \times 7 = 42` -> 42, but not an implicit `f = 0`); a reference equation only when its left side is made of symbols
    // alone (`|AB| = 1`, `\frac{NO}{BO} = ...`, `V_1:V_2 = 11:21`), so `7 = 11a + c` is not `11a + c`.
    // An implicit form `f(x, y) = 0` is an equation, not the value 0 (a plane is not the answer 0).
    const implicit = /[a-zA-Z]/.test(R.parts[0]) && lastRhs(R) === '0';
    const v = A ? (equationValue(R) ?? (symbolsOnly(R.parts[0]) ? lastRhs(R) : null)) : implicit ? equationValue(R) : lastRhs(R);
    if (v === null) return { equal: false, reason: 'equation vs expression' };
    // "X \approx Y": X is the exact value and Y its rounding; either may match (`\frac{9.5}{3.14159} \approx 3.01`).
    const k = R.ops.indexOf('\\approx');
    if (k >= 0 && R.parts[k] !== v && !isSymbol(R.parts[k])) {
      const exact = cmp(R.parts[k], other);
      if (exact?.equal) return { ...exact, reason: `exact value before \\approx: ${exact.reason}` };
    }
    const r = cmp(v, other);
    return r && { ...r, reason: `value of the equation: ${r.reason}` };
  }
  if (kind === 'ineq') {
    const v = R.parts.find(isSymbol);
    const fromSet = v ? intervalInequalities(other, v) : null;
    if (!fromSet) return { equal: false, reason: 'inequality vs expression' };
    const r = matchAll(inequalities(R), fromSet, tol, symbolic);
    return r && { ...r, reason: `interval as inequalities: ${r.reason}` };
  }
  return { equal: false, reason: 'relation vs expression' };
}

function compareTwo(A: Relation, B: Relation, tol: Tolerance, symbolic: boolean, cmp: Compare): RelVerdict | null {
  const [ka, kb] = [kindOf(A), kindOf(B)];
  if (ka !== kb) return { equal: false, reason: `different relations (${ka} vs ${kb})` };
  if (ka === 'ineq') return matchAll(inequalities(A), inequalities(B), tol, symbolic);
  if (ka === 'mixed') return { equal: false, reason: 'mixed relation chains compared as written' };
  let byValue: RelVerdict | null = null;
  if (ka === 'eq') {
    const [va, vb] = [equationValue(A), equationValue(B)];
    if (va !== null && vb !== null) {
      byValue = cmp(va, vb);
      if (byValue?.equal) return { ...byValue, reason: `same value: ${byValue.reason}` };
    }
  }
  const [fa, fb] =
    ka === 'ne' ? [`(${A.parts[0]})-(${A.parts[1]})`, `(${B.parts[0]})-(${B.parts[1]})`] : [equationForm(A), equationForm(B)];
  if (fa === fb) return { equal: true, reason: 'same equation' };
  if (!symbolic) return null;
  const p = proportional(fa, fb, false, tol);
  if (p === true) return { equal: true, reason: 'same equation up to a non-zero factor' };
  if (p === null && byValue) return byValue;
  if (p === null) return { equal: false, reason: 'cannot evaluate the equations', unparseable: true };
  return { equal: false, reason: byValue ? `different values (${byValue.reason})` : 'different equations' };
}
