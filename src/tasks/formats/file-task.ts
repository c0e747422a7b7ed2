/**
 * A user's own dataset as a task: `--task jsonl:FILE` (rows in reasoning-gym, verifiers or plain
 * format, see rows.ts) with a verifier chosen by `--verifier` or a `#kind` suffix
 * (`jsonl:data.jsonl#exact`):
 *   math   the math grader against the row's answer (three-way verdict);
 *   exact  the extracted answer equals the row's answer (whitespace-collapsed, case-sensitive);
 *   regex  the row's answer is a regular expression the whole extracted answer must match;
 *   code   the completion's Python code runs in the sandbox with the row's `tests` (asserts).
 * Answers are extracted from `<answer>..</answer>` (reasoning-gym's convention), else the last
 * `\boxed{}`, else "the answer is ..."/"Answer: ...", else the last non-empty line (math: the
 * math grader's extraction; code: the last fenced code block). Splits: `all` (the file), `test`
 * (every 10th row, from the first) and `train` (the rest).
 */
import { inputError, usageError } from '../../core/errors.js';
import type { ChatMessage } from '../../models/types.js';
import { extractCode } from '../code/humaneval.js';
import { extractAnswer as extractMath, lastBoxed } from '../grader/extract.js';
import { compareNormalized } from '../grader/equivalence.js';
import { normalizeAnswer } from '../grader/normalize.js';
import { sharedMathGrader } from '../grader/pool.js';
import { runPython } from '../sandbox/python.js';
import { checkSplit, selectProblems } from '../splits.js';
import type { LoadOptions, Task, VerifyResult } from '../types.js';
import { type RowProblem, readRows } from './rows.js';

export const VERIFIER_KINDS = ['math', 'exact', 'regex', 'code'] as const;
export type VerifierKind = (typeof VERIFIER_KINDS)[number];
const SPLITS = ['all', 'train', 'test'] as const;
const MAX_ANSWER = 10_000;

/** The answer of a free-text completion: <answer> tags, \boxed{}, "the answer is", last line. */
export function extractTaggedAnswer(text: string): string | null {
  const tags = [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/gi)];
  if (tags.length) return tags[tags.length - 1][1].trim();
  const box = lastBoxed(text);
  if (box !== null) return box.trim();
  const is = [...text.matchAll(/(?:the\s+(?:final\s+)?answer\s+is|^\s*(?:final\s+)?answer\s*:)\s*([^\n]+)/gim)];
  if (is.length) return is[is.length - 1][1].trim().replace(/\.$/, '');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length ? lines[lines.length - 1] : null;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

function regexOf(p: RowProblem): RegExp {
  try {
    return new RegExp(`^(?:${p.answer ?? ''})$`, 'u');
  } catch (e) {
    throw inputError(
      `${p.id}: the answer is not a valid regular expression: ${(e as Error).message}`,
      'with --verifier regex each row\'s "answer" is a pattern',
    );
  }
}

const SYSTEM: Record<VerifierKind, string> = {
  math: 'Please reason step by step, and put your final answer within \\boxed{}.',
  exact: 'Think step by step, then give only the final answer inside <answer></answer> tags.',
  regex: 'Think step by step, then give only the final answer inside <answer></answer> tags.',
  code: 'You are an expert Python programmer. Reply with the complete solution in one ```python code block.',
};

/** Parses `jsonl:FILE[#kind]`; the flag, when given, must agree with a suffix. */
export function parseFileTaskSpec(spec: string, verifier?: string): { file: string; verifier: VerifierKind } {
  let rest = spec.slice('jsonl:'.length);
  let kind: string | undefined = verifier;
  const hash = rest.lastIndexOf('#');
  if (hash >= 0 && (VERIFIER_KINDS as readonly string[]).includes(rest.slice(hash + 1))) {
    const suffix = rest.slice(hash + 1);
    if (kind && kind !== suffix) throw usageError(`--verifier ${kind} disagrees with the task's #${suffix}`);
    kind = suffix;
    rest = rest.slice(0, hash);
  }
  if (!rest) throw usageError('jsonl: needs a file, e.g. --task jsonl:data.jsonl --verifier exact');
  kind ??= 'math';
  if (!(VERIFIER_KINDS as readonly string[]).includes(kind))
    throw usageError(`unknown verifier "${kind}"; valid verifiers: ${VERIFIER_KINDS.join(', ')}`);
  return { file: rest, verifier: kind as VerifierKind };
}

export function makeFileTask(spec: string, verifierFlag?: string): Task<RowProblem> {
  const { file, verifier } = parseFileTaskSpec(spec, verifierFlag);
  const name = `jsonl:${file}#${verifier}`;
  const extract = (text: string): string | null => {
    if (verifier === 'math') return extractMath(text).answer;
    if (verifier === 'code') return extractCode(text);
    return extractTaggedAnswer(text);
  };
  return {
    name,
    description: `rows of ${file} checked by the ${verifier} verifier`,
    splits: SPLITS,
    verifierNeedsAnswer: true,
    chatStepStop: ['\n\n'],
    meta: { source: { kind: 'user', what: file }, verifier },
    async problems(options: LoadOptions) {
      checkSplit(name, SPLITS, options.split);
      const rows = readRows(options.path ?? file, 'jsonl');
      for (const p of rows) {
        if (verifier === 'code' && !p.data.tests?.length)
          throw inputError(`${file}: row ${p.id} has no "tests"`, 'with --verifier code each row needs "tests": Python asserts');
        if (verifier !== 'code' && p.answer === undefined)
          throw inputError(`${file}: row ${p.id} has no "answer"`, `with --verifier ${verifier} each row needs an "answer"`);
        if (verifier === 'regex') regexOf(p);
      }
      const picked = options.split === 'all' ? rows : rows.filter((_, i) => (options.split === 'test') === (i % 10 === 0));
      return selectProblems(picked, options);
    },
    renderPlain: (p, steps = []) => `${p.question}\n${steps.map((s) => `${s}\n`).join('')}`,
    renderChat(p, steps = []): ChatMessage[] {
      const msgs: ChatMessage[] = p.data.prompt
        ? [...p.data.prompt]
        : [
            { role: 'system', content: SYSTEM[verifier] },
            { role: 'user', content: p.question },
          ];
      if (steps.length) msgs.push({ role: 'assistant', content: steps.join('\n\n') + '\n\n' });
      return msgs;
    },
    extractAnswer: (text) => extract(text),
    async verify(answer, p): Promise<VerifyResult> {
      if (answer === null || answer.trim() === '')
        return { correct: false, verdict: 'unparseable', score: 0, extracted: null, details: 'no answer' };
      if (answer.length > MAX_ANSWER)
        return {
          correct: false,
          verdict: 'unparseable',
          score: 0,
          extracted: null,
          details: `answer longer than ${MAX_ANSWER} characters`,
        };
      switch (verifier) {
        case 'math': {
          const r = await sharedMathGrader().grade(p.answer ?? '', `\\boxed{${answer}}`);
          return { correct: r.correct, verdict: r.verdict, score: r.correct ? 1 : 0, extracted: r.pred.normalized, details: r.reason };
        }
        case 'exact': {
          const ok = squash(answer) === squash(p.answer ?? '');
          return {
            correct: ok,
            verdict: ok ? 'correct' : 'wrong',
            score: ok ? 1 : 0,
            extracted: squash(answer),
            details: ok ? 'exact match' : `expected ${JSON.stringify(squash(p.answer ?? ''))}`,
          };
        }
        case 'regex': {
          const ok = regexOf(p).test(answer.trim());
          return {
            correct: ok,
            verdict: ok ? 'correct' : 'wrong',
            score: ok ? 1 : 0,
            extracted: answer.trim(),
            details: ok ? 'matches the pattern' : `does not match /${p.answer}/`,
          };
        }
        case 'code': {
          const r = await runPython({ program: answer, tests: p.data.tests }, { limits: { timeoutMs: 10_000, cpuSeconds: 5 } });
          const passed = r.tests.filter((t) => t.passed).length;
          const total = r.tests.length || (p.data.tests?.length ?? 0);
          return {
            correct: r.passed,
            verdict: r.passed ? 'correct' : 'wrong',
            score: r.passed ? 1 : total ? passed / total : 0,
            extracted: answer,
            details: `${r.status}: ${passed}/${total} tests passed`,
          };
        }
      }
    },
    sameAnswer(a, b) {
      if (verifier === 'math') {
        const [na, nb] = [normalizeAnswer(a), normalizeAnswer(b)];
        return compareNormalized(na, nb, undefined, false)?.equal ?? na === nb;
      }
      return squash(a) === squash(b);
    },
  };
}
