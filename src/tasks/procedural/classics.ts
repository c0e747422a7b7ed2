/**
 * reasoning-gym classics with exact verifiers and step-by-step solver traces:
 * - `word-sorting`: sort made-up words alphabetically; the trace inserts one word at a time.
 * - `letter-counting`: count a letter in a list of words; the trace counts word by word with a
 *   running total.
 * - `arithmetic-chain` (basic_arithmetic): an expression of + − × with precedence; the trace does
 *   one operation per step (× first, then left to right) and rewrites the rest.
 * - `mini-sudoku`: 4×4 sudoku with a unique solution; the trace fills a cell with a single
 *   candidate per step; any valid completion that keeps the givens is correct.
 * Words are built from syllables (no word list to ship).
 */
import type { Rng } from '../../core/rng.js';
import type { CheckResult, Level, ProceduralSpec } from './make.js';

const CONS = 'bdfgklmnprstvz';
const VOW = 'aeiou';
function word(rng: Rng, syllables: number): string {
  let w = '';
  for (let i = 0; i < syllables; i++) w += CONS[rng.int(0, CONS.length - 1)] + VOW[rng.int(0, VOW.length - 1)];
  return w;
}

const listOf = (s: string) =>
  s
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);

// ---------------------------------------------------------------- word sorting

export interface WordsData {
  words: string[];
}
const SORT_SIZE: Record<Level, number> = { easy: 3, medium: 5, hard: 8 };
const sorted = (ws: readonly string[]) => [...ws].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export const wordSortingSpec: ProceduralSpec<WordsData> = {
  name: 'word-sorting',
  description: 'sort words alphabetically (reasoning-gym word_sorting)',
  ruleCheck: true,
  generate(rng, level) {
    const n = SORT_SIZE[level];
    const words = new Set<string>();
    // Hard puzzles share first letters, so comparing needs more than the first character.
    const prefix = level === 'hard' ? word(rng, 1) : '';
    while (words.size < n) words.add((level === 'hard' && rng.bool() ? prefix : '') + word(rng, rng.int(1, 2)));
    return { words: rng.shuffle([...words]) };
  },
  key: (d) => d.words.join(' '),
  question: (d) => `Sort these words in ascending alphabetical order: ${d.words.join(', ')}.`,
  plain: (d) => d.words.join(' '),
  answerFormat: 'the sorted words separated by commas',
  answer: (d) => sorted(d.words).join(', '),
  check(d, answer): CheckResult {
    const got = listOf(answer);
    if (got.length === 0 || got.some((w) => !/^[a-z]+$/.test(w)))
      return { parsed: false, correct: false, reason: 'expected words separated by commas' };
    const want = sorted(d.words);
    return got.join(' ') === want.join(' ')
      ? { parsed: true, correct: true, reason: 'sorted' }
      : { parsed: true, correct: false, reason: `expected ${want.join(', ')}` };
  },
  trace: (d) => d.words.slice(1, -1).map((_, i) => sorted(d.words.slice(0, i + 2)).join(' ')),
};

// ---------------------------------------------------------------- letter counting

export interface CountData {
  words: string[];
  letter: string;
}
const COUNT_SIZE: Record<Level, number> = { easy: 3, medium: 6, hard: 10 };
const countIn = (w: string, l: string) => [...w].filter((c) => c === l).length;

export const letterCountingSpec: ProceduralSpec<CountData> = {
  name: 'letter-counting',
  description: 'count how often a letter occurs in a list of words (reasoning-gym letter_counting)',
  ruleCheck: true,
  generate(rng, level) {
    const words = Array.from({ length: COUNT_SIZE[level] }, () => word(rng, rng.int(1, 3)));
    const letters = [...new Set(words.join(''))];
    return { words, letter: rng.pick(letters) };
  },
  key: (d) => `${d.words.join(' ')}/${d.letter}`,
  question: (d) => `How many times does the letter "${d.letter}" appear in: ${d.words.join(' ')}?`,
  plain: (d) => `${d.letter}:${d.words.join(' ')}`,
  answerFormat: 'a whole number',
  answer: (d) => String(d.words.reduce((a, w) => a + countIn(w, d.letter), 0)),
  check(d, answer): CheckResult {
    const m = /^-?\d+$/.exec(answer.trim());
    if (!m) return { parsed: false, correct: false, reason: 'expected a whole number' };
    const want = d.words.reduce((a, w) => a + countIn(w, d.letter), 0);
    return Number(m[0]) === want
      ? { parsed: true, correct: true, reason: 'exact count' }
      : { parsed: true, correct: false, reason: `expected ${want}` };
  },
  trace(d) {
    let total = 0;
    return d.words.map((w) => {
      total += countIn(w, d.letter);
      return `${w} ${countIn(w, d.letter)} (${total})`;
    });
  },
};

// ---------------------------------------------------------------- arithmetic chains

export interface ChainData {
  nums: number[];
  ops: Array<'+' | '-' | '*'>;
}
const CHAIN_SIZE: Record<Level, { terms: number; max: number }> = {
  easy: { terms: 3, max: 20 },
  medium: { terms: 5, max: 50 },
  hard: { terms: 7, max: 99 },
};
const exprOf = (nums: readonly number[], ops: readonly string[]) =>
  nums.map((n, i) => (i === 0 ? String(n) : `${ops[i - 1]}${n}`)).join('');

/** One step at a time: the leftmost * first, then the leftmost + or -. Returns the rewrites. */
function chainSteps(nums0: readonly number[], ops0: readonly string[]): { steps: string[]; value: number } {
  const nums = [...nums0];
  const ops = [...ops0];
  const steps: string[] = [];
  while (ops.length) {
    let i = ops.indexOf('*');
    if (i < 0) i = 0;
    const [a, b] = [nums[i], nums[i + 1]];
    const r = ops[i] === '*' ? a * b : ops[i] === '+' ? a + b : a - b;
    nums.splice(i, 2, r);
    const op = ops.splice(i, 1)[0];
    steps.push(`${a}${op}${b}=${r}: ${exprOf(nums, ops)}`);
  }
  return { steps, value: nums[0] };
}

export const arithmeticChainSpec: ProceduralSpec<ChainData> = {
  name: 'arithmetic-chain',
  description: 'evaluate + − × expressions with precedence, one operation per step (reasoning-gym basic_arithmetic)',
  ruleCheck: true,
  generate(rng, level) {
    const { terms, max } = CHAIN_SIZE[level];
    return {
      nums: Array.from({ length: terms }, () => rng.int(1, max)),
      ops: Array.from({ length: terms - 1 }, () => rng.pick(['+', '-', '*'] as const)),
    };
  },
  key: (d) => exprOf(d.nums, d.ops),
  question: (d) =>
    `Calculate ${exprOf(d.nums, d.ops)
      .replace(/([+\-*])/g, ' $1 ')
      .replace(/\*/g, '×')}.`,
  plain: (d) => exprOf(d.nums, d.ops),
  answerFormat: 'an integer',
  answer: (d) => String(chainSteps(d.nums, d.ops).value),
  check(d, answer): CheckResult {
    const m = /^-?\d+$/.exec(answer.trim().replace(/,/g, ''));
    if (!m) return { parsed: false, correct: false, reason: 'expected an integer' };
    const want = chainSteps(d.nums, d.ops).value;
    return Number(m[0]) === want
      ? { parsed: true, correct: true, reason: 'exact' }
      : { parsed: true, correct: false, reason: `expected ${want}` };
  },
  trace: (d) => chainSteps(d.nums, d.ops).steps.slice(0, -1),
};

// ---------------------------------------------------------------- mini sudoku (4x4)

export interface SudokuData {
  /** 16 cells row by row, 0 = empty. */
  givens: number[];
  solution: number[];
}
const BLANKS: Record<Level, number> = { easy: 5, medium: 8, hard: 10 };
const box = (i: number) => Math.floor(Math.floor(i / 4) / 2) * 2 + Math.floor((i % 4) / 2);
const peers = (i: number) =>
  Array.from({ length: 16 }, (_, j) => j).filter(
    (j) => j !== i && (Math.floor(j / 4) === Math.floor(i / 4) || j % 4 === i % 4 || box(j) === box(i)),
  );
const candidates = (g: readonly number[], i: number) => [1, 2, 3, 4].filter((v) => peers(i).every((j) => g[j] !== v));
const gridText = (g: readonly number[]) => [0, 4, 8, 12].map((r) => g.slice(r, r + 4).join('')).join('/');

function countSudoku(g: number[], limit = 2): number {
  const i = g.indexOf(0);
  if (i < 0) return 1;
  let n = 0;
  for (const v of candidates(g, i)) {
    g[i] = v;
    n += countSudoku(g, limit - n);
    g[i] = 0;
    if (n >= limit) break;
  }
  return n;
}

/** Fills single-candidate cells one at a time (the trace); falls back to the solution's value. */
function sudokuSteps(d: SudokuData): string[] {
  const g = [...d.givens];
  const steps: string[] = [];
  while (g.includes(0)) {
    let i = g.findIndex((v, j) => v === 0 && candidates(g, j).length === 1);
    if (i < 0) i = g.indexOf(0);
    g[i] = d.solution[i];
    steps.push(`r${Math.floor(i / 4) + 1}c${(i % 4) + 1}=${g[i]}`);
  }
  return steps;
}

export const miniSudokuSpec: ProceduralSpec<SudokuData> = {
  name: 'mini-sudoku',
  description: '4×4 sudoku with a unique solution (reasoning-gym mini_sudoku); any valid completion is accepted',
  ruleCheck: true,
  generate(rng, level) {
    // A valid grid from a base pattern: permute digits, rows within bands, columns within stacks, bands and stacks.
    const base = [1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 1];
    const digits = rng.shuffle([1, 2, 3, 4]);
    const bandOrder = rng.shuffle([0, 1]);
    const stackOrder = rng.shuffle([0, 1]);
    const rows = bandOrder.flatMap((b) => rng.shuffle([0, 1]).map((r) => b * 2 + r));
    const cols = stackOrder.flatMap((s) => rng.shuffle([0, 1]).map((c) => s * 2 + c));
    const solution = Array.from({ length: 16 }, (_, i) => digits[base[rows[Math.floor(i / 4)] * 4 + cols[i % 4]] - 1]);
    const givens = [...solution];
    for (const i of rng.shuffle(Array.from({ length: 16 }, (_, j) => j)).slice(0, BLANKS[level])) givens[i] = 0;
    return countSudoku([...givens]) === 1 ? { givens, solution } : null;
  },
  key: (d) => d.givens.join(''),
  question: (d) => `Solve this 4×4 sudoku (0 = empty; every row, column and 2×2 box holds 1-4 once): ${gridText(d.givens)}.`,
  plain: (d) => gridText(d.givens),
  answerFormat: 'the full grid as four rows of digits separated by /, e.g. 1234/3412/2143/4321',
  answer: (d) => gridText(d.solution),
  check(d, answer): CheckResult {
    const digits = answer.replace(/[^0-9]/g, '');
    if (!/^[1-4]{16}$/.test(digits)) return { parsed: false, correct: false, reason: 'expected 16 digits 1-4 (four rows)' };
    const g = [...digits].map(Number);
    const changed = d.givens.findIndex((v, i) => v !== 0 && g[i] !== v);
    if (changed >= 0)
      return {
        parsed: true,
        correct: false,
        reason: `cell r${Math.floor(changed / 4) + 1}c${(changed % 4) + 1} must stay ${d.givens[changed]}`,
      };
    const clash = g.findIndex((v, i) => peers(i).some((j) => g[j] === v));
    return clash < 0
      ? { parsed: true, correct: true, reason: 'valid grid' }
      : { parsed: true, correct: false, reason: `r${Math.floor(clash / 4) + 1}c${(clash % 4) + 1} repeats ${g[clash]}` };
  },
  trace: (d) => sudokuSteps(d),
  stepsValid(d, steps) {
    const g = [...d.givens];
    for (let s = 0; s < steps.length; s++) {
      const m = /^r([1-4])c([1-4])=([1-4])$/.exec(steps[s].trim());
      if (!m) return { valid: false, reason: `step ${s + 1}: expected "r<row>c<col>=<digit>"` };
      const i = (Number(m[1]) - 1) * 4 + Number(m[2]) - 1;
      if (g[i] !== 0) return { valid: false, reason: `step ${s + 1}: r${m[1]}c${m[2]} is already filled` };
      if (!candidates(g, i).includes(Number(m[3])))
        return { valid: false, reason: `step ${s + 1}: ${m[3]} is already in that row, column or box` };
      g[i] = Number(m[3]);
    }
    return { valid: true };
  },
};
