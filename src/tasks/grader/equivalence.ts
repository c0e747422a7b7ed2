/**
 * Equivalence of two normalised answers. Structures are compared part by part (matrices, sets,
 * intervals, tuples, unions, equations, comma lists); each part is compared as a string, as a
 * multiple-choice letter, as a plain number, and finally symbolically with
 * @cortex-js/compute-engine: structural sameness, then numeric evaluation (with a relative
 * tolerance), then evaluation at fixed points for expressions with free variables.
 */
import { matrixValue } from './matrix.js';
import { splitTopLevel } from './split.js';
import { mayBeRegion, sameRegion } from './region.js';
import { choiceLetter } from './normalize.js';
import { decimalCommaValue, parsePlainNumber } from './numbers.js';
import { compareRelations, splitRelation } from './relations.js';
import {
  type Tolerance,
  DEFAULT_TOLERANCE,
  closeComplex,
  complexOf,
  freeVariables,
  numbersClose,
  parseLatex,
  valuesAt,
} from './symbolic.js';

export { type Tolerance, DEFAULT_TOLERANCE, numbersClose } from './symbolic.js';
export { parsePlainNumber } from './numbers.js';
export { splitTopLevel } from './split.js';

export interface Verdict {
  equal: boolean;
  reason: string;
  /** Neither cheap rules nor the math engine could read one side: no verdict on the maths. */
  unparseable?: boolean;
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

/** Symbolic comparison of two LaTeX expressions; null when either cannot be parsed. */
export function symbolicEqual(a: string, b: string, tol: Tolerance): Verdict | null {
  const A = parseLatex(a);
  const B = parseLatex(b);
  if (!A || !B) return null;
  try {
    if (A.isSame(B)) return { equal: true, reason: 'same expression (compute-engine)' };
  } catch {
    /* fall through to numeric checks */
  }
  const vars = freeVariables(A, B);
  if (vars.length === 0) {
    const x = complexOf(A);
    const y = complexOf(B);
    if (!x || !y) return { equal: false, reason: 'not numerically comparable', unparseable: !x || !y ? true : undefined };
    const equal = closeComplex(x, y, tol);
    return { equal, reason: equal ? 'numerically equal (compute-engine)' : `numerically different (${x.re} vs ${y.re})` };
  }
  if (vars.length > 6) return { equal: false, reason: 'too many free variables' };
  // Sums and products with symbolic bounds cannot be checked at sample points (a bound is not a
  // number there); only structural sameness (above) decides them.
  if (/\\(?:sum|prod)/.test(a + b))
    return { equal: false, reason: 'sums/products with free variables differ structurally', unparseable: true };
  let compared = 0;
  for (let k = 0; k < 5; k++) {
    const [x, y] = valuesAt([A, B], vars, k);
    if (!x || !y) continue;
    if (!closeComplex(x, y, tol)) return { equal: false, reason: `differ when ${vars.join(', ')} take test values` };
    compared++;
  }
  if (compared >= 2) return { equal: true, reason: `equal at ${compared} points in ${vars.join(', ')} (compute-engine)` };
  return { equal: false, reason: 'could not evaluate the expressions', unparseable: true };
}

const WORDY = /^[A-Za-z][A-Za-z\s'-]{2,}$/;

/** Compares one part (no structure). `symbolic` may be disabled to keep the check cheap. */
export function compareLeaf(a: string, b: string, tol: Tolerance, symbolic: boolean): Verdict | null {
  if (a === b) return { equal: true, reason: 'identical after normalisation' };
  const ca = choiceLetter(a);
  const cb = choiceLetter(b);
  if (ca && cb) return { equal: ca === cb, reason: ca === cb ? 'same choice letter' : 'different choice letters' };
  if (BASE_NUMBER.test(a) || BASE_NUMBER.test(b))
    return { equal: a.replace(/[{}]/g, '') === b.replace(/[{}]/g, ''), reason: 'base-n numerals compared as written' };
  const na = parsePlainNumber(a);
  const nb = parsePlainNumber(b);
  if (na && nb) {
    if (na.exact && nb.exact)
      return { equal: na.value === nb.value, reason: na.value === nb.value ? 'equal integers' : 'different integers' };
    const equal = numbersClose(na.value, nb.value, tol);
    return { equal, reason: equal ? 'numerically equal' : 'numerically different' };
  }
  // Words ("Monday", "odd") are compared as words: a CAS would read them as products of letters.
  if ((WORDY.test(a) && !a.startsWith('\\')) || (WORDY.test(b) && !b.startsWith('\\'))) {
    const equal = a.toLowerCase() === b.toLowerCase();
    return { equal, reason: equal ? 'same word' : 'different words' };
  }
  // Clock times and ratios ("12:00", "3:2") are compared as written.
  if (/^\d+:\d+$/.test(a) || /^\d+:\d+$/.test(b)) return { equal: false, reason: 'different times/ratios' };
  if (!symbolic) return null;
  return symbolicEqual(a, b, tol) ?? { equal: false, reason: 'cannot parse as mathematics and not identical', unparseable: true };
}

/** "a\pm b" -> ["a+b", "a-b"], "\pm b" -> ["b", "-b"] (one top-level \pm only); otherwise [s]. */
function expandPlusMinus(s: string): string[] {
  const parts = splitTopLevel(s, '\\pm');
  if (parts.length !== 2) return [s];
  if (parts[0] === '') return [parts[1], `-${parts[1]}`];
  return [`${parts[0]}+${parts[1]}`, `${parts[0]}-${parts[1]}`];
}

/** Numbers written in a base ("40_9", "1011_{2}") are compared as written, not evaluated. */
const BASE_NUMBER = /^[0-9A-Za-z]+_\{?\d+\}?$/;

/**
 * Unordered lists of different lengths: equal as sets when each element of one side equals some
 * element of the other (a value written twice counts once, as in Math-Verify's FiniteSet
 * comparison: `(3,17,3,7)` listed twice is still one solution).
 */
function sameSet(as: string[], bs: string[], tol: Tolerance, symbolic: boolean, what: string): Verdict | null {
  const covered = (xs: string[], ys: string[], xFirst: boolean): Verdict | null => {
    for (const x of xs) {
      let found = false;
      for (const y of ys) {
        const v = xFirst ? compareNormalized(x, y, tol, symbolic) : compareNormalized(y, x, tol, symbolic);
        if (v === null) return null;
        if (v.equal) {
          found = true;
          break;
        }
      }
      if (!found) return { equal: false, reason: `${what}: ${as.length} vs ${bs.length} elements (no match for ${x})` };
    }
    return { equal: true, reason: `${what}: same set of values (repeats counted once)` };
  };
  if (!symbolic && as.length * bs.length > 400) return null;
  const ab = covered(as, bs, true);
  if (!ab?.equal) return ab;
  return covered(bs, as, false);
}

function compareLists(as: string[], bs: string[], ordered: boolean, tol: Tolerance, symbolic: boolean, what: string): Verdict | null {
  if (as.length !== bs.length) {
    const sets = !ordered && as.length > 0 && bs.length > 0 && Math.min(as.length, bs.length) > 1;
    return sets ? sameSet(as, bs, tol, symbolic, what) : { equal: false, reason: `${what}: ${as.length} vs ${bs.length} elements` };
  }
  if (ordered) {
    let deferred = false;
    for (let i = 0; i < as.length; i++) {
      const v = compareNormalized(as[i], bs[i], tol, symbolic);
      if (v === null) {
        deferred = true;
        continue;
      }
      if (!v.equal) return { equal: false, reason: `${what}: element ${i + 1} differs (${v.reason})`, unparseable: v.unparseable };
    }
    return deferred ? null : { equal: true, reason: `${what}: all ${as.length} elements equal` };
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
    let unparseable = false;
    for (let j = 0; j < bs.length && !found; j++) {
      if (used[j]) continue;
      const v = compareNormalized(a, bs[j], tol, symbolic);
      if (v === null) return null;
      if (v.equal) used[j] = found = true;
      else if (v.unparseable) unparseable = true;
    }
    if (!found) return { equal: false, reason: `${what}: no match for ${a}`, unparseable: unparseable || undefined };
  }
  return { equal: true, reason: `${what}: same ${as.length} elements in any order` };
}

const isTuple = (s: string) => enclosed(s, '(', ')') && splitTopLevel(s.slice(1, -1), ',').length > 1;
const bracketed = (s: string) =>
  (enclosed(s, '(', ')') || enclosed(s, '[', ']') || enclosed(s, '(', ']') || enclosed(s, '[', ')')) &&
  splitTopLevel(s.slice(1, -1), ',').length > 1;

/**
 * Compares two normalised answers. Returns null only when `symbolic` is false and the cheap
 * checks cannot decide (the caller then runs the symbolic check, e.g. in a worker with a timeout).
 */
export function compareNormalized(a: string, b: string, tol: Tolerance = DEFAULT_TOLERANCE, symbolic = true): Verdict | null {
  if (a === b) return { equal: true, reason: 'identical after normalisation' };
  // Sets of real numbers written as inequalities, unions or set-builder notation (region.ts): read
  // by membership, in the symbolic stage (it evaluates expressions).
  const regionish = REGIONISH.test(a) || REGIONISH.test(b);
  if (regionish && /\\lor|\\land|\\mid/.test(a + b)) {
    if (!symbolic) return null;
    const r = sameRegion(a, b);
    if (r) return r;
  }
  const v = compareStructured(a, b, tol, symbolic);
  if (v === null || v.equal || !regionish || !mayBeRegion(a) || !mayBeRegion(b)) return v;
  if (!symbolic) return null;
  const r = sameRegion(a, b);
  return r?.equal ? r : v;
}

const REGIONISH = /<|>|\\le|\\ge|\\lor|\\land|\\mid/;

function compareStructured(a: string, b: string, tol: Tolerance, symbolic: boolean): Verdict | null {
  if (a === '' || b === '') return { equal: false, reason: 'empty answer' };

  const ma = matrixValue(a);
  const mb = matrixValue(b);
  if (ma !== undefined || mb !== undefined) {
    // A vector (one row or one column) against a tuple of the same entries: `(1, 2)`.
    const vec = ma ?? mb;
    const other = ma ? b : a;
    if (vec && (ma === undefined || mb === undefined) && isTuple(other) && (vec.length === 1 || vec.every((r) => r.length === 1))) {
      const entries = splitTopLevel(other.slice(1, -1), ',');
      return ma
        ? compareLists(vec.flat(), entries, true, tol, symbolic, 'vector')
        : compareLists(entries, vec.flat(), true, tol, symbolic, 'vector');
    }
    if (!ma || !mb)
      return ma === null || mb === null
        ? { equal: false, reason: 'matrix expression not understood', unparseable: true }
        : { equal: false, reason: 'matrix vs non-matrix' };
    if (ma.length !== mb.length || ma.some((r, i) => r.length !== mb[i].length))
      return { equal: false, reason: `matrix: ${ma.length}x${ma[0]?.length} vs ${mb.length}x${mb[0]?.length}` };
    return compareLists(ma.flat(), mb.flat(), true, tol, symbolic, 'matrix');
  }

  const ua = splitTopLevel(a, '\\cup');
  const ub = splitTopLevel(b, '\\cup');
  // A union is a set of pieces: `[3,4] \cup [1,2]` is `[1,2] \cup [3,4]`.
  if (ua.length > 1 || ub.length > 1) return compareLists(ua, ub, false, tol, symbolic, 'union');

  const setA = enclosed(a, '\\{', '\\}');
  const setB = enclosed(b, '\\{', '\\}');
  if (setA || setB) {
    const ea = setA ? splitTopLevel(a.slice(2, -2), ',') : splitTopLevel(a, ',');
    const eb = setB ? splitTopLevel(b.slice(2, -2), ',') : splitTopLevel(b, ',');
    return compareLists(ea.flatMap(expandPlusMinus), eb.flatMap(expandPlusMinus), false, tol, symbolic, 'set');
  }

  // A list of relations ("x=1, y=2") is a list first.
  const manyRelations = (s: string) => splitTopLevel(s, ',').filter((p) => splitRelation(p) !== null).length > 1;
  if (manyRelations(a) || manyRelations(b)) return compareLists(splitTopLevel(a, ','), splitTopLevel(b, ','), false, tol, symbolic, 'list');

  // Relations (equations, inequalities, \ne) and "x \in [a, b]" against inequalities.
  const rel = compareRelations(a, b, tol, symbolic, (x, y) => compareNormalized(x, y, tol, symbolic));
  if (rel !== undefined) return rel;

  const ta = bracketed(a);
  const tb = bracketed(b);
  if (ta || tb) {
    // A tuple against a bare list "1,3": the same elements in the same order.
    const listB = !tb && isTuple(a) ? splitTopLevel(b, ',') : null;
    const listA = !ta && isTuple(b) ? splitTopLevel(a, ',') : null;
    if (listB && listB.length > 1) return compareLists(splitTopLevel(a.slice(1, -1), ','), listB, true, tol, symbolic, 'tuple');
    if (listA && listA.length > 1) return compareLists(listA, splitTopLevel(b.slice(1, -1), ','), true, tol, symbolic, 'tuple');
    if (!ta || !tb) return { equal: false, reason: 'tuple/interval vs a single value' };
    if (a[0] !== b[0] || a[a.length - 1] !== b[b.length - 1])
      return { equal: false, reason: `different brackets (${a[0]}..${a[a.length - 1]} vs ${b[0]}..${b[b.length - 1]})` };
    return compareLists(
      splitTopLevel(a.slice(1, -1), ','),
      splitTopLevel(b.slice(1, -1), ','),
      true,
      tol,
      symbolic,
      a[0] === '(' && a.endsWith(')') ? 'tuple' : 'interval',
    );
  }

  // "1,22" against one number: a decimal comma.
  const da = decimalCommaValue(a);
  const db = decimalCommaValue(b);
  const pa = parsePlainNumber(a);
  const pb = parsePlainNumber(b);
  if ((da !== null && pb && !pb.exact) || (db !== null && pa && !pa.exact)) {
    const [x, y] = da !== null ? [da, pb!.value] : [db!, pa!.value];
    const equal = numbersClose(x, y, tol);
    return { equal, reason: equal ? 'equal with a decimal comma' : 'different numbers (decimal comma)' };
  }

  // Comma lists of values ("1, -2"), where "1\pm\sqrt{2}" stands for two values.
  const la = splitTopLevel(a, ',').flatMap(expandPlusMinus);
  const lb = splitTopLevel(b, ',').flatMap(expandPlusMinus);
  if (la.length > 1 || lb.length > 1) return compareLists(la, lb, false, tol, symbolic, 'list');

  return compareLeaf(a, b, tol, symbolic);
}
