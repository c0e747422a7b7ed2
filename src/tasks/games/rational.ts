/**
 * Exact rational numbers over bigint, for the number games (Game of 24, Countdown): every step is
 * recomputed exactly, so 8/3 * 9 = 24 is recognised and 1/3 * 3 = 1 has no rounding error.
 */

export interface Rational {
  readonly n: bigint;
  /** Always positive; the fraction is kept in lowest terms. */
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rat(n: bigint | number, d: bigint | number = 1n): Rational {
  let nn = BigInt(n);
  let dd = BigInt(d);
  if (dd === 0n) throw new RangeError('rational with zero denominator');
  if (dd < 0n) {
    nn = -nn;
    dd = -dd;
  }
  const g = gcd(nn, dd) || 1n;
  return { n: nn / g, d: dd / g };
}

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
/** Null for division by zero (an illegal move, not an exception). */
export const div = (a: Rational, b: Rational): Rational | null => (b.n === 0n ? null : rat(a.n * b.d, a.d * b.n));

export const eq = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isInteger = (a: Rational): boolean => a.d === 1n;
export const cmp = (a: Rational, b: Rational): number => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
};

/** "12", "-3", "8/3". */
export function formatRational(a: Rational): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}

/** Parses "12", "-3", "8/3" (no spaces); null when the text is not such a number. */
export function parseRational(text: string): Rational | null {
  const m = /^(-?\d{1,30})(?:\/(\d{1,30}))?$/.exec(text);
  if (!m) return null;
  const d = m[2] === undefined ? 1n : BigInt(m[2]);
  if (d === 0n) return null;
  return rat(BigInt(m[1]), d);
}

export type Op = '+' | '-' | '*' | '/';
export const OPS: readonly Op[] = ['+', '-', '*', '/'];

export function apply(op: Op, a: Rational, b: Rational): Rational | null {
  switch (op) {
    case '+':
      return add(a, b);
    case '-':
      return sub(a, b);
    case '*':
      return mul(a, b);
    case '/':
      return div(a, b);
  }
}
