/**
 * Grading one prediction against one reference: extract, normalise, compare. `gradeSync` runs on
 * the calling thread with no time limit; `MathGrader` (pool.ts) runs the symbolic part in worker
 * threads with a per-comparison time limit.
 */
import { type ExtractionMethod, extractAnswer, extractReference } from './extract.js';
import { type Tolerance, DEFAULT_TOLERANCE, compareNormalized } from './equivalence.js';
import { normalizeAnswer } from './normalize.js';

export interface GradeOptions extends Partial<Tolerance> {
  /** Accept a lone letter A-E as an answer (multiple-choice problems). */
  choices?: boolean;
  /** Per-comparison time limit in ms (MathGrader only). */
  timeoutMs?: number;
}

export interface AnswerForms {
  raw: string;
  extracted: string | null;
  normalized: string | null;
  method: ExtractionMethod | null;
}

export interface GradeResult {
  correct: boolean;
  reason: string;
  gold: AnswerForms;
  pred: AnswerForms;
  /** The comparison ran out of time (then `correct` is false). */
  timedOut?: boolean;
  ms?: number;
}

export interface PreparedPair {
  gold: AnswerForms;
  pred: AnswerForms;
  tolerance: Tolerance;
}

/**
 * Final answers longer than this are not compared (no benchmark answer comes close; MATH-500's
 * longest is under 100 characters) so that a runaway completion cannot stall the calling thread.
 */
export const MAX_ANSWER_CHARS = 2000;

const normalizeBounded = (a: string | null): string | null => (a === null || a.length > MAX_ANSWER_CHARS ? null : normalizeAnswer(a));

/** Extraction and normalisation, cheap and safe on any thread. */
export function preparePair(gold: string, pred: string, options: GradeOptions = {}): PreparedPair {
  const g = extractReference(gold);
  const p = extractAnswer(pred, { choices: options.choices });
  return {
    gold: { raw: gold, extracted: g.answer, normalized: normalizeBounded(g.answer), method: g.method },
    pred: { raw: pred, extracted: p.answer, normalized: normalizeBounded(p.answer), method: p.method },
    tolerance: { relTol: options.relTol ?? DEFAULT_TOLERANCE.relTol, absTol: options.absTol ?? DEFAULT_TOLERANCE.absTol },
  };
}

/**
 * Decides a prepared pair. With `symbolic` false, returns null when only the symbolic check could
 * decide (so the caller can run it under a time limit).
 */
export function decidePair(pair: PreparedPair, symbolic: boolean): Omit<GradeResult, 'gold' | 'pred'> | null {
  if ((pair.gold.extracted?.length ?? 0) > MAX_ANSWER_CHARS || (pair.pred.extracted?.length ?? 0) > MAX_ANSWER_CHARS) {
    return { correct: false, reason: `answer longer than ${MAX_ANSWER_CHARS} characters; not compared` };
  }
  if (pair.gold.normalized === null || pair.gold.normalized === '') return { correct: false, reason: 'the reference has no answer' };
  if (pair.pred.normalized === null || pair.pred.normalized === '') return { correct: false, reason: 'no answer found in the prediction' };
  const v = compareNormalized(pair.gold.normalized, pair.pred.normalized, pair.tolerance, symbolic);
  if (v === null) return null;
  return { correct: v.equal, reason: v.reason };
}

/** Grades on the calling thread, with no time limit (a pathological input can take long). */
export function gradeSync(gold: string, pred: string, options: GradeOptions = {}): GradeResult {
  const t0 = performance.now();
  const pair = preparePair(gold, pred, options);
  let verdict: Omit<GradeResult, 'gold' | 'pred'>;
  try {
    verdict = decidePair(pair, true)!;
  } catch (e) {
    verdict = { correct: false, reason: `comparison failed: ${(e as Error).message}` };
  }
  return { ...verdict, gold: pair.gold, pred: pair.pred, ms: performance.now() - t0 };
}
