/**
 * Normalisation of math answers before comparison, extending the MATH benchmark's `strip_string`
 * (Hendrycks et al. 2021): spacing commands, \left/\right, \dfrac/\tfrac, shorthand fractions and
 * roots, \text{} wrappers, units, degrees, %, $, thousands separators, "x =" prefixes, trailing
 * periods. Every rule only removes decoration; nothing here decides equivalence.
 */

/** Unit words removed when they trail a number ("5 cm", "\text{ dollars}"). Longest first. */
const UNITS = [
  'square centimeters', 'square centimetres', 'square meters', 'square metres', 'square inches', 'square feet', 'square units', 'square miles', 'square yards',
  'cubic centimeters', 'cubic meters', 'cubic inches', 'cubic feet', 'cubic units',
  'sq ft', 'sq units', 'sq in',
  'centimeters', 'centimetres', 'centimeter', 'millimeters', 'millimeter', 'kilometers', 'kilometer', 'kilometres', 'meters', 'metres', 'meter',
  'inches', 'inch', 'feet', 'foot', 'yards', 'yard', 'miles', 'mile', 'mph', 'kmh',
  'units', 'unit', 'degrees', 'degree', 'radians', 'dollars', 'dollar', 'cents', 'cent', 'euros', 'pounds', 'pound',
  'hours', 'hour', 'minutes', 'minute', 'seconds', 'second', 'days', 'day', 'weeks', 'week', 'months', 'month', 'years', 'year',
  'grams', 'gram', 'kilograms', 'kg', 'liters', 'litres', 'liter', 'ml', 'gallons', 'gallon', 'ounces', 'ounce', 'lbs', 'lb',
  'points', 'point', 'people', 'persons', 'students', 'items', 'pieces', 'times', 'ways', 'percent',
  'cm', 'mm', 'km', 'm', 'ft', 'in', 'yd', 'mi', 'hrs', 'hr', 'min', 'sec', 's', 'g', 'l',
];
const UNIT_RE = new RegExp(`^(.*\\d.*?)\\s+(?:${UNITS.map((u) => u.replace(/ /g, '\\s+')).join('|')})(?:\\s*\\^\\s*\\{?[23]\\}?|\\s*²|\\s*³)?\\s*\\.?$`, 'i');

/** Replaces `\cmd{...}` (braces matched) by its content, for each given command. */
export function unwrapCommand(s: string, commands: readonly string[], spaced = false): string {
  let out = s;
  for (const cmd of commands) {
    const needle = `\\${cmd}`;
    for (let guard = 0; guard < 100; guard++) {
      const i = out.indexOf(`${needle}{`);
      if (i < 0) break;
      let depth = 1;
      let j = i + needle.length + 1;
      for (; j < out.length && depth > 0; j++) {
        if (out[j] === '{') depth++;
        else if (out[j] === '}') depth--;
      }
      if (depth !== 0) break;
      const inner = out.slice(i + needle.length + 1, j - 1);
      out = out.slice(0, i) + (spaced ? ` ${inner} ` : inner) + out.slice(j);
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
    .replace(/\\sqrt\s*(\d+|[a-zA-Z])(?![\w{])/g, '\\sqrt{$1}');
}

/** "a/b" with simple integers -> \frac{a}{b} (MATH answers use both). */
function slashFraction(s: string): string {
  const m = /^(-?\d+)\s*\/\s*(\d+)$/.exec(s);
  return m ? `\\frac{${m[1]}}{${m[2]}}` : s;
}

/** Removes thousands separators in numbers written 1,234,567 or 1{,}234 (not in lists like "1,2"). */
function stripThousands(s: string): string {
  let out = s.replace(/(\d)\{,\}(?=\d{3})/g, '$1');
  out = out.replace(/(^|[^\d.,])(\d{1,3}(?:,\d{3})+)(?=$|[^\d,])/g, (_m, pre: string, num: string) => pre + num.replace(/,/g, ''));
  // "1, 234" is a list, not a thousand; leave it.
  return out;
}

export function normalizeAnswer(input: string): string {
  let s = input.trim();
  s = s.replace(/\n/g, ' ');
  // Outer math delimiters.
  s = s.replace(/^\$+|\$+$/g, '').replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '').trim();
  s = s.replace(/\\!|\\,|\\;|\\:|\\quad|\\qquad|~/g, ' ');
  s = s.replace(/\\left\b|\\right\b|\\big\b|\\Big\b|\\bigl|\\bigr/g, '');
  s = s.replace(/\\displaystyle/g, '');
  s = s.replace(/\\[dt]frac/g, '\\frac');
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree/g, '');
  s = s.replace(/\\\$|\$/g, '');
  s = s.replace(/\\%|%/g, '');
  s = s.replace(/\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{\s*\}/g, '');
  // Text wrappers become spaced words, so "5\text{cm}" reads as "5 cm" for the unit rule.
  s = unwrapCommand(s, ['text', 'textbf', 'textit', 'mathrm', 'mathbf', 'mbox', 'boxed'], true);
  s = s.replace(/\s+/g, ' ').trim();
  // Units after a number ("5 cm", "1,000 dollars", "4 \text{ inches}^2").
  // (Only on short answers: the unit pattern backtracks, and answers with units are short.)
  for (let guard = 0; guard < 3 && s.length <= 200; guard++) {
    const m = UNIT_RE.exec(s);
    if (!m) break;
    s = m[1].trim();
  }
  s = stripThousands(s);
  // "x = 5", "k=3", but not "x=1, y=2" style systems or equations with expressions on the left.
  const eq = /^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(.+)$/.exec(s);
  if (eq && !eq[1].includes('=')) s = eq[1];
  // "\\" is a line break except inside matrices, where it separates rows.
  if (!s.includes('\\begin')) s = s.replace(/\\\\/g, ' ');
  s = fixShorthand(s);
  // Leading decimal point: ".5" -> "0.5", "-.5" -> "-0.5".
  s = s.replace(/(^|[^\d])\.(\d)/g, '$10.$2');
  s = s.trim().replace(/[.\s]+$/, '');
  // "5.0", "5.00" -> "5" (exact zeros only).
  s = s.replace(/^(-?\d+)\.0+$/, '$1');
  s = slashFraction(s);
  return s.replace(/\s+/g, '');
}

/** Multiple-choice letter in an answer: "C", "(C)", "\text{(C)}", "C)"; null otherwise. */
export function choiceLetter(s: string): string | null {
  const t = unwrapCommand(s.trim(), ['text', 'textbf', 'mathrm']).trim();
  const m = /^\(?([A-Ea-e])\)?\.?$/.exec(t);
  return m ? m[1].toUpperCase() : null;
}
