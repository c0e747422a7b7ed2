/**
 * Grading one prediction against one reference: extract, normalise, compare. `gradeSync` runs on
 * the calling thread with no time limit; `MathGrader` (pool.ts) runs the symbolic part in worker
 * threads with a per-comparison time limit.
 *
 * The verdict has three values, because "could not read the answer" is not "wrong" (graders that
 * merge them hide format failures in accuracy figures): `correct`, `wrong` (both sides read, and
 * they differ), `unparseable` (no answer found in the prediction, or neither the rules nor the math
 * engine could read one side, or the reference has no answer). `rule` names what decided.
 */
import { type ExtractionMethod, extractAnswer, extractReference } from './extract.js';
import { type Tolerance, DEFAULT_TOLERANCE, compareNormalized, numbersClose, parsePlainNumber } from './equivalence.js';
import { choiceLetter, normalizeAnswer } from './normalize.js';

export interface GradeOptions extends Partial<Tolerance> {
  /**
   * Accept a lone letter A-E as an answer (multiple-choice problems). Default: on when the
   * reference itself is a choice letter ("C", "(C)", "\\text{(C)}").
   */
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

export type GradeVerdict = 'correct' | 'wrong' | 'unparseable';

export interface GradeResult {
  /** Same as `verdict === 'correct'`. */
  correct: boolean;
  verdict: GradeVerdict;
  /** What decided: the extraction method and comparison rule, or why no comparison was made. */
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
  /** The prediction's text after its marked answer (see `fallbackPair`). */
  predRest?: string;
  options: GradeOptions;
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
  const choices = options.choices ?? (g.answer !== null && choiceLetter(g.answer) !== null);
  const p = extractAnswer(pred, { choices });
  // "\\boxed{15\\frac{39}{40}} = \\boxed{\\frac{639}{40}}": one value boxed twice, not a list of two.
  if (p.parts && p.parts.length > 1) {
    const forms = p.parts.map((x) => normalizeBounded(x));
    const last = forms[forms.length - 1];
    if (last && forms.every((f) => f !== null && compareNormalized(f, last, DEFAULT_TOLERANCE, false)?.equal))
      p.answer = p.parts[p.parts.length - 1];
  }
  return {
    gold: { raw: gold, extracted: g.answer, normalized: normalizeBounded(g.answer), method: g.method },
    pred: { raw: pred, extracted: p.answer, normalized: normalizeBounded(p.answer), method: p.method },
    tolerance: { relTol: options.relTol ?? DEFAULT_TOLERANCE.relTol, absTol: options.absTol ?? DEFAULT_TOLERANCE.absTol },
    ...(p.rest !== undefined && p.rest.trim() !== '' ? { predRest: p.rest } : {}),
    options,
  };
}

/**
 * When the marked answer could not be read at all ("Final answer is $\sum_{k=0}^n\bigl(k\bigr)$. I
 * hope. 42"), the answer written after it is graded instead (Math-Verify reads the first candidate
 * that parses). Null when there is nothing after it, or the marked answer was read.
 */
export function fallbackPair(pair: PreparedPair, d: Decision): PreparedPair | null {
  if (d.verdict !== 'unparseable' || d.timedOut || !pair.predRest || !pair.pred.normalized || !pair.gold.normalized) return null;
  const next = preparePair(pair.gold.raw, pair.predRest, pair.options);
  return next.pred.normalized ? next : null;
}

/** A decision made on the fallback pair says so. */
export const fellBack = (d: Decision): Decision => ({ ...d, reason: `the marked answer could not be read; after it, ${d.reason}` });

export type Decision = Omit<GradeResult, 'gold' | 'pred'>;

const PERCENT = /\\?%|(?<![a-z])(?:percent(?:age)?|pct)(?![a-z])/i;

const decided = (verdict: GradeVerdict, reason: string): Decision => ({ correct: verdict === 'correct', verdict, reason });

/**
 * Decides a prepared pair. With `symbolic` false, returns null when only the symbolic check could
 * decide (so the caller can run it under a time limit).
 */
export function decidePair(pair: PreparedPair, symbolic: boolean): Decision | null {
  if ((pair.gold.extracted?.length ?? 0) > MAX_ANSWER_CHARS || (pair.pred.extracted?.length ?? 0) > MAX_ANSWER_CHARS) {
    return decided('unparseable', `answer longer than ${MAX_ANSWER_CHARS} characters; not compared`);
  }
  if (pair.gold.normalized === null || pair.gold.normalized === '') return decided('unparseable', 'the reference has no answer');
  if (pair.pred.normalized === null || pair.pred.normalized === '') return decided('unparseable', 'no answer found in the prediction');
  const v = compareNormalized(pair.gold.normalized, pair.pred.normalized, pair.tolerance, symbolic);
  if (v === null) return null;
  // One side written as a percentage, the other as a plain number: x% also equals x/100 (10% = 0.1).
  const pg = PERCENT.test(pair.gold.extracted ?? '');
  const pp = PERCENT.test(pair.pred.extracted ?? '');
  const [a, b] = [parsePlainNumber(pair.gold.normalized), parsePlainNumber(pair.pred.normalized)];
  const scaled = pg !== pp && a && b && numbersClose(pg ? a.value / 100 : a.value, pp ? b.value / 100 : b.value, pair.tolerance);
  if (!v.equal && scaled) return decided('correct', `${pair.pred.method ?? 'none'}: equal as a percentage (x% = x/100)`);
  // A predicted percentage against a plain reference means x/100; read unscaled only for whole
  // numbers ("28%" for 28, Math-Verify's convention), so "4 4/9%" is 40/900, not 40/9.
  if (v.equal && pp && !pg && a && !Number.isInteger(a.value))
    return decided(
      'wrong',
      `${pair.pred.method ?? 'none'}: a percentage is x/100 (${pair.pred.normalized}% is not ${pair.gold.normalized})`,
    );
  const how = `${pair.pred.method ?? 'none'}: ${v.reason}`;
  return decided(v.equal ? 'correct' : v.unparseable ? 'unparseable' : 'wrong', how);
}

/** Grades on the calling thread, with no time limit (a pathological input can take long). */
export function gradeSync(gold: string, pred: string, options: GradeOptions = {}): GradeResult {
  const t0 = performance.now();
  const pair = preparePair(gold, pred, options);
  const decide = (p: PreparedPair): Decision => {
    try {
      return decidePair(p, true)!;
    } catch (e) {
      return decided('unparseable', `comparison failed: ${(e as Error).message}`);
    }
  };
  let verdict = decide(pair);
  let used = pair;
  const next = fallbackPair(pair, verdict);
  if (next) {
    const again = decide(next);
    if (again.verdict !== 'unparseable') [verdict, used] = [fellBack(again), next];
  }
  return { ...verdict, gold: used.gold, pred: used.pred, ms: performance.now() - t0 };
}
