/**
 * The number-combination game behind Game of 24 and Countdown: a state is a list of exact rationals;
 * a step takes two of them, combines them with + - * /, and puts the result back.
 *
 * Step text (CALIBRATION.md): `4+8=12 (4 6 12)` — operands, result, then the numbers left, in the
 * order of the previous list with the two operands removed and the result appended. `checkStep`
 * recomputes every step from the true state; it never trusts the model's result or remaining list.
 */
import { type Op, type Rational, OPS, apply, eq, formatRational, isInteger, parseRational, rat, cmp } from './rational.js';

export interface GameRules {
  target: Rational;
  /** Every number must be used exactly once (Game of 24, TinyZero Countdown). */
  useAll: boolean;
  /** Every intermediate result must be a positive integer (classic Countdown rules). */
  integerOnly: boolean;
}

export interface ParsedStep {
  a: Rational;
  op: Op;
  b: Rational;
  claimed: Rational;
  /** The remaining list the step claims, or null when it wrote none. */
  claimedRest: Rational[] | null;
}

export interface StepOutcome {
  valid: boolean;
  reason?: string;
  /** The true state after the step (only when valid). */
  state?: Rational[];
  /** The reading of the step that fits the state (only when valid). */
  step?: ParsedStep;
}

export const formatList = (xs: readonly Rational[]): string => xs.map(formatRational).join(' ');

function resultAllowed(r: Rational | null, rules: GameRules): r is Rational {
  if (r === null) return false;
  if (rules.integerOnly) return isInteger(r) && r.n > 0n;
  return true;
}

/** All ways to read `lhs` ("8/3*9", "24/5*5", "6-4") as `a op b`, with a and b numbers. */
function splitOperands(lhs: string): Array<{ a: Rational; op: Op; b: Rational }> {
  const out: Array<{ a: Rational; op: Op; b: Rational }> = [];
  for (let i = 1; i < lhs.length - 1; i++) {
    const op = lhs[i] as Op;
    if (!OPS.includes(op)) continue;
    const a = parseRational(lhs.slice(0, i));
    const b = parseRational(lhs.slice(i + 1));
    if (a && b) out.push({ a, op, b });
  }
  return out;
}

/**
 * Parses `a op b=c (rest)`. Fractions make the left side ambiguous ("8/3*9"), so every reading is
 * returned and the checker keeps the one that fits the true state.
 */
export function parseStep(text: string): ParsedStep[] {
  const eqAt = text.indexOf('=');
  if (eqAt < 0) return [];
  const lhs = text.slice(0, eqAt).replace(/[×x]/g, '*').replace(/÷/g, '/').replace(/\s+/g, '');
  const m = /^\s*(-?\d+(?:\/\d+)?)\s*(?:\(([^()]*)\))?\s*$/.exec(text.slice(eqAt + 1));
  if (!m || !/^[-\d/+*]+$/.test(lhs)) return [];
  const claimed = parseRational(m[1]);
  if (!claimed) return [];
  let claimedRest: Rational[] | null = null;
  if (m[2] !== undefined) {
    const parts = m[2].trim().split(/\s+/).filter(Boolean);
    const parsed = parts.map(parseRational);
    if (parsed.some((p) => p === null)) return [];
    claimedRest = parsed as Rational[];
  }
  return splitOperands(lhs).map((s) => ({ ...s, claimed, claimedRest }));
}

function removeOne(xs: Rational[], x: Rational): Rational[] | null {
  const i = xs.findIndex((y) => eq(x, y));
  if (i < 0) return null;
  return [...xs.slice(0, i), ...xs.slice(i + 1)];
}

function sameMultiset(a: readonly Rational[], b: readonly Rational[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort(cmp);
  const sb = [...b].sort(cmp);
  return sa.every((x, i) => eq(x, sb[i]));
}

/** Applies one step text to the true state. */
export function applyStep(state: readonly Rational[], text: string, rules: GameRules): StepOutcome {
  const readings = parseStep(text);
  if (readings.length === 0) return { valid: false, reason: `cannot read step "${text}" (expected e.g. "4+8=12 (4 6 12)")` };
  let reason = '';
  for (const s of readings) {
    const afterA = removeOne([...state], s.a);
    const afterB = afterA && removeOne(afterA, s.b);
    if (!afterB) {
      reason = `operands ${formatRational(s.a)} and ${formatRational(s.b)} are not both available in (${formatList(state)})`;
      continue;
    }
    const r = apply(s.op, s.a, s.b);
    if (r === null) {
      reason = 'division by zero';
      continue;
    }
    if (!resultAllowed(r, rules)) {
      reason = `${formatRational(s.a)}${s.op}${formatRational(s.b)}=${formatRational(r)} is not a positive integer, which these rules require`;
      continue;
    }
    if (!eq(r, s.claimed)) {
      reason = `${formatRational(s.a)}${s.op}${formatRational(s.b)} is ${formatRational(r)}, not ${formatRational(s.claimed)}`;
      continue;
    }
    const next = [...afterB, r];
    if (s.claimedRest !== null && !sameMultiset(s.claimedRest, next)) {
      reason = `numbers left should be (${formatList(next)}), not (${formatList(s.claimedRest)})`;
      continue;
    }
    if (s.claimedRest === null) {
      reason = 'the step must end with the numbers left, e.g. "(4 6 12)"';
      continue;
    }
    return { valid: true, state: next, step: s };
  }
  return { valid: false, reason };
}

export interface ReplayResult {
  /** Index of the first invalid step, or -1. */
  invalidAt: number;
  reason?: string;
  state: Rational[];
  /** Expressions for each number in `state`, e.g. "(4+8)*(6-4)". */
  expressions: string[];
}

/**
 * Replays steps from the start, stopping at the first invalid one; builds the equivalent expression.
 *
 * A search asks for the same prefixes again and again (every child of a node replays its parent's
 * steps, MCTS re-checks paths): results are memoised per (start, rules, prefix), so checking a new
 * step costs one step, not the whole path. The memo is bounded (cleared when full) and results are
 * frozen copies, so callers cannot alter cached states.
 */
export function replay(start: readonly Rational[], steps: readonly string[], rules: GameRules): ReplayResult {
  const head = `${start.map(formatRational).join(' ')}|${formatRational(rules.target)}|${rules.useAll ? 1 : 0}${rules.integerOnly ? 1 : 0}|`;
  return replayMemo(head, start, steps, steps.length, rules);
}

const MEMO_LIMIT = 50_000;
const memo = new Map<string, ReplayResult>();

function replayMemo(head: string, start: readonly Rational[], steps: readonly string[], n: number, rules: GameRules): ReplayResult {
  if (n === 0) return { invalidAt: -1, state: [...start], expressions: start.map(formatRational) };
  const key = head + steps.slice(0, n).join('\n');
  const hit = memo.get(key);
  if (hit) return copyResult(hit);
  const prev = replayMemo(head, start, steps, n - 1, rules);
  const result = prev.invalidAt >= 0 ? prev : extend(prev, steps[n - 1], n - 1, rules);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, copyResult(result));
  return result;
}

const copyResult = (r: ReplayResult): ReplayResult => ({ ...r, state: [...r.state], expressions: [...r.expressions] });

/** One more step (index i) after a valid replay. */
function extend(prev: ReplayResult, step: string, i: number, rules: GameRules): ReplayResult {
  const { state, expressions: exprs } = prev;
  const out = applyStep(state, step, rules);
  if (!out.valid || !out.state) return { invalidAt: i, reason: out.reason, state, expressions: exprs };
  const reading = out.step!;
  const ia = state.findIndex((x) => eq(x, reading.a));
  const restA = state.filter((_, k) => k !== ia);
  const exprRestA = exprs.filter((_, k) => k !== ia);
  const ib = restA.findIndex((x) => eq(x, reading.b));
  const ea = exprs[ia];
  const eb = exprRestA[ib];
  const wrap = (e: string) => (/^\d+$/.test(e) ? e : `(${e})`);
  const newExpr = `${wrap(ea)}${reading.op}${wrap(eb)}`;
  return { invalidAt: -1, state: out.state, expressions: [...exprRestA.filter((_, k) => k !== ib), newExpr] };
}

/** Whether a state is finished: one number left, or (when not all numbers must be used) the target reached. */
export function isTerminal(state: readonly Rational[], rules: GameRules): boolean {
  if (state.length <= 1) return true;
  return !rules.useAll && state.some((x) => eq(x, rules.target));
}

/**
 * Every legal next step from a state, each with its resulting state; duplicates removed.
 * Moves with a negative result are left out: a solution that passes through a negative number can
 * be rewritten without one (swap the operands of the subtraction and flip the sign of the operation
 * that consumes it), so search loses nothing and the step texts stay readable. `checkStep` still
 * accepts such steps when a model writes them. The acceptance script checks the claim by comparing
 * with `bruteForceSolvable`, which allows negatives, on every test puzzle.
 */
export function legalMoves(state: readonly Rational[], rules: GameRules): Array<{ text: string; state: Rational[] }> {
  const seen = new Set<string>();
  const out: Array<{ text: string; state: Rational[] }> = [];
  for (let i = 0; i < state.length; i++) {
    for (let j = 0; j < state.length; j++) {
      if (i === j) continue;
      const rest = state.filter((_, k) => k !== i && k !== j);
      for (const op of OPS) {
        // + and * are commutative: write them once, lower index first.
        if ((op === '+' || op === '*') && j < i) continue;
        const r = apply(op, state[i], state[j]);
        if (!resultAllowed(r, rules) || r.n < 0n) continue;
        const next = [...rest, r];
        const text = `${formatRational(state[i])}${op}${formatRational(state[j])}=${formatRational(r)} (${formatList(next)})`;
        if (seen.has(text)) continue;
        seen.add(text);
        out.push({ text, state: next });
      }
    }
  }
  return out;
}

/**
 * One random legal move (uniform over ordered pairs and operators, retried when illegal), without
 * listing every move: generators call this millions of times. Null when `tries` all fail.
 */
export function randomMove(
  state: readonly Rational[],
  rules: Omit<GameRules, 'target'>,
  rng: { next(): number },
  tries = 30,
): Rational[] | null {
  if (state.length < 2) return null;
  for (let t = 0; t < tries; t++) {
    const i = Math.floor(rng.next() * state.length);
    let j = Math.floor(rng.next() * (state.length - 1));
    if (j >= i) j++;
    const op = OPS[Math.floor(rng.next() * OPS.length)];
    const r = apply(op, state[i], state[j]);
    if (!resultAllowed(r, { ...rules, target: rat(0) }) || r.n < 0n) continue;
    return [...state.filter((_, k) => k !== i && k !== j), r];
  }
  return null;
}

/** Whether a finished state is a win. */
export function isWin(state: readonly Rational[], rules: GameRules): boolean {
  if (rules.useAll) return state.length === 1 && eq(state[0], rules.target);
  return state.some((x) => eq(x, rules.target));
}

/**
 * Every solution path (list of step texts) by depth-first search over legal moves. `limit` caps the
 * number returned (the search stops early); the full count for 4 numbers is at most a few thousand.
 */
export function allSolutions(start: readonly Rational[], rules: GameRules, limit = Infinity): string[][] {
  const out: string[][] = [];
  const path: string[] = [];
  const dfs = (state: Rational[]): void => {
    if (out.length >= limit) return;
    if (isWin(state, rules)) out.push([...path]);
    if (isTerminal(state, rules)) return;
    for (const m of legalMoves(state, rules)) {
      path.push(m.text);
      dfs(m.state);
      path.pop();
    }
  };
  dfs([...start]);
  return out;
}

/**
 * Independent brute force (for tests and acceptance): the set of values reachable by combining
 * sub-multisets, computed by splitting every subset into two parts. Does not share code with the
 * step search above apart from exact arithmetic.
 */
export function bruteForceSolvable(start: readonly Rational[], rules: GameRules): boolean {
  const n = start.length;
  const memo = new Map<number, Map<string, Rational>>();
  const key = (r: Rational) => `${r.n}/${r.d}`;
  const values = (mask: number): Map<string, Rational> => {
    const hit = memo.get(mask);
    if (hit) return hit;
    const out = new Map<string, Rational>();
    const bits = [...Array(n).keys()].filter((i) => mask & (1 << i));
    if (bits.length === 1) out.set(key(start[bits[0]]), start[bits[0]]);
    // Every split into two non-empty halves (each unordered split visited twice: both orders matter for - and /).
    for (let sub = (mask - 1) & mask; sub > 0; sub = (sub - 1) & mask) {
      const other = mask & ~sub;
      for (const a of values(sub).values()) {
        for (const b of values(other).values()) {
          for (const op of OPS) {
            const r = apply(op, a, b);
            if (resultAllowed(r, rules)) out.set(key(r), r);
          }
        }
      }
    }
    memo.set(mask, out);
    return out;
  };
  const full = (1 << n) - 1;
  if (rules.useAll) return values(full).has(key(rules.target));
  for (let mask = 1; mask <= full; mask++) if (values(mask).has(key(rules.target))) return true;
  return false;
}

/** Parses and evaluates an answer expression exactly; reports which numbers it used. */
export interface ExpressionValue {
  value: Rational | null;
  numbers: Rational[];
  error?: string;
}

/**
 * Evaluates "(4+8)*(6-4)" with exact rationals: numbers, + - * /, parentheses; no unary minus, no
 * other symbols. Checks positive-integer intermediates when the rules demand them.
 */
export function evaluateExpression(text: string, rules: Pick<GameRules, 'integerOnly'>): ExpressionValue {
  const src = text.replace(/[×x]/g, '*').replace(/÷/g, '/').replace(/\s+/g, '');
  let pos = 0;
  const numbers: Rational[] = [];
  const fail = (error: string): never => {
    throw new Error(error);
  };
  const check = (r: Rational | null): Rational => {
    if (r === null) return fail('division by zero');
    if (rules.integerOnly && !(isInteger(r) && r.n > 0n)) fail(`intermediate result ${formatRational(r)} is not a positive integer`);
    return r;
  };
  const primary = (): Rational => {
    if (src[pos] === '(') {
      pos++;
      const v = sum();
      if (src[pos] !== ')') fail(`expected ")" at position ${pos}`);
      pos++;
      return v;
    }
    const m = /^\d+/.exec(src.slice(pos));
    if (!m) fail(pos >= src.length ? 'expression ends too early' : `unexpected "${src[pos]}" at position ${pos}`);
    pos += m![0].length;
    const v = rat(BigInt(m![0]));
    numbers.push(v);
    return v;
  };
  const product = (): Rational => {
    let v = primary();
    while (src[pos] === '*' || src[pos] === '/') {
      const op = src[pos++] as Op;
      v = check(apply(op, v, primary()));
    }
    return v;
  };
  const sum = (): Rational => {
    let v = product();
    while (src[pos] === '+' || src[pos] === '-') {
      const op = src[pos++] as Op;
      v = check(apply(op, v, product()));
    }
    return v;
  };
  try {
    if (!src) fail('empty expression');
    const v = sum();
    if (pos !== src.length) fail(`unexpected "${src[pos]}" at position ${pos}`);
    return { value: v, numbers };
  } catch (e) {
    return { value: null, numbers, error: (e as Error).message };
  }
}

/** Checks that `used` is a permutation of `given` (useAll) or a sub-multiset of it. */
export function numbersMatch(used: readonly Rational[], given: readonly Rational[], useAll: boolean): string | null {
  let pool = [...given];
  for (const u of used) {
    const next = removeOne(pool, u);
    if (!next) return `${formatRational(u)} is not available (given ${formatList(given)}; each number may be used once)`;
    pool = next;
  }
  if (useAll && pool.length > 0) return `numbers not used: ${formatList(pool)} (every number must be used exactly once)`;
  return null;
}
