/**
 * Final-answer extraction from a model's solution text. Order of preference (as in the MATH and
 * GSM8K harnesses, Hendrycks et al. 2021 and Cobbe et al. 2021, and Qwen2.5-Math's evaluator):
 * the last `\boxed{...}` / `\fbox{...}` (braces matched, so nested fractions survive), a GSM8K
 * `#### n` line, "the (final) answer is ...", "Answer: ...", a lone multiple-choice letter, and
 * finally the last number in the text.
 */

export type ExtractionMethod = 'boxed' | 'hash' | 'answer-is' | 'answer-colon' | 'choice' | 'last-number' | 'whole';

export interface Extraction {
  answer: string | null;
  method: ExtractionMethod | null;
}

/** Content of the last `\boxed{...}` or `\fbox{...}` (also `\boxed 5`), braces matched; null if none. */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)\s*(\{|\s+)/g;
  let last: string | null = null;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index + m[0].length;
    if (m[1] !== '{') {
      // "\boxed 5": up to the next space or "$".
      const rest = /^[^\s$]+/.exec(text.slice(start));
      if (rest) last = rest[0];
      continue;
    }
    let depth = 1;
    let i = start;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '\\' && i + 1 < text.length) {
        i++;
        continue;
      }
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    if (depth === 0) last = text.slice(start, i - 1);
  }
  return last;
}

const NUMBER = /-?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*\/\s*\d+)?|-?\.\d+/g;

/** The last number in a text ("1,000", "-3.5", "2/3"); null when there is none. */
export function lastNumber(text: string): string | null {
  const all = text.match(NUMBER);
  if (!all) return null;
  return all[all.length - 1].replace(/[$\s]/g, '').replace(/,$/, '');
}

function trimSentence(s: string): string {
  let t = s.trim();
  // Stop at the end of the sentence: a period followed by a space/end, not a decimal point.
  const stop = /\.(?:\s|$)|\n/.exec(t);
  if (stop) t = t.slice(0, stop.index);
  return t.replace(/^[:\s]+/, '').replace(/[.\s]+$/, '').trim();
}

/** Extracts the final answer; `method` says which rule found it. */
export function extractAnswer(text: string, options: { choices?: boolean } = {}): Extraction {
  const boxed = lastBoxed(text);
  if (boxed !== null) return { answer: boxed.trim(), method: 'boxed' };

  const hash = /####\s*([^\n]+)/g;
  let hashLast: string | null = null;
  for (let m = hash.exec(text); m !== null; m = hash.exec(text)) hashLast = m[1];
  if (hashLast !== null) return { answer: hashLast.trim(), method: 'hash' };

  const answerIs = /the\s+(?:final\s+)?answer\s+is\s*:?\s*([^\n]+)/gi;
  let isLast: string | null = null;
  for (let m = answerIs.exec(text); m !== null; m = answerIs.exec(text)) isLast = m[1];
  if (isLast !== null) {
    const a = trimSentence(isLast.replace(/^\$+|\$+$/g, (x) => x));
    const dollars = /^\$([^$]+)\$/.exec(a);
    return { answer: dollars ? dollars[1].trim() : a, method: 'answer-is' };
  }

  const colon = /(?:^|\n)\s*(?:final\s+)?answer\s*:\s*([^\n]+)/gi;
  let colonLast: string | null = null;
  for (let m = colon.exec(text); m !== null; m = colon.exec(text)) colonLast = m[1];
  if (colonLast !== null) {
    const a = trimSentence(colonLast);
    const dollars = /^\$([^$]+)\$/.exec(a);
    return { answer: dollars ? dollars[1].trim() : a, method: 'answer-colon' };
  }

  if (options.choices) {
    const letter = /(?:^|[\s(])\(?([A-E])\)?[.)]?\s*$/.exec(text.trim());
    if (letter) return { answer: letter[1], method: 'choice' };
  }

  const num = lastNumber(text);
  if (num !== null) return { answer: num, method: 'last-number' };
  return { answer: null, method: null };
}

/**
 * For a reference answer: when it carries a marker (boxed, ####, "the answer is") take that,
 * otherwise the whole string is the answer.
 */
export function extractReference(text: string): Extraction {
  const e = extractAnswer(text);
  if (e.method === 'boxed' || e.method === 'hash' || e.method === 'answer-is') return e;
  return { answer: text.trim(), method: 'whole' };
}
