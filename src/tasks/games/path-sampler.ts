/**
 * A uniformly random solution path of a number game, exactly the distribution of picking one of
 * `allSolutions(start, rules)` (combine.ts) at random, about an order of magnitude faster: the
 * search runs over small exact fractions in plain JS numbers (no bigint) and counts the solutions
 * below each move, then draws one path with a single random number u: the path at index
 * floor(u * count) of allSolutions' depth-first order, so `solve` returns what it returned before,
 * only sooner (tested). SFT draws a fresh path for
 * every example, so this is the data generator's inner loop. When an intermediate value leaves the
 * range where double arithmetic is exact, it returns undefined and the caller uses the bigint search.
 *
 * Moves and step texts follow combine.ts `legalMoves`: ordered pairs (i, j), i != j; + and * only
 * with i < j; no negative results; with `integerOnly` only positive whole results; duplicate texts
 * dropped; the result is appended to the remaining numbers.
 */
interface Q {
  n: number;
  /** > 0, lowest terms. */
  d: number;
}

class Unsafe extends Error {}

const LIMIT = 2 ** 26; // numerators and denominators beyond this could overflow 2^53 in a cross product

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  while (b) [a, b] = [b, a % b];
  return a;
}

function q(n: number, d: number): Q {
  if (d < 0) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1;
  n /= g;
  d /= g;
  if (Math.abs(n) > LIMIT || d > LIMIT) throw new Unsafe();
  return { n, d };
}

const OPS = ['+', '-', '*', '/'] as const;

function apply(op: (typeof OPS)[number], a: Q, b: Q): Q | null {
  switch (op) {
    case '+':
      return q(a.n * b.d + b.n * a.d, a.d * b.d);
    case '-':
      return q(a.n * b.d - b.n * a.d, a.d * b.d);
    case '*':
      return q(a.n * b.n, a.d * b.d);
    case '/':
      return b.n === 0 ? null : q(a.n * b.d, a.d * b.n);
  }
}

const fmt = (a: Q): string => (a.d === 1 ? String(a.n) : `${a.n}/${a.d}`);

export interface PathRules {
  target: number;
  useAll: boolean;
  integerOnly: boolean;
}

interface Move {
  i: number;
  j: number;
  op: (typeof OPS)[number];
  next: Q[];
}

const same = (a: Q, b: Q): boolean => a.n === b.n && a.d === b.d;
const sameList = (a: readonly Q[], b: readonly Q[]): boolean => a.length === b.length && a.every((x, k) => same(x, b[k]));

const isWin = (state: readonly Q[], rules: PathRules): boolean =>
  rules.useAll
    ? state.length === 1 && state[0].n === rules.target && state[0].d === 1
    : state.some((x) => x.n === rules.target && x.d === 1);

/**
 * legalMoves of combine.ts without the texts. Two moves have the same text exactly when their
 * operands, operator and remaining list are equal, which needs a repeated value in the state.
 */
function moves(state: readonly Q[], rules: PathRules): Move[] {
  const repeated = state.some((x, k) => state.findIndex((y) => same(x, y)) !== k);
  const out: Move[] = [];
  for (let i = 0; i < state.length; i++) {
    for (let j = 0; j < state.length; j++) {
      if (i === j) continue;
      for (const op of OPS) {
        if ((op === '+' || op === '*') && j < i) continue;
        const r = apply(op, state[i], state[j]);
        if (r === null || r.n < 0) continue;
        if (rules.integerOnly && !(r.d === 1 && r.n > 0)) continue;
        const next: Q[] = [];
        for (let k = 0; k < state.length; k++) if (k !== i && k !== j) next.push(state[k]);
        next.push(r);
        if (repeated && out.some((m) => m.op === op && same(state[m.i], state[i]) && same(state[m.j], state[j]) && sameList(m.next, next)))
          continue;
        out.push({ i, j, op, next });
      }
    }
  }
  return out;
}

/** Winning last moves from two numbers with useAll (the bulk of the search, without allocations). */
function countLast(x: Q, y: Q, rules: PathRules): number {
  const t = rules.target;
  const hit = (r: Q | null): number => (r !== null && r.d === 1 && r.n === t && r.n >= 0 && (!rules.integerOnly || r.n > 0) ? 1 : 0);
  // (x,y): + - * /; (y,x): - / (the same texts as (x,y) when x equals y, so counted once)
  let c = hit(apply('+', x, y)) + hit(apply('-', x, y)) + hit(apply('*', x, y)) + hit(apply('/', x, y));
  if (!same(x, y)) c += hit(apply('-', y, x)) + hit(apply('/', y, x));
  return c;
}

/** Number of solution paths from a state (allSolutions' count). */
function count(state: readonly Q[], rules: PathRules): number {
  if (rules.useAll && state.length === 2) return countLast(state[0], state[1], rules);
  let c = isWin(state, rules) ? 1 : 0;
  if (state.length <= 1 || (!rules.useAll && c === 1)) return c;
  for (const m of moves(state, rules)) c += count(m.next, rules);
  return c;
}

const text = (state: readonly Q[], m: Move): string =>
  `${fmt(state[m.i])}${m.op}${fmt(state[m.j])}=${fmt(m.next[m.next.length - 1])} (${m.next.map(fmt).join(' ')})`;

function safely<T>(numbers: readonly number[], rules: PathRules, f: (start: Q[]) => T): T | undefined {
  if (!numbers.every((x) => Number.isSafeInteger(x) && Math.abs(x) <= LIMIT) || !Number.isSafeInteger(rules.target)) return undefined;
  try {
    return f(numbers.map((x) => ({ n: x, d: 1 })));
  } catch (e) {
    if (e instanceof Unsafe) return undefined;
    throw e;
  }
}

/** Every solution path (for tests: the same list as combine.ts allSolutions); undefined when unsafe. */
export function allPaths(numbers: readonly number[], rules: PathRules): string[][] | undefined {
  return safely(numbers, rules, (start) => {
    const out: string[][] = [];
    const walk = (state: readonly Q[], path: string[]): void => {
      const win = isWin(state, rules);
      if (win) out.push([...path]);
      if (state.length <= 1 || (!rules.useAll && win)) return;
      for (const m of moves(state, rules)) walk(m.next, [...path, text(state, m)]);
    };
    walk(start, []);
    return out;
  });
}

/** The number of solution paths; undefined when unsafe. */
export function countPaths(numbers: readonly number[], rules: PathRules): number | undefined {
  return safely(numbers, rules, (start) => count(start, rules));
}

/**
 * One solution path drawn uniformly from all of them (one `rng.next()`), null when there is none,
 * undefined when the numbers are outside the fast path's exact range.
 */
export function samplePath(numbers: readonly number[], rules: PathRules, rng: { next(): number }): string[] | null | undefined {
  return safely(numbers, rules, (start) => {
    const total = count(start, rules);
    if (total === 0) return null;
    let r = Math.floor(rng.next() * total);
    const path: string[] = [];
    let state: readonly Q[] = start;
    for (;;) {
      const win = isWin(state, rules);
      if (win) {
        if (r === 0) return path;
        r -= 1;
      }
      let chosen: Move | undefined;
      for (const m of moves(state, rules)) {
        const c = count(m.next, rules);
        if (r < c) {
          chosen = m;
          break;
        }
        r -= c;
      }
      path.push(text(state, chosen!));
      state = chosen!.next;
    }
  });
}
