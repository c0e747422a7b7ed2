/**
 * Math spans and numbers in running text, for answer extraction (extract.ts): LaTeX spans in text
 * order and the last (or first) number outside them.
 */

export interface Span {
  content: string;
  start: number;
  end: number;
}

/** LaTeX spans in text order: $$..$$, \[..\] (may cross lines), $..$ and \(..\) (one line). */
export function latexSpans(text: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '[' || text[i + 1] === '(')) {
      const close = text[i + 1] === '[' ? '\\]' : '\\)';
      const j = text.indexOf(close, i + 2);
      if (j >= 0) {
        // Inline \( .. \) may not cross a line: then it is a broken span (no answer, no numbers).
        const broken = close === '\\)' && text.slice(i + 2, j).includes('\n');
        out.push({ content: broken ? '' : text.slice(i + 2, j), start: i, end: j + 2 });
        i = j + 2;
        continue;
      }
      i += 2;
      continue;
    }
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '$') {
      const display = text[i + 1] === '$';
      const from = i + (display ? 2 : 1);
      let j = from;
      for (; j < text.length; j++) {
        if (text[j] === '\\') {
          j++;
          continue;
        }
        if (text[j] === '$') break;
        if (!display && text[j] === '\n') break;
      }
      if (j < text.length && text[j] === '$' && (!display || text[j + 1] === '$')) {
        out.push({ content: text.slice(from, j), start: i, end: j + (display ? 2 : 1) });
        i = j + (display ? 2 : 1);
        continue;
      }
      // "$ \n 9 \n $": inline math may not cross a line; what it encloses is no answer either.
      const close = text.indexOf('$', from);
      if (!display && text[j] === '\n' && close > j) {
        out.push({ content: '', start: i, end: close + 1 });
        i = close + 1;
        continue;
      }
      i = from;
      continue;
    }
    i++;
  }
  return out;
}

/**
 * Numbers in running text: integers, decimals (point or comma), thousands groups (`1,000`,
 * `1 000`), fractions `a/b`, mixed numbers `4 4/9`, a leading sign or currency sign. A number
 * glued to a preceding letter or digit-word (`AZYUK2A`, `x2`) is not one.
 */
const NUMBER =
  /(?<![A-Za-z0-9_.^\\/])[-+]?(?:[$€£]\s?)?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[ \u00a0]\d{3})+(?![\d/])|\d+)(?:[.,]\d+)?(?:[ \t]+\d+[ \t]*\/[ \t]*\d+|[ \t]*\/[ \t]*\d+)?(?![\d])(?:[ \t]?(?:\\?%|percent(?:age)?\b|pct\b))?/g;

/** The last number in a text outside the given spans; null when there is none. */
export function lastNumber(text: string, spans: readonly Span[] = [], first = false): { value: string; at: number } | null {
  let best: { value: string; at: number; start: number } | null = null;
  const outside = (at: number) => !spans.some((s) => at >= s.start && at < s.end);
  // A numeric \frac{a}{b} written in prose without delimiters ("每份应该是 (\frac{2}{5}) 吨") is one number.
  const fracs = [...text.matchAll(BARE_FRAC)].filter((m) => outside(m.index!));
  const inFrac = (at: number) => fracs.some((f) => at >= f.index! && at < f.index! + f[0].length);
  const found = [
    ...fracs.map((m) => ({ value: m[0].trim(), at: m.index! + m[0].length, start: m.index! })),
    ...[...text.matchAll(NUMBER)]
      .filter((m) => outside(m.index!) && !inFrac(m.index!))
      .map((m) => ({ value: m[0].replace(/[$€£]\s?/g, '').trim(), at: m.index! + m[0].length, start: m.index! })),
  ];
  for (const f of found) if (!best || (first ? f.start < best.start : f.start > best.start)) best = f;
  return best && { value: best.value, at: best.at };
}

const BARE_FRAC = /[-+]?\\[dtc]?frac\s*\{\s*[-+]?\d+(?:\.\d+)?\s*\}\s*\{\s*\d+(?:\.\d+)?\s*\}/g;
