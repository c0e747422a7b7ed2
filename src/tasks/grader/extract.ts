/**
 * Final-answer extraction from a model's solution text, in tiers (the conventions of the MATH and
 * GSM8K harnesses, Hendrycks et al. 2021 and Cobbe et al. 2021, Qwen2.5-Math's evaluator and
 * Math-Verify's documentation):
 *   0. the last `<answer>...</answer>` (reasoning-gym, Open-R1), read by the tiers below;
 *   1. markers: the last group of `\boxed{}`/`\fbox{}` (adjacent boxes joined: `\boxed{1}, \boxed{2}`
 *      is the list 1, 2), "final answer is ..." / "Final Answer: ...", GSM8K's `#### n`; whichever
 *      comes last in the text wins;
 *   2. "the answer is ...", "Answer: ...";
 *   3. multiple-choice letters (when the caller says so, or the reference is a letter);
 *   4. a short prediction that is itself an answer (no prose) is taken whole;
 *   5. the last LaTeX span (`$..$`, `$$..$$`, `\(..\)`, `\[..\]`) or the last number outside any
 *      span, whichever comes last; a number glued to a word (`AZYUK2A`) is not a number.
 * Texts escaped twice (`\\frac`, from JSON) are read once-escaped first.
 */
import { UNIT_WORDS, fixDoubleEscapes } from './normalize.js';
import { latexSpans, lastNumber } from './spans.js';

export { latexSpans, lastNumber, type Span } from './spans.js';

export type ExtractionMethod =
  'answer-tag' | 'boxed' | 'final-answer' | 'hash' | 'answer-is' | 'answer-colon' | 'choice' | 'whole' | 'latex' | 'last-number';

export interface Extraction {
  answer: string | null;
  method: ExtractionMethod | null;
  /** Adjacent boxes joined into `answer` ("\\boxed{1} and \\boxed{2}"), one entry per box. */
  parts?: string[];
  /** For a marked answer (box, "final answer", "the answer is"): the text after it, where a
   * readable answer may follow an unreadable one (Math-Verify's fallback). */
  rest?: string;
}

interface Found {
  answer: string;
  method: ExtractionMethod;
  parts?: string[];
  /** Where the marker ends in the text (later wins within a tier). */
  at: number;
  /** Where the answer itself ends (the text after it is `rest`); `at` when not known. */
  restAt?: number;
}

interface Box {
  content: string;
  start: number;
  end: number;
}

/** Every `\boxed{...}` / `\fbox{...}` (also `\boxed 5`), braces matched, in text order. */
export function allBoxes(text: string): Box[] {
  const re = /\\(?:boxed|fbox)\s*(\{|\s+)/g;
  const out: Box[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index + m[0].length;
    if (m[1] !== '{') {
      const rest = /^[^\s$]+/.exec(text.slice(start));
      if (rest) out.push({ content: rest[0], start: m.index, end: start + rest[0].length });
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
    if (depth === 0) out.push({ content: text.slice(start, i - 1), start: m.index, end: i });
    // A box left open at the end of the text holds the rest of it (a truncated answer, as
    // Math-Verify reads it); an open box followed by more boxes is not an answer.
    else if (!/\\(?:boxed|fbox)\s*\{/.test(text.slice(start))) {
      out.push({ content: text.slice(start).trim(), start: m.index, end: text.length });
      break;
    }
  }
  return out;
}

/** Content of the last `\boxed{...}` or `\fbox{...}`; null if none. */
export function lastBoxed(text: string): string | null {
  const boxes = allBoxes(text);
  return boxes.length ? boxes[boxes.length - 1].content : null;
}

/** What may stand between boxes of one answer: spaces, punctuation, math delimiters, "and"/"or". */
const CONNECTOR =
  /^(?:\s|[,;.:&]|\$|\b[a-zA-Z](?:_\w)?\s*=|\\[[\]()]|\\quad|\\qquad|\\,|\\text\{\s*(?:and|or|,)?\s*\}|\band\b|\bor\b|\\(?:text|mathrm)\{\s*\}|\\\\)*$/i;

/** Words that take back an earlier box ("\boxed{5} is wrong, so \boxed{3}"): then only the later one counts. */
const RETRACTION =
  /\b(?:not|wrong|incorrect|mistake|error|wait|but|however|instead|actually|rather|recheck|redo|check|correct(?:ion|ed)?)\b/i;

/**
 * Whether the text between two boxes joins them into one answer: connectors only (spaces,
 * punctuation, "and"/"or", `x =`), or a short phrase within one sentence that takes nothing back
 * ("\boxed{1} papers and \boxed{2} bins", "\boxed{(3,3)} \text{ for part (a) and } \boxed{(1,1)}"),
 * as Math-Verify joins the boxes of one answer into a set. A sentence end or a retraction separates.
 */
function joinsBoxes(between: string): boolean {
  if (CONNECTOR.test(between)) return true;
  if (between.length > 48 || /\n|[.!?](?:\s|$)/.test(between) || RETRACTION.test(between)) return false;
  return (between.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !/^(?:text|and|or|for|part|quad|qquad)$/i.test(w)).length <= 2;
}

/** The last group of adjacent boxes, joined as a list. */
function lastBoxGroup(text: string): Found | null {
  const boxes = allBoxes(text);
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  while (first > 0 && joinsBoxes(text.slice(boxes[first - 1].end, boxes[first].start))) first--;
  const group = boxes.slice(first).map((b) => cleanBoxContent(b.content.trim()));
  return { answer: group.join(', '), method: 'boxed', at: boxes[boxes.length - 1].end, ...(group.length > 1 ? { parts: group } : {}) };
}

/** Words of prose outside math spans and commands (unit words and "and"/"or" do not count). */
function proseWords(s: string): string[] {
  const bare = s
    .replace(/\$[^$]*\$|\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\]/g, ' ')
    .replace(/\\(?:begin|end)\{[^{}]*\}(?:\{[^{}]*\})?/g, ' ')
    .replace(/\\[a-zA-Z]+/g, ' ')
    .replace(/_\{[^}]*\}|\^\{[^}]*\}/g, ' ');
  return (bare.match(PROSE_WORD) ?? []).filter((w) => !UNIT_WORDS.has(w.toLowerCase()) && !/^(?:and|or|pi|infty|sqrt|frac)$/i.test(w));
}

/**
 * A word of prose in any script: two or more letters (Latin with accents, Cyrillic, Greek, Arabic,
 * Devanagari, ...), or one ideograph or kana (Chinese and Japanese write no spaces, so each counts).
 */
const PROSE_WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{M}]{2,}/gu;

/** Box content with prose around the answer ("\boxed{The answer is 5}") is read again. */
function cleanBoxContent(content: string): string {
  const plain = content.replace(/\\(?:text|textnormal|mbox|textrm)\{([^{}]*)\}/g, ' $1 ');
  if (proseWords(plain).length < 2) return content;
  return answerFromSentence(plain) ?? content;
}

/** Cuts a captured answer at the end of its sentence: a period before a space/end, or a newline. */
function sentence(s: string): string {
  let t = s.replace(/^[\s:*]+/, '');
  // Keep whole math spans: skip over $..$ and \(..\) while looking for the sentence end.
  let end = t.length;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '$') {
      const j = t.indexOf('$', i + 1 + (t[i + 1] === '$' ? 1 : 0));
      if (j > i) {
        i = j + (t[j + 1] === '$' ? 1 : 0);
        continue;
      }
    }
    if (t.startsWith('\\(', i) || t.startsWith('\\[', i)) {
      const j = t.indexOf(t[i + 1] === '(' ? '\\)' : '\\]', i + 2);
      if (j > i) {
        i = j + 1;
        continue;
      }
    }
    // A full stop in CJK or Devanagari ("。", "।") ends a sentence with no space after it.
    if (t[i] === '\n' || /[。！？।]/.test(t[i]) || (t[i] === '.' && (i + 1 >= t.length || /\s/.test(t[i + 1])))) {
      end = i;
      break;
    }
  }
  t = t.slice(0, end);
  return t
    .replace(/[*"'\s]+$/, '')
    .replace(/^[*"'\s]+/, '')
    .trim();
}

/**
 * The answer inside a sentence that follows a marker: "$x = 5$" -> "x = 5", "The largest $n$ is
 * 34" -> "34", "Jane started 3 hours ago" -> "3", "12,000,023" -> itself.
 */
export function answerFromSentence(raw: string, first = false): string | null {
  const t = sentence(raw);
  if (!t) return null;
  const spans = latexSpans(t);
  // The sentence opens with math ("$-3$ because ..."): that is the answer.
  if (spans.length >= 1 && spans[0].start === 0 && spans[0].content.trim() !== '') return spans[0].content.trim();
  if (proseWords(t).length >= 1) {
    // "... is X": the part after the last " is " outside math.
    const masked = t.replace(/\$[^$]*\$|\\\([\s\S]*?\\\)/g, (m) => '#'.repeat(m.length));
    const isAt = masked.search(/\bis\b(?![\s\S]*\bis\b)/);
    if (isAt >= 0) {
      const rest = t.slice(isAt + 2).trim();
      if (rest && proseWords(rest).length === 0) return stripSpan(rest);
      const inner = answerFromSentence(rest, first);
      if (inner) return inner;
    }
    if (proseWords(t).length >= 2 || spans.length > 0) {
      // After an answer marker the answer comes first ("Réponse: 220 $ à payer d'ici 12 mois" -> 220);
      // elsewhere the last number or math span wins.
      const span = first ? spans[0] : spans[spans.length - 1];
      const num = lastNumber(t, spans, first);
      if (span && (!num || (first ? span.start <= num.at : span.end >= num.at))) return span.content.trim();
      if (num) return num.value;
      return null;
    }
  }
  return stripSpan(t);
}

function stripSpan(raw: string): string {
  const t = raw.replace(/^(?:\\?["'\s])+|(?:\\?["'\s])+$/g, '');
  const spans = latexSpans(t);
  if (spans.length === 1 && spans[0].start === 0 && t.slice(spans[0].end).trim() === '') return spans[0].content.trim();
  return t.trim();
}

function lastMatch(text: string, re: RegExp, method: ExtractionMethod): Found | null {
  let best: Found | null = null;
  for (const m of text.matchAll(re)) {
    const a = answerFromSentence(m[1], true);
    const i = a ? text.indexOf(a, m.index!) : -1;
    if (a) best = { answer: a, method, at: m.index! + m[0].length, restAt: i >= 0 ? i + a.length : m.index! + m[0].length };
  }
  return best;
}

// Lazy up to the next "final answer", so two on one line are two matches (the later one wins).
const FINAL = /final\s+answer\s*(?:is|:|=)\s*(?:\*\*)?\s*([^\n]*?)(?=final\s+answer|\n|$)/gi;
const HASH = /####\s*([^\n]+)/g;
// Answer markers in the languages of multilingual benchmarks (lighteval's MGSM-style suites):
// French, Spanish, Portuguese, Italian, German, Russian, Chinese, Japanese, Arabic, Hindi.
const ANSWER_WORD = '(?:answer|r[ée]ponse|respuesta|resposta|risposta|antwort|ответ|答案|答え|解答|الإجابة|الجواب|उत्तर)';
const ANSWER_IS = new RegExp(
  `(?:answer\\s+(?:is|should\\s+be|would\\s+be)|r[ée]ponse\\s+(?:est|finale\\s+est)|respuesta\\s+es|resposta\\s+[ée]|risposta\\s+[èe]|antwort\\s+(?:ist|lautet)|(?:最终)?答案(?:是|为|為))\\s*[:：]?\\s*([^\\n]+)`,
  'gi',
);
// At the start of a line, or right after a full stop in scripts that put no space there ("吨。答案：...").
const ANSWER_COLON = new RegExp(
  `(?:^|\\n|(?<=[。！？]))\\s*(?:\\*\\*)?\\s*(?:final\\s+|最终)?${ANSWER_WORD}\\s*(?:\\*\\*)?\\s*[:：]\\s*(?:\\*\\*)?([^\\n]+)`,
  'gi',
);
const CHOICE_LEAD = /^\s*(?:\*\*|\\text\{|\\textbf\{)*\(?([A-Ea-e])\)?(?:\}|\*\*)*(?=$|[\s.:,;)]+(?:$|[^A-Za-z]|[a-z]{2,}|[A-Z][a-z]))/;
// "answer is C", "the answer is for sure D", "réponse est C", "答案是B": the first option letter after
// the marker, at most three lower-case words later (not after "not"); a lower-case letter only in
// parentheses ("(b)"), so "the answer is a car" names no option.
const CHOICE_PHRASE = new RegExp(
  `(?:[Aa]nswer|ANSWER|[Oo]ption|[Cc]hoice|[Rr][ée]ponse|[Rr]espuesta|[Aa]ntwort|答案|选项|選項)\\s*(?:is|est|es|ist|:|：|是|为|為)?\\s*((?:(?!not\\b)[a-z]+,?\\s+){0,3}?)(?:\\*\\*|\\$|\\\\(?:text|textbf|mathbf|boxed)\\{)*\\s*(?:\\(([A-Ea-e])\\)|\\(?([A-E])\\)?|([a-e])(?=[.)]?\\s*$))(?![A-Za-z])`,
  'g',
);
/** A reply that opens with the option: "(B) 12 apples", "A. Because ...", "D. it can't be A", "B。不是 A", "B不是 A". */
const CHOICE_OPENING = /^\s*(?:\*\*)?(?:\(([A-E])\)|([A-E])[.:)。，：]|([A-E])(?=[\u3040-\u30ff\u3400-\u9fff]))(?=\s|\*|$|[^\p{ASCII}])/u;

function latest(...xs: Array<Found | null>): Found | null {
  let best: Found | null = null;
  for (const x of xs) if (x && (!best || x.at > best.at)) best = x;
  return best;
}

/** Whether a short text is itself an answer: math, numbers and units, no prose. */
function isBareAnswer(t: string): boolean {
  const s = t.trim();
  if (s.length === 0 || s.length > 200 || s.includes('\n')) return false;
  // Several bare numbers side by side ("4 4/9 2") are text, not one answer; "1 000" and "4 4/9" are one.
  if (
    /\d\s+[-+]?\d/.test(s.replace(/[_^]\{[^{}]*\}|[_^]\d/g, 'x')) &&
    !/^[-+]?\d{1,3}(?:\s\d{3})+(?:[.,]\d+)?$/.test(s) &&
    !/^[-+]?\d+\s+\d+\s*\/\s*\d+$/.test(s)
  )
    return false;
  const words = s
    .replace(/\\(?:text|mbox|textnormal|textbf|textit|mathrm|mathbf)\{[^{}]*\}/g, ' ')
    .replace(/(?<=[)\]}\d])(?:and|or)(?=[-+([\\{\dA-Za-z])/g, ' ');
  return proseWords(words).length === 0;
}

/** Extracts the final answer; `method` says which rule found it. */
export function extractAnswer(input: string, options: { choices?: boolean } = {}): Extraction {
  // GLM-style box tokens (`<|begin_of_box|>42<|end_of_box|>`) mark the answer as \boxed{} does.
  const text = fixDoubleEscapes(input).replace(/<\|begin_of_box\|>([\s\S]*?)<\|end_of_box\|>/g, (_m, x: string) => `\\boxed{${x}}`);
  // `<answer>...</answer>` (reasoning-gym, Open-R1 and TinyZero's format) is the answer's own channel:
  // the last one wins (one left open at the end holds the rest), read with the same rules inside.
  const tags = [...text.matchAll(/<answer>([\s\S]*?)(?:<\/answer>|$)/gi)];
  const tagged = tags.length ? tags[tags.length - 1][1].trim() : '';
  if (tagged !== '') {
    const inner = extractAnswer(tagged, options);
    if (inner.answer !== null) return { ...inner, method: inner.method === 'whole' ? 'answer-tag' : inner.method };
  }
  // With choices, an answer that opens with a letter ("B because ...", "C) 12") is that letter.
  // "A car ..." and "a car ..." open with the article, and a bare lower-case letter before a word is no option.
  const leading = (a: string) =>
    options.choices && !/^\s*(?:A\s+[a-z]|[a-e]\s+\S)/.test(a) ? (CHOICE_LEAD.exec(a)?.[1]?.toUpperCase() ?? null) : null;
  const tier1 = latest(lastBoxGroup(text), lastMatch(text, FINAL, 'final-answer'), lastMatch(text, HASH, 'hash'));
  // The text after the answer, without the delimiter that closed it.
  const rest = (f: Found) => {
    const r = text.slice(f.restAt ?? f.at).replace(/^(?:\$\$?|\\\)|\\\]|\})/, '');
    return r.trim() === '' ? {} : { rest: r };
  };
  if (tier1)
    return {
      answer: leading(tier1.answer) ?? tier1.answer.trim(),
      method: tier1.method,
      ...rest(tier1),
      ...(tier1.parts ? { parts: tier1.parts } : {}),
    };
  const tier2 = latest(lastMatch(text, ANSWER_IS, 'answer-is'), lastMatch(text, ANSWER_COLON, 'answer-colon'));
  if (tier2) return { answer: leading(tier2.answer) ?? tier2.answer.trim(), method: tier2.method, ...rest(tier2) };

  if (options.choices) {
    let letter: string | null = null;
    // A letter right after the marker ("The answer: D, ... answer to be A or B") beats one a few words later.
    let loose: string | null = null;
    for (const m of text.matchAll(CHOICE_PHRASE)) {
      const l = (m[2] ?? m[3] ?? m[4]).toUpperCase();
      if (m[1] === '') letter = l;
      else loose = l;
    }
    letter ??= loose;
    letter ??= CHOICE_OPENING.exec(text)?.slice(1).find(Boolean) ?? null;
    letter ??= /(?:^|[\s(*])\(?([A-E])\)?[.)*]?\s*$/.exec(text.trim())?.[1] ?? null;
    // Else the last option letter standing alone ("Because B is valid"); "A" before a lower-case word is the article.
    if (letter === null)
      for (const m of text.matchAll(/(?<![A-Za-z0-9\\_^])\(?([A-E])\)?(?![A-Za-z0-9_'(])/g))
        if (!(m[1] === 'A' && /^\s+[a-z]/.test(text.slice(m.index! + m[0].length)))) letter = m[1];
    if (letter) return { answer: letter, method: 'choice' };
  }

  if (isBareAnswer(text)) return { answer: text.trim(), method: 'whole' };
  // One word on its own is a text answer ("Tuesday", "Yes", "infinity").
  const word = /^\s*(?:\*\*)?([A-Za-z][A-Za-z'-]*)(?:\*\*)?\.?\s*$/.exec(text);
  if (word) return { answer: word[1], method: 'whole' };

  const spans = latexSpans(text);
  const lastSpan = [...spans].reverse().find((s) => s.content.trim() !== '') ?? null;
  const num = lastNumber(text, spans);
  if (lastSpan && (!num || lastSpan.end >= num.at)) {
    // A span that holds prose ("how many $? just about 1$", a dollar sign read as a delimiter): its last number.
    const inner = lastSpan.content.trim();
    const n = proseWords(inner).length > 1 ? lastNumber(inner) : null;
    return { answer: n ? n.value : inner, method: 'latex' };
  }
  if (num) return { answer: num.value, method: 'last-number' };
  return { answer: null, method: null };
}

/**
 * For a reference answer: when it carries a marker (boxed, final answer, ####, "the answer is")
 * take that, otherwise the whole string is the answer.
 */
export function extractReference(input: string): Extraction {
  const text = fixDoubleEscapes(input);
  const e = extractAnswer(text);
  if (e.method === 'boxed' || e.method === 'hash' || e.method === 'answer-is' || e.method === 'final-answer') {
    const marked = e.method !== 'boxed' && e.answer !== null ? optionLine(e.answer) : null;
    return marked ? { answer: marked, method: 'choice' } : e;
  }
  const option = optionLine(text);
  if (option) return { answer: option, method: 'choice' };
  return { answer: text.trim(), method: 'whole' };
}

/**
 * A reference written as an option line names its letter: "(D) Alina", "C Cecile", "... the
 * answer is\n(C) Cecile" (the last line that opens with a letter and goes on in words), as
 * multiple-choice harnesses store golds. Math references are never read this way.
 */
function optionLine(text: string): string | null {
  if (proseWords(text).length === 0) return null;
  let letter: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(?:\(([A-E])\)|([A-E])[.):]?)\s+(\S.*)$/.exec(line);
    if (m && proseWords(m[3]).length > 0 && !/[=\\^_$]/.test(m[3])) letter = m[1] ?? m[2];
  }
  return letter;
}
