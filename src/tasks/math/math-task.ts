/**
 * Math word-problem benchmarks (GSM8K, MATH-500, AIME 2024, AMC 2023) as tasks: a JSONL loader
 * (from the data/ folder shipped with rlmkit by default, or the user's file), chat and plain prompts, and a verifier
 * built on the math grader (extraction, normalisation, compute-engine equivalence, time limit).
 * Steps are paragraphs/lines of free-form reasoning; the final step carries the answer.
 */
import type { ChatMessage } from '../../models/types.js';
import { dataFile, field, readJsonlRecords } from '../data.js';
import { extractAnswer as extractMathAnswer } from '../grader/extract.js';
import { compareNormalized } from '../grader/equivalence.js';
import { normalizeAnswer } from '../grader/normalize.js';
import { sharedMathGrader } from '../grader/pool.js';
import { checkSplit, selectProblems } from '../splits.js';
import type { LoadOptions, Problem, Task, VerifyResult } from '../types.js';

export interface MathData {
  /** Extra fields kept from the file (subject, level, unique_id, url...). */
  meta: Record<string, unknown>;
  /** The reference solution when the file has one. */
  solution?: string;
}
export type MathProblem = Problem & { answer: string; data: MathData };

export interface MathTaskSpec {
  name: string;
  description: string;
  /** Path under the shared data folder. */
  file: string;
  /** Field with the question; the first present is used. */
  questionFields: string[];
  /** How to get the reference answer from a record. */
  answerOf(rec: Record<string, unknown>, file: string, index: number): string;
  idOf(rec: Record<string, unknown>, index: number): string;
  solutionField?: string;
}

const SYSTEM = 'Please reason step by step, and put your final answer within \\boxed{}.';

export function makeMathTask(spec: MathTaskSpec): Task<MathProblem> {
  const splits = ['test'] as const;
  return {
    name: spec.name,
    description: spec.description,
    splits,
    verifierNeedsAnswer: true,
    chatStepStop: ['\n\n'],
    async problems(options: LoadOptions) {
      checkSplit(spec.name, splits, options.split);
      const file = dataFile(spec.file, options.path);
      const records = readJsonlRecords(file);
      const problems = records.map((rec, i): MathProblem => {
        const qField = spec.questionFields.find((f) => typeof rec[f] === 'string') ?? spec.questionFields[0];
        const solution =
          spec.solutionField && typeof rec[spec.solutionField] === 'string' ? (rec[spec.solutionField] as string) : undefined;
        const meta: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(rec))
          if (!spec.questionFields.includes(k) && k !== spec.solutionField && k !== 'answer') meta[k] = v;
        return {
          id: `${spec.name}/test/${spec.idOf(rec, i)}`,
          question: field(rec, qField, file, i),
          answer: spec.answerOf(rec, file, i),
          data: { meta, solution },
        };
      });
      return selectProblems(problems, options);
    },
    renderPlain: (p, steps = []) => `${p.question}\n${steps.map((s) => `${s}\n`).join('')}`,
    renderChat(p, steps = []): ChatMessage[] {
      const msgs: ChatMessage[] = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: p.question },
      ];
      if (steps.length) msgs.push({ role: 'assistant', content: steps.join('\n\n') + '\n\n' });
      return msgs;
    },
    extractAnswer: (text) => extractMathAnswer(text).answer,
    async verify(answer, problem): Promise<VerifyResult> {
      if (answer === null || answer.trim() === '')
        return { correct: false, verdict: 'unparseable', score: 0, extracted: null, details: 'no answer' };
      // The answer is already extracted: wrap it so the grader takes it whole.
      const r = await sharedMathGrader().grade(problem.answer, `\\boxed{${answer}}`);
      return { correct: r.correct, verdict: r.verdict, score: r.correct ? 1 : 0, extracted: r.pred.normalized, details: r.reason };
    },
    sameAnswer(a, b) {
      // Voting compares many pairs: cheap checks only (no symbolic step, so no time risk).
      const na = normalizeAnswer(a);
      const nb = normalizeAnswer(b);
      return compareNormalized(na, nb, undefined, false)?.equal ?? na === nb;
    },
  };
}

const str = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '');

export const gsm8kTask = makeMathTask({
  name: 'gsm8k',
  description: 'GSM8K grade-school math (test, 1319 problems; answer after ####)',
  file: 'gsm8k/test.jsonl',
  questionFields: ['question'],
  solutionField: 'answer',
  answerOf: (rec, file, i) => {
    const a = field(rec, 'answer', file, i);
    const at = a.lastIndexOf('####');
    return (at >= 0 ? a.slice(at + 4) : a).trim().replace(/,/g, '');
  },
  idOf: (_rec, i) => String(i),
});

export const math500Task = makeMathTask({
  name: 'math500',
  description: 'MATH-500 competition math (Lightman et al. 2023 subset of MATH)',
  file: 'math500/test.jsonl',
  questionFields: ['problem'],
  solutionField: 'solution',
  answerOf: (rec, file, i) => field(rec, 'answer', file, i),
  idOf: (rec, i) => (typeof rec.unique_id === 'string' ? rec.unique_id.replace(/^test\//, '').replace(/\.json$/, '') : String(i)),
});

export const aime24Task = makeMathTask({
  name: 'aime24',
  description: 'AIME 2024 (30 problems, integer answers 0-999)',
  file: 'aime24/test.jsonl',
  questionFields: ['problem', 'question'],
  solutionField: 'solution',
  answerOf: (rec, file, i) => field(rec, 'answer', file, i),
  idOf: (rec, i) => str(rec.id) || String(i),
});

export const amc23Task = makeMathTask({
  name: 'amc23',
  description: 'AMC 2023 (40 problems, numeric answers)',
  file: 'amc23/test.jsonl',
  questionFields: ['problem', 'question'],
  answerOf: (rec, file, i) => {
    const a = rec.answer;
    if (typeof a === 'number') return Number.isInteger(a) ? String(a) : String(a);
    return field(rec, 'answer', file, i);
  },
  idOf: (rec, i) => str(rec.id) || String(i),
});
