/**
 * Matrices in answers: `pmatrix`/`bmatrix`/`vmatrix`/`matrix`/`array` literals (also wrapped in
 * brackets, `\left[\begin{array}{cc}..\end{array}\right]`), and sums, differences and products of
 * them with scalar factors (`A + B`, `A B`, `A \cdot B`, `\frac{t}{6} A`), evaluated cell by cell.
 * Cells stay LaTeX: plain numbers are computed, anything else is combined as text for the cell
 * comparison (and its symbolic step) to decide.
 */
import { formatNumber, parsePlainNumber } from './numbers.js';

export type Cells = string[][];

const BEGIN = /\\begin\{([pbvBV]?matrix|array|smallmatrix)\}/g;

interface Piece {
  start: number;
  end: number;
  cells: Cells;
}

function cellsOf(body: string): Cells {
  const rows = body
    .split('\\\\')
    .map((r) => r.trim())
    .filter((r) => r.length > 0 && !/^\\hline$/.test(r));
  return rows.map((r) =>
    r
      .replace(/\\hline/g, '')
      .split('&')
      .map((c) => c.trim()),
  );
}

function literals(s: string): Piece[] | null {
  const out: Piece[] = [];
  for (const m of s.matchAll(BEGIN)) {
    const env = m[1];
    const close = `\\end{${env}}`;
    const endAt = s.indexOf(close, m.index! + m[0].length);
    if (endAt < 0) return null;
    let body = s.slice(m.index! + m[0].length, endAt);
    if (env === 'array') body = body.replace(/^\{[^{}]*\}/, '');
    if (out.length && m.index! < out[out.length - 1].end) return null; // nested
    out.push({ start: m.index!, end: endAt + close.length, cells: cellsOf(body) });
  }
  return out;
}

const num = (c: string) => parsePlainNumber(c);
const wrap = (c: string) => (/^[-\w.\\{}]+$/.test(c) && !/^-/.test(c) ? c : `(${c})`);

function addCells(a: string, b: string, sign: 1 | -1): string {
  const [x, y] = [num(a), num(b)];
  if (x && y) return formatNumber(x.value + sign * y.value);
  return `${wrap(a)}${sign > 0 ? '+' : '-'}${wrap(b)}`;
}

function mulCells(a: string, b: string): string {
  const [x, y] = [num(a), num(b)];
  if (x && y) return formatNumber(x.value * y.value);
  if ((x && x.value === 0) || (y && y.value === 0)) return '0';
  if (x && x.value === 1) return b;
  if (y && y.value === 1) return a;
  return `${wrap(a)}\\cdot${wrap(b)}`;
}

function add(A: Cells, B: Cells, sign: 1 | -1): Cells | null {
  if (A.length !== B.length || A.some((r, i) => r.length !== B[i].length)) return null;
  return A.map((r, i) => r.map((c, j) => addCells(c, B[i][j], sign)));
}

function multiply(A: Cells, B: Cells): Cells | null {
  const n = A[0]?.length ?? 0;
  if (A.some((r) => r.length !== n) || B.length !== n || n === 0) return null;
  const m = B[0].length;
  return A.map((r) =>
    Array.from({ length: m }, (_, j) => {
      let acc: string | null = null;
      for (let k = 0; k < n; k++) {
        const t = mulCells(r[k], B[k][j]);
        acc = acc === null ? t : addCells(acc, t, 1);
      }
      return acc!;
    }),
  );
}

const scale = (s: string, A: Cells): Cells => A.map((r) => r.map((c) => mulCells(s, c)));
const PRODUCT_GLUE = /^(?:|\\cdot|\\times|\*)$/;

/**
 * The matrix an answer denotes; undefined when it holds no matrix, null when it holds one but is
 * not a form handled here (then it is compared as text).
 */
export function matrixValue(input: string): Cells | null | undefined {
  let s = input;
  if (!s.includes('\\begin{')) return undefined;
  const pieces = literals(s);
  if (!pieces || pieces.length === 0) return undefined;
  // One matrix in brackets: "(\begin{pmatrix}..\end{pmatrix})", "[\begin{array}..\end{array}]".
  if (pieces.length === 1) {
    const pre = s.slice(0, pieces[0].start);
    const post = s.slice(pieces[0].end);
    if ((pre === '(' && post === ')') || (pre === '[' && post === ']')) s = s.slice(1, -1);
  }
  const ps = literals(s)!;
  let prefix = s.slice(0, ps[0].start).replace(/(?:\\cdot|\\times|\*)$/, '');
  if (s.slice(ps[ps.length - 1].end) !== '') return null;
  let sign: 1 | -1 = 1;
  if (prefix.startsWith('-')) {
    sign = -1;
    prefix = prefix.slice(1);
  }
  let term: Cells | null = prefix ? scale(prefix, ps[0].cells) : ps[0].cells;
  let total: Cells | null = null;
  for (let i = 1; i <= ps.length; i++) {
    const glue = i < ps.length ? s.slice(ps[i - 1].end, ps[i].start) : '+';
    if (term === null) return null;
    if (PRODUCT_GLUE.test(glue)) {
      term = multiply(term, ps[i].cells);
      continue;
    }
    if (glue !== '+' && glue !== '-') return null;
    const signed: Cells = sign > 0 ? term : scale('-1', term);
    total = total === null ? signed : add(total, signed, 1);
    if (total === null) return null;
    sign = glue === '-' ? -1 : 1;
    term = i < ps.length ? ps[i].cells : null;
  }
  return total;
}
