/**
 * Normalisation of math answers before comparison, extending the MATH benchmark's `strip_string`
 * (Hendrycks et al. 2021): spacing commands, \left/\right, \dfrac/\tfrac/\cfrac, shorthand fractions
 * and roots, \text{}/\textnormal{} wrappers, units, degrees, percent (sign or word), currency,
 * thousands separators (`1,000`, `1{,}000`, `32,\!349`, `1 000`; never inside tuples or sets, so
 * `(1,102)` stays a pair), `x \in` prefixes, relation symbols in one spelling (`\geq`, `>=`, `≥` ->
 * `\ge`), trailing sentence punctuation. Every rule only removes decoration or picks one spelling;
 * nothing here decides equivalence (equivalence.ts and relations.ts do).
 */

import { UNIT_RE } from './units.js';

export { UNIT_WORDS } from './units.js';

/**
 * JSON-derived strings sometimes carry every backslash twice (`\\frac{1}{2}`). When every command
 * in the text is preceded by an even number of backslashes (and at least one by exactly two), the
 * text was escaped twice: halve every run. A normal `\\` row break next to single-backslash
 * commands is left alone.
 */
export function fixDoubleEscapes(s: string): string {
  if (!s.includes('\\\\')) return s;
  let even = 0;
  let odd = 0;
  for (const m of s.matchAll(/(\\+)(?=[a-zA-Z{}$%(),[\]!])/g)) {
    if (m[1].length % 2 === 0) even++;
    else odd++;
  }
  if (even === 0) return s;
  if (odd === 0) return s.replace(/\\\\/g, '\\');
  // Mixed ("\\dfrac{1}{2} +\frac{1}{72}", as in the MATH harness's own tests): a doubled backslash
  // directly before a command name is that command; a row break `\\` before a space or digit stays.
  return s.replace(DOUBLED_COMMAND, '\\');
}

const DOUBLED_COMMAND = new RegExp(
  `(?<!\\\\)\\\\\\\\(?=(?:${[
    'dfrac',
    'tfrac',
    'cfrac',
    'frac',
    'sqrt',
    'text',
    'textbf',
    'textnormal',
    'mathrm',
    'mathbf',
    'mathbb',
    'boxed',
    'left',
    'right',
    'cdot',
    'times',
    'div',
    'pm',
    'mp',
    'infty',
    'pi',
    'theta',
    'alpha',
    'beta',
    'gamma',
    'le',
    'leq',
    'ge',
    'geq',
    'ne',
    'neq',
    'approx',
    'in',
    'cup',
    'cap',
    'emptyset',
    'varnothing',
    'sin',
    'cos',
    'tan',
    'log',
    'ln',
    'exp',
    'circ',
    'dots',
    'ldots',
    'cdots',
    'sum',
    'prod',
    'int',
    'operatorname',
    'angle',
    'binom',
    'begin',
    'end',
    'displaystyle',
  ].join('|')})(?![a-zA-Z]))`,
  'g',
);

/** Replaces `\cmd{...}` (braces matched) by its content, for each given command. */
export function unwrapCommand(s: string, commands: readonly string[], spaced = false): string {
  let out = s;
  for (const cmd of commands) {
    const needle = `\\${cmd}`;
    let from = 0;
    for (let guard = 0; guard < 100; guard++) {
      let i = out.indexOf(needle, from);
      while (i >= 0 && !/^\s*\{/.test(out.slice(i + needle.length, i + needle.length + 8))) i = out.indexOf(needle, i + 1);
      if (i < 0) break;
      const open = out.indexOf('{', i + needle.length);
      let depth = 1;
      let j = open + 1;
      for (; j < out.length && depth > 0; j++) {
        if (out[j] === '\\') j++;
        else if (out[j] === '{') depth++;
        else if (out[j] === '}') depth--;
      }
      if (depth !== 0) break;
      const inner = out.slice(open + 1, j - 1);
      out = out.slice(0, i) + (spaced ? ` ${inner} ` : inner) + out.slice(j);
      from = i;
    }
  }
  return out;
}

/** `\frac12` -> `\frac{1}{2}`, `\frac1{x}` -> `\frac{1}{x}`, `\sqrt3` -> `\sqrt{3}`. */
function fixShorthand(s: string): string {
  return s
    .replace(/\\frac\s*(\d)\s*(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\frac\s*(\d)\s*\{/g, '\\frac{$1}{')
    .replace(/\\frac\s*\{([^{}]*)\}\s*(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\frac\s*([a-zA-Z])\s*([a-zA-Z\d])/g, '\\frac{$1}{$2}')
    .replace(/\\sqrt\s*(\d+|[a-zA-Z])(?![\w{])/g, '\\sqrt{$1}');
}

/** "a/b" with simple integers -> \frac{a}{b} (MATH answers use both). */
function slashFraction(s: string): string {
  const m = /^(-?\d+)\s*\/\s*(\d+)$/.exec(s);
  return m ? `\\frac{${m[1]}}{${m[2]}}` : s;
}

/**
 * "4 4/9" (a mixed number) -> \frac{40}{9}; "-4 4/9" -> -\frac{40}{9}; "1 000 4/9" (spaced thousands
 * in the whole part) -> \frac{9004}{9}. A fraction part that is not a proper fraction ("11 6/6",
 * "4 4/0") makes no mixed number and no value (it must not match 11, 12 or 4).
 */
function mixedNumber(s: string): string {
  const m = /^([-+]?)(\d{1,3}(?: \d{3})+|\d+)\s+(\d+)\s*\/\s*(\d+)$/.exec(s);
  if (!m) return s;
  if (BigInt(m[3]) >= BigInt(m[4])) return '\\text{not a mixed number}';
  const num = BigInt(m[2].replace(/ /g, '')) * BigInt(m[4]) + BigInt(m[3]);
  return `${m[1] === '-' ? '-' : ''}\\frac{${num}}{${m[4]}}`;
}

/** Bracket depth before each character: ( [ { and \{ open; ) ] } and \} close. */
function depths(s: string): number[] {
  const out = new Array<number>(s.length + 1);
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = d;
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      out[i + 1] = d;
      d += s[i + 1] === '{' ? 1 : -1;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') d++;
    else if (c === ')' || c === ']' || c === '}') d--;
  }
  out[s.length] = d;
  return out;
}

/**
 * Thousands separators. Explicit LaTeX ones (`1{,}000`, `32,\!349`, `1\,000`) go everywhere; a bare
 * comma (`7,425,000`) only outside brackets and braces, so `(1,102)` and `\{12,102\}` keep their
 * elements, and only with no space after the comma (`32, 349` is a list of two numbers).
 */
function stripThousands(s: string): string {
  let out = s
    .replace(/(\d)\{\s*,\s*\}(?=\d{3})/g, '$1')
    .replace(/(\d),\s*\\[!,]\s*(?=\d{3}(?!\d))/g, '$1')
    .replace(/(\d)\\,(?=\d{3}(?!\d))/g, '$1');
  const d = depths(out);
  out = out.replace(/(^|[^\d.,])([1-9]\d{0,2}(?:,\d{3})+)(?=$|[^\d,]|,\s)/g, (m, pre: string, num: string, offset: number) =>
    d[offset + pre.length] === 0 ? pre + num.replace(/,/g, '') : m,
  );
  // "1.234.567" as a whole answer: points between thousands (two or more groups, so never a decimal).
  if (/^-?[1-9]\d{0,2}(?:\.\d{3}){2,}$/.test(out.trim())) out = out.replace(/\./g, '');
  // "1 000 000" as a whole answer: spaces as separators.
  if (/^-?[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?:\.\d+)?$/.test(out.trim())) out = out.replace(/[ \u00a0\u202f]/g, '');
  return out;
}

/**
 * Other ways of writing a list of answers, read as comma lists (the conventions of Math-Verify's
 * test cases from NuminaMath and OpenThoughts): "12 and 13", "(11,7) or (7,11)", `1 \text{ and } 2`
 * (already unwrapped to words here) at the top level; semicolons between answers (`-12;-11;-10`,
 * each group with commas becoming a tuple: `p=5,q=2;p=7,q=2` -> `(p=5,q=2),(p=7,q=2)`); and
 * semicolons between coordinates inside brackets (`(0;-2;6)` -> `(0,-2,6)`).
 */
function listSeparators(input: string): string {
  let s = input;
  if (/\band\b|\bor\b|(?<=[)\]}\d])(?:and|or)(?=[-+([\\{\dA-Za-z])/.test(s)) {
    const d = depths(s);
    // Between inequalities "and"/"or" mean intersection/union (`x < 1 or x > 3`): kept as \land / \lor.
    const ineq = /<|>|\\le\b|\\ge\b/.test(s);
    s = s.replace(/\s+(?:and|or)\s+|(?<=[)\]}\d])(?:and|or)(?=[-+([\\{\dA-Za-z])/g, (m, offset: number) =>
      d[offset] !== 0 ? m : ineq ? (/and/.test(m) ? ' \\land ' : ' \\lor ') : ', ',
    );
  }
  if (!s.includes(';')) return s;
  const d = depths(s);
  let out = '';
  const groups: string[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ';') out += s[i];
    else if (d[i] > 0) out += ',';
    else {
      groups.push(out);
      out = '';
    }
  }
  groups.push(out);
  const parts = groups.map((g) => g.trim()).filter((g) => g !== '');
  if (parts.length < 2) return parts[0] ?? '';
  const topComma = (g: string) => {
    const dg = depths(g);
    return [...g].some((c, i) => c === ',' && dg[i] === 0);
  };
  return parts.map((g) => (topComma(g) ? `(${g})` : g)).join(', ');
}

/** One spelling per relation: \le \ge \ne < > (and \approx kept), so later stages see one form. */
export function canonicalRelations(s: string): string {
  return s
    .replace(/\\(?:leqslant|leq|le)(?![a-zA-Z])|<=|≤|⩽/g, '\\le ')
    .replace(/\\(?:geqslant|geq|ge)(?![a-zA-Z])|>=|≥|⩾/g, '\\ge ')
    .replace(/\\(?:neq|ne)(?![a-zA-Z])|!=|≠|\\not\s*=/g, '\\ne ')
    .replace(/\\lt(?![a-zA-Z])/g, '<')
    .replace(/\\gt(?![a-zA-Z])/g, '>')
    .replace(/\\(?:simeq|thickapprox|sim)(?![a-zA-Z])|≈/g, '\\approx ');
}

export function normalizeAnswer(input: string): string {
  // Full-width forms ("５", "１２．５") as their ASCII letters and digits; the minus sign U+2212 as "-".
  let s = fixDoubleEscapes(input.trim())
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/\u2212/g, '-');
  s = s.replace(/\r?\n/g, ' ');
  // Outer math delimiters (possibly several spans: "$12$ and $13$").
  s = s
    .replace(/^\\\(|\\\)$/g, '')
    .replace(/^\\\[|\\\]$/g, '')
    .trim();
  s = s.replace(/\\(?:left|right|big|Big|bigg|Bigg)(?:[lr])?(?![a-zA-Z])\s*([()[\]|.]|\\[{}|])?/g, (_m, d?: string) =>
    d === '.' ? '' : (d ?? ''),
  );
  s = s.replace(/(?<!\\)(?:\\!|\\,|\\;|\\:|\\quad|\\qquad|~|\\ )/g, (m) => (m === '\\,' || m === '\\!' ? m : ' '));
  s = stripThousands(s);
  s = s.replace(/(?<!\\)(?:\\!|\\,)/g, ' ');
  s = s.replace(/\\displaystyle|\\mathrm\{\s*\}/g, '');
  s = s.replace(/\\[dtc]frac/g, '\\frac');
  // Python-style powers from code-minded models: x**2 -> x^2.
  s = s.replace(/\*\*/g, '^');
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree|\^\s*\{\s*\\text\{\s*o\s*\}\s*\}/g, '');
  s = s.replace(/\\\$|\$|€|£|¥|\\euro|\\pounds|\\textdollar|\bUS\$|\bUSD\b|\bEUR\b/g, ' ');
  s = s.replace(/\\%|%/g, ' ');
  s = s.replace(/\\(?:text|textbf|textit|textnormal|textrm|mathrm|mathbf|mbox|operatorname)\s*\{\s*\}/g, '');
  // Words in a text command after the value are its unit, whatever the unit ("\frac{1}{3} \text{x}",
  // "5 \textbf{meters}", as Math-Verify and lighteval drop them).
  s = s.replace(/([\d}])\s*\\(?:text|textbf|textit|textnormal|textrm|mbox)\s*\{\s*[A-Za-z][A-Za-z\s.]*\}\s*\.?\s*$/, '$1');
  // Text wrappers become spaced words, so "5\text{cm}" reads as "5 cm" for the unit rule.
  s = unwrapCommand(
    s,
    ['text', 'textbf', 'textit', 'textnormal', 'textrm', 'textsf', 'mathrm', 'mathbf', 'mathit', 'mbox', 'boxed', 'fbox', 'emph'],
    true,
  );
  s = canonicalRelations(s);
  s = s.replace(/\s+/g, ' ').trim();
  // Ordinals: "5^{\mathrm{th}}" (lm-evaluation-harness's Minerva normalisation), "5^{th}", "21st".
  s = s.replace(/(\d)\s*(?:\^\s*\{?\s*(?:th|st|nd|rd)\s*\}?|(?:th|st|nd|rd)(?![a-zA-Z]))/g, '$1');
  // A bare approximation or equality sign before the value ("\approx 3.14", "= 5").
  s = s.replace(/^(?:\\approx|=)\s*(?=[-+\d.\\(])/, '');
  // Trailing sentence punctuation (not an ellipsis).
  s = s.replace(/(?<!\.)\s*[.,;:!]\s*$/, '').trim();
  // One value in square brackets ("[90]", "[45 degrees]", Geometry3K's answer format): an interval needs two ends.
  const one = /^\[([^[\],]+)\]$/.exec(s);
  if (one && one[1].trim() !== '') s = one[1].trim();
  // Units after a number ("5 cm", "1,000 dollars", "4 \text{ inches}^2", "28 percent").
  // (Only on short answers: the unit pattern backtracks, and answers with units are short.)
  for (let guard = 0; guard < 3 && s.length <= 200; guard++) {
    const m = UNIT_RE.exec(s);
    if (!m || !/[\d}]\s*$/.test(m[1].trim())) break;
    s = m[1].trim();
  }
  s = stripThousands(s);
  // A number followed by a few plain words ("3 apples", "12 red marbles"): the words name what is counted.
  const counted = /^([-+]?\d+(?:\.\d+)?)\s+[a-z]{2,}(?:\s+[a-z]{2,}){0,2}$/.exec(s);
  if (counted && !/\b(?:and|or|to|times|plus|minus|over)\b/.test(s)) s = counted[1];
  // The real line, and \log without a base as the natural log (sympy's reading, which Math-Verify and
  // Qwen2.5-Math's grader share; compute-engine would read base 10).
  s = s.replace(/\\mathbb\s*\{\s*R\s*\}|ℝ/g, '(-\\infty,\\infty)').replace(/\\log(?![a-zA-Z_])/g, '\\ln');
  // Infinity in words.
  s = s.replace(/(^|[^a-zA-Z\\])(?:infinity|inf)(?![a-zA-Z])/gi, '$1\\infty');
  // "x \in [a, b]" -> the set itself.
  s = s.replace(/^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*\\in(?![a-zA-Z])\s*/, '');
  // "19, 46, and 82": the conjunction in a list.
  s = s.replace(/,\s*(?:and|or)\s+/g, ', ');
  s = listSeparators(s);
  // "\\" is a line break except inside matrices, where it separates rows.
  if (!s.includes('\\begin')) s = s.replace(/\\\\/g, ' ');
  s = fixShorthand(s);
  // Leading decimal point: ".5" -> "0.5", "-.5" -> "-0.5".
  s = s.replace(/(^|[^\d])\.(\d)/g, '$10.$2');
  s = s
    .trim()
    .replace(/(?<!\.)\.\s*$/, '')
    .trim();
  // "5.0", "5.00" -> "5" (exact zeros only).
  s = s.replace(/^(-?\d+)\.0+$/, '$1');
  // The empty set written as empty braces.
  if (/^(?:\\\{\s*\\\}|\{\s*\})$/.test(s)) s = '\\emptyset';
  // A whole answer in LaTeX grouping braces: "{1,3}" is the list 1,3.
  if (/^\{[^{}]*\}$/.test(s)) s = s.slice(1, -1);
  // A whole answer that is one parenthesised relation ("(35 + 70 = 105)"): the parentheses group nothing.
  const rel = /^\(([^(),]*(?:=|\\approx)[^(),]*)\)$/.exec(s.trim());
  if (rel) s = rel[1];

  s = mixedNumber(slashFraction(s.trim()));
  // Spaces go, except one after a command name followed by a letter ("\pi r" must not become "\pir").
  return s
    .split(/(\\[a-zA-Z]+\s+(?=[a-zA-Z]))/)
    .map((piece, i) => (i % 2 === 1 ? `${piece.trimEnd()} ` : piece.replace(/\s+/g, '')))
    .join('');
}

/** Multiple-choice letter in an answer: "C", "(C)", "\text{(C)}", "C)"; null otherwise. */
export function choiceLetter(s: string): string | null {
  const t = unwrapCommand(s.trim(), ['text', 'textbf', 'mathrm', 'textnormal']).trim();
  const m = /^\(?([A-Ea-e])\)?\.?$/.exec(t);
  return m ? m[1].toUpperCase() : null;
}
