/**
 * Sorting, the task of Graph of Thoughts (Besta et al. 2024): sort a list of digits 0-9 (32, 64 or
 * 128 of them). Scoring follows GoT: errors = adjacent pairs out of order + for each digit the
 * difference between how often it appears in the output and in the input; correct when 0 errors;
 * score = max(0, 1 - errors / n).
 *
 * Steps follow GoT's split/sort/merge decomposition: a step `8-16:01135789` claims the sorted
 * contents of input[8:16]. It is valid when it equals exactly that; the step covering the whole
 * list (`0-32:...`) is final. Plain prompts write the digits without separators; chat prompts use
 * GoT's list format `[0, 1, ...]`.
 */
import { Rng } from '../../core/rng.js';
import { checkSplit } from '../splits.js';
import type { LoadOptions, Problem, StepCheck, Task, VerifyResult } from '../types.js';

export interface SortingData {
  digits: number[];
}
export type SortingProblem = Problem & { data: SortingData };

const sortedDigits = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/** GoT's error count for an output list against the input list. */
export function sortingErrors(output: readonly number[], input: readonly number[]): number {
  let errors = 0;
  for (let i = 0; i + 1 < output.length; i++) if (output[i] > output[i + 1]) errors++;
  for (let d = 0; d <= 9; d++) {
    const a = output.filter((x) => x === d).length;
    const b = input.filter((x) => x === d).length;
    errors += Math.abs(a - b);
  }
  // Anything that is not a digit 0-9 is an error per item.
  errors += output.filter((x) => !(Number.isInteger(x) && x >= 0 && x <= 9)).length;
  return errors;
}

const STEP = /^\s*(\d+)-(\d+):([0-9]*)\s*$/;

/** Reads a list answer: "[0, 1, 1]" or "011". */
export function parseDigitList(text: string): number[] | null {
  const t = text.trim();
  if (/^\[[\s\d,]*\]$/.test(t))
    return t
      .slice(1, -1)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
  if (/^\d+$/.test(t)) return [...t].map(Number);
  return null;
}

export function makeSortingTask(name: string, length: number): Task<SortingProblem> {
  const splits = ['train', 'test'] as const;
  const chunk = Math.max(1, length / 4);
  const check = (d: SortingData, steps: readonly string[]): StepCheck => {
    for (let i = 0; i < steps.length; i++) {
      const where = i === steps.length - 1 ? '' : `step ${i + 1} is already invalid: `;
      const m = STEP.exec(steps[i]);
      if (!m) return { valid: false, terminal: false, reason: `${where}cannot read "${steps[i]}" (expected e.g. "0-8:01135789")` };
      const [from, to] = [Number(m[1]), Number(m[2])];
      if (!(from < to && to <= d.digits.length))
        return { valid: false, terminal: false, reason: `${where}range ${from}-${to} is not inside 0-${d.digits.length}` };
      const want = sortedDigits(d.digits.slice(from, to)).join('');
      if (m[3] !== want) return { valid: false, terminal: false, reason: `${where}sorted ${from}-${to} is ${want}, not ${m[3]}` };
      const final = from === 0 && to === d.digits.length;
      if (final) {
        if (i !== steps.length - 1) return { valid: false, terminal: false, reason: 'steps after the final answer' };
        return { valid: true, terminal: true, answer: m[3] };
      }
    }
    return { valid: true, terminal: false };
  };
  return {
    name,
    description: `sorting ${length} digits (Graph of Thoughts task; GoT error score)`,
    splits,
    verifierNeedsAnswer: false,
    chatStepStop: ['\n'],
    async problems(options: LoadOptions) {
      checkSplit(name, splits, options.split);
      const seed = options.seed ?? 0;
      const rng = new Rng(seed).fork(`${name}/${options.split}`);
      const count = options.limit ?? (options.split === 'test' ? 100 : 10000);
      return Array.from({ length: count }, (_, i) => {
        const digits = Array.from({ length }, () => rng.int(0, 9));
        return {
          id: `${name}/${options.split}/${seed}/${i}`,
          question: `Sort the list [${digits.join(', ')}] in ascending order.`,
          answer: sortedDigits(digits).join(''),
          data: { digits },
        };
      });
    },
    renderPlain: (p, steps = []) => `${p.data.digits.join('')}|${steps.map((s) => `${s}\n`).join('')}`,
    renderChat: (p, steps = []) => {
      const msgs = [
        { role: 'system' as const, content: 'You sort lists of digits carefully.' },
        {
          role: 'user' as const,
          content: `Sort the list [${p.data.digits.join(', ')}] in ascending order. Work in steps: sort each block of ${chunk} (e.g. "0-${chunk}:0123..."), merge blocks, and finish with the whole list "0-${length}:...". Or answer with the sorted list in brackets.`,
        },
      ];
      return steps.length ? [...msgs, { role: 'assistant' as const, content: steps.map((s) => `${s}\n`).join('') }] : msgs;
    },
    extractAnswer(text) {
      const lines = text
        .slice(text.lastIndexOf('|') + 1)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      for (let i = lines.length - 1; i >= 0; i--) {
        const m = STEP.exec(lines[i]);
        if (m && Number(m[1]) === 0 && Number(m[2]) === length) return m[3];
      }
      const lists = text.match(/\[[\s\d,]*\]/g);
      if (lists) return parseDigitList(lists[lists.length - 1])!.join('');
      return null;
    },
    async verify(answer, problem): Promise<VerifyResult> {
      const out = answer === null ? null : parseDigitList(answer);
      if (!out) return { correct: false, score: 0, extracted: answer, details: 'no list found' };
      const errors = sortingErrors(out, problem.data.digits);
      return {
        correct: errors === 0,
        score: Math.max(0, 1 - errors / length),
        extracted: out.join(''),
        details: `${errors} errors (GoT count)`,
      };
    },
    sameAnswer: (a, b) => (parseDigitList(a)?.join('') ?? a) === (parseDigitList(b)?.join('') ?? b),
    checkStep: (p, steps) => check(p.data, steps),
    legalSteps(p, steps) {
      if (!check(p.data, steps).valid || check(p.data, steps).terminal) return [];
      // Block sorts and merges of adjacent equal-size ranges already present (GoT's decomposition).
      const have = new Set(
        steps
          .map((s) => STEP.exec(s))
          .filter(Boolean)
          .map((m) => `${m![1]}-${m![2]}`),
      );
      const out: string[] = [];
      const emit = (from: number, to: number) => {
        const k = `${from}-${to}`;
        if (!have.has(k)) out.push(`${k}:${sortedDigits(p.data.digits.slice(from, to)).join('')}`);
      };
      for (let size = chunk; size <= length; size *= 2) {
        for (let from = 0; from + size <= length; from += size) {
          const half = size / 2;
          if (size === chunk || (have.has(`${from}-${from + half}`) && have.has(`${from + half}-${from + size}`))) emit(from, from + size);
        }
      }
      return out;
    },
    solve(p) {
      const steps: string[] = [];
      for (let size = chunk; size <= length; size *= 2) {
        for (let from = 0; from + size <= length; from += size)
          steps.push(`${from}-${from + size}:${sortedDigits(p.data.digits.slice(from, from + size)).join('')}`);
      }
      return steps;
    },
  };
}

export const sortingTask = makeSortingTask('sorting', 32);
export const sorting64Task = makeSortingTask('sorting64', 64);
export const sorting128Task = makeSortingTask('sorting128', 128);
