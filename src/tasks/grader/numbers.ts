/** Plain numbers in normalised answers: integers, decimals, scientific notation, a/b, \frac{a}{b}. */

export interface PlainNumber {
  value: number;
  /** An integer written as one (compared exactly, never with a tolerance). */
  exact: boolean;
}

/** Parses a plain number; null for anything else. */
export function parsePlainNumber(s: string): PlainNumber | null {
  let m = /^([-+]?)(\d+(?:\.\d+)?)(?:(?:e|E|\\times10\^|\*10\^|\\cdot10\^)\{?([+-]?\d+)\}?)?$/.exec(s);
  if (m) {
    const v = Number(`${m[1] === '-' ? '-' : ''}${m[2]}${m[3] !== undefined ? `e${m[3]}` : ''}`);
    const exact = m[3] === undefined && !m[2].includes('.') && Number.isSafeInteger(v);
    return Number.isFinite(v) ? { value: v, exact } : null;
  }
  // A mixed number as MATH writes it: 15\frac{39}{40} = 15 + 39/40 (compute-engine reads it the same way).
  m = /^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/.exec(s);
  if (m && Number(m[4]) !== 0) return { value: (m[1] ? -1 : 1) * (Number(m[2]) + Number(m[3]) / Number(m[4])), exact: false };
  m = /^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$/.exec(s) ?? /^(-?)(\d+)\/(\d+)$/.exec(s);
  if (m) {
    const den = Number(m[3]);
    if (den === 0) return null;
    return { value: (m[1] ? -1 : 1) * (Number(m[2]) / den), exact: false };
  }
  return null;
}

/** A number as the grader writes computed values: integers exactly, others in full precision. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 53) return String(v);
  return String(v);
}

/**
 * "1,22" read with a decimal comma (European style) -> 1.22, also with points between thousands
 * ("1.234,5" -> 1234.5); null unless the text is exactly digits, one comma, digits. Only used
 * against a single number on the other side.
 */
export function decimalCommaValue(s: string): number | null {
  const m = /^(-?(?:\d{1,3}(?:\.\d{3})+|\d+)),(\d+)$/.exec(s);
  return m ? Number(`${m[1].replace(/\./g, '')}.${m[2]}`) : null;
}
