/** The three-way verdict of a verification, for tasks that only say correct or not. */
import type { AnswerVerdict, VerifyResult } from './types.js';

/**
 * A verification's verdict: its own when it has one, else correct; unparseable when there was no
 * answer to check; wrong otherwise.
 */
export function verdictOf(v: Pick<VerifyResult, 'correct' | 'verdict'> | null | undefined, answer: string | null): AnswerVerdict {
  if (v?.verdict) return v.verdict;
  if (v?.correct) return 'correct';
  return answer === null || answer.trim() === '' ? 'unparseable' : 'wrong';
}

/** Counts of each verdict. */
export function countVerdicts(verdicts: Iterable<AnswerVerdict | undefined>): Record<AnswerVerdict, number> {
  const out: Record<AnswerVerdict, number> = { correct: 0, wrong: 0, unparseable: 0 };
  for (const v of verdicts) if (v) out[v]++;
  return out;
}
