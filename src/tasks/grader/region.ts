/**
 * Answers that describe a set of real numbers in one variable, compared by membership: intervals
 * and unions (`(-\infty, 1) \cup (3, \infty)`), inequalities and their combinations
 * (`x < 1 \lor x > 3`, `|x| < 2`, `x^2 < 4`), set-builder notation (`\{x \mid 3 < x < 5\}`),
 * `\mathbb{R}` and the empty set. Two regions are the same when every sample point is in both or in
 * neither; the points are each side's finite endpoints and the constants written in either answer
 * (with a point just below and just above each, so open and closed ends differ), plus a fixed grid.
 * This is how `1 \le |z| \le \frac32` equals `[-\frac32,-1] \cup [1,\frac32]` (Math-Verify reads
 * such pairs with sympy's `as_set`; here membership is tested instead of solving).
 */
import { splitTopLevel } from './split.js';
import { splitRelation } from './relations.js';
import { freeVariables, parseLatex } from './symbolic.js';

type Member = (t: number) => boolean;
interface Region {
  member: Member;
  /** Finite endpoints and boundary constants worth sampling at. */
  points: number[];
  /** The variable named in the answer (null for bare intervals). */
  variable: string | null;
}

const INEQ = new Set(['<', '>', '\\le', '\\ge']);
const GRID = [
  -1000, -100, -37.3, -10, -7.3, -5.1, -3.7, -2.6, -1.7, -1.2, -0.6, -0.25, 0, 0.25, 0.6, 1.2, 1.7, 2.6, 3.7, 5.1, 7.3, 10, 37.3, 100, 1000,
];

function numberValue(s: string): number | null {
  if (/^\+?\\infty$/.test(s)) return Infinity;
  if (/^-\\infty$/.test(s)) return -Infinity;
  const e = parseLatex(s);
  if (!e || (e.unknowns ?? []).length > 0) return null;
  try {
    const n = e.N();
    const re = typeof n.re === 'number' ? n.re : NaN;
    const im = typeof n.im === 'number' ? n.im : 0;
    return Number.isFinite(re) && Math.abs(im) < 1e-12 ? re : null;
  } catch {
    return null;
  }
}

function interval(s: string): Region | null {
  const m = /^([([])(.*)([)\]])$/.exec(s);
  if (!m) return null;
  const ends = splitTopLevel(m[2], ',');
  if (ends.length !== 2) return null;
  const [lo, hi] = ends.map((e) => numberValue(e.trim()));
  if (lo === null || hi === null || lo > hi) return null;
  const [openLo, openHi] = [m[1] === '(', m[3] === ')'];
  return {
    member: (t) => (openLo ? t > lo : t >= lo) && (openHi ? t < hi : t <= hi),
    points: [lo, hi].filter(Number.isFinite),
    variable: null,
  };
}

/** A chain of inequalities in one variable, evaluated part by part at each point. */
function inequality(s: string): Region | null {
  const r = splitRelation(s);
  if (!r || !r.ops.every((o) => INEQ.has(o))) return null;
  const parts = r.parts.map((p) => parseLatex(p));
  if (parts.some((p) => !p)) return null;
  const vars = freeVariables(...parts);
  if (vars.length !== 1) return null;
  const v = vars[0];
  const at = (e: any, t: number): number | null => {
    try {
      const n = e.subs({ [v]: t }).N();
      const re = typeof n.re === 'number' ? n.re : NaN;
      const im = typeof n.im === 'number' ? n.im : 0;
      return Number.isFinite(re) && Math.abs(im) < 1e-9 ? re : null;
    } catch {
      return null;
    }
  };
  const member: Member = (t) => {
    const vals = parts.map((p) => at(p, t));
    if (vals.some((x) => x === null)) return false; // outside the domain of an expression
    return r.ops.every((op, i) => {
      const [a, b] = [vals[i]!, vals[i + 1]!];
      const tie = Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
      if (op === '<') return a < b && !tie;
      if (op === '>') return a > b && !tie;
      if (op === '\\le') return a <= b || tie;
      return a >= b || tie;
    });
  };
  return { member, points: [], variable: v };
}

/** The region an answer describes, or null when it is not one. */
export function regionOf(s: string, depth = 0): Region | null {
  if (depth > 4 || s.length > 300) return null;
  const combine = (sep: string, any: boolean): Region | null | undefined => {
    const pieces = splitTopLevel(s, sep);
    if (pieces.length < 2) return undefined;
    const rs = pieces.map((p) => regionOf(p.trim(), depth + 1));
    if (rs.some((r) => !r)) return null;
    const named = [...new Set(rs.map((r) => r!.variable).filter((x) => x !== null))];
    if (named.length > 1) return null;
    return {
      member: any ? (t) => rs.some((r) => r!.member(t)) : (t) => rs.every((r) => r!.member(t)),
      points: rs.flatMap((r) => r!.points),
      variable: named[0] ?? null,
    };
  };
  for (const [sep, any] of [
    ['\\lor', true],
    ['\\cup', true],
    ['\\land', false],
    ['\\cap', false],
  ] as const) {
    const c = combine(sep, any);
    if (c !== undefined) return c;
  }
  if (/^\\mathbb\{R\}$|^\(-\\infty,\+?\\infty\)$/.test(s)) return { member: () => true, points: [], variable: null };
  if (/^(?:\\emptyset|\\varnothing|\\\{\\\})$/.test(s)) return { member: () => false, points: [], variable: null };
  const builder = /^\\\{\s*([a-zA-Z])\s*(?:\\mid|\||:)\s*(.+)\\\}$/.exec(s);
  if (builder) {
    const inner = regionOf(builder[2].trim(), depth + 1);
    return inner && (inner.variable === null || inner.variable === builder[1]) ? inner : null;
  }
  return interval(s) ?? inequality(s);
}

/** Whether an answer may describe a region in one variable (cheap test before parsing). */
export function mayBeRegion(s: string): boolean {
  return /\\lor|\\land|\\cup|\\cap|<|>|\\le|\\ge|\\mid|\\mathbb\{R\}|\\emptyset|\\varnothing/.test(s) || /^[([].*,.*[)\]]$/.test(s);
}

const constants = (s: string): number[] =>
  [...s.matchAll(/\d+(?:\.\d+)?/g)].flatMap((m) => {
    const x = Number(m[0]);
    return [x, -x];
  });

/**
 * Compares two answers as regions of the real line: null when either is not a region (or they
 * name different variables), else whether they agree at every sample point.
 */
export function sameRegion(a: string, b: string): { equal: boolean; reason: string } | null {
  if (!mayBeRegion(a) || !mayBeRegion(b)) return null;
  const A = regionOf(a);
  const B = regionOf(b);
  if (!A || !B) return null;
  if (A.variable && B.variable && A.variable !== B.variable) return null;
  if (!A.variable && !B.variable) return null; // two bare intervals: the structural comparison decides
  const base = [...A.points, ...B.points, ...constants(a), ...constants(b)];
  const points = new Set<number>(GRID);
  for (const p of base) {
    const d = 1e-6 * Math.max(1, Math.abs(p));
    points.add(p);
    points.add(p - d);
    points.add(p + d);
    points.add(p + 0.5);
    points.add(p - 0.5);
  }
  for (const t of points) {
    if (A.member(t) !== B.member(t)) return { equal: false, reason: `different sets of values (they differ at ${+t.toPrecision(6)})` };
  }
  return { equal: true, reason: `same set of values (membership agrees at ${points.size} points)` };
}
