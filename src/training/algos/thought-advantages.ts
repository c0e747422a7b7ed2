/**
 * Thought-level advantages (TP-GRPO: "Good Learners Think Their Thinking: Generative PRM Makes
 * Large Reasoning Model More Efficient Math Learner", 2025): a process reward model scores each
 * *thought* (a reasoning step) of a response, and those thought rewards reach the policy loss as
 * per-token advantages, so the tokens of a sound step and of a broken step of the same response are
 * no longer pushed the same way.
 *
 * The thought rewards become advantages by GRPO's process-supervision rule (Shao et al. 2024,
 * "DeepSeekMath", section 4.1.3): within a group, every thought reward is normalised by the mean
 * and std of all thought rewards of that group,
 *     r~_{i,k} = (r_{i,k} - mean_g(r)) / (std_g(r) + eps),
 * and token t of response i gets the sum of the normalised rewards of the thoughts that end at or
 * after it,
 *     A^proc_{i,t} = sum_{k : end(k) >= t} r~_{i,k}.
 * The outcome advantage is kept and the two are mixed:
 *     A_{i,t} = A^outcome_{i,t} + alpha * A^proc_{i,t}        (alpha = 0: plain GRPO)
 */
import { type Matrix, assertSameShape, groupRows, matrix } from './matrix.js';

/** A thought: response tokens [start, end) (response coordinates, end exclusive). */
export interface ThoughtSpan {
  start: number;
  end: number;
}

export interface ThoughtAdvantageInput {
  outcome: Matrix;
  mask: Matrix;
  groups: ArrayLike<number | string>;
  /** Per row, its thoughts in order. */
  spans: readonly (readonly ThoughtSpan[])[];
  /** Per row, one reward per thought (same lengths as `spans`). */
  rewards: readonly (readonly number[])[];
  alpha: number;
  eps?: number;
}

/** A^proc per token (0 outside the mask), before mixing. */
export function processAdvantages(input: Omit<ThoughtAdvantageInput, 'outcome' | 'alpha'>): Matrix {
  const { mask, groups, spans, rewards } = input;
  const eps = input.eps ?? 1e-6;
  if (spans.length !== mask.rows || rewards.length !== mask.rows || groups.length !== mask.rows)
    throw new RangeError(
      `thought advantages: ${mask.rows} rows but ${spans.length} span lists, ${rewards.length} reward lists, ${groups.length} group ids`,
    );
  const out = matrix(mask.rows, mask.cols);
  for (const rows of groupRows(groups)) {
    const all: number[] = [];
    for (const i of rows) {
      if (spans[i].length !== rewards[i].length)
        throw new RangeError(`thought advantages: row ${i} has ${spans[i].length} thoughts and ${rewards[i].length} rewards`);
      all.push(...rewards[i]);
    }
    if (all.length === 0) continue;
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const std = all.length > 1 ? Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1)) : 0;
    for (const i of rows) {
      const o = i * mask.cols;
      // suffix sums over the thoughts: token t gets the thoughts ending at or after t
      const norm = rewards[i].map((r) => (std > 0 ? (r - mean) / (std + eps) : 0));
      for (let t = 0; t < mask.cols; t++) {
        if (!mask.data[o + t]) continue;
        let s = 0;
        for (let k = 0; k < spans[i].length; k++) if (spans[i][k].end > t) s += norm[k];
        out.data[o + t] = s;
      }
    }
  }
  return out;
}

/** A = A^outcome + alpha * A^proc (0 outside the mask). */
export function thoughtAdvantages(input: ThoughtAdvantageInput): Matrix {
  assertSameShape({ outcome: input.outcome, mask: input.mask });
  if (!(input.alpha >= 0)) throw new RangeError(`thought advantages: alpha must be >= 0, got ${input.alpha}`);
  const proc = processAdvantages(input);
  const out = matrix(input.mask.rows, input.mask.cols);
  for (let k = 0; k < out.data.length; k++) if (input.mask.data[k]) out.data[k] = input.outcome.data[k] + input.alpha * proc.data[k];
  return out;
}

/**
 * Splits a response into thoughts at separator tokens (e.g. the newline that ends each step): each
 * thought runs up to and including its separator; trailing tokens after the last separator form a
 * final thought when `trailing` is set (and are left out otherwise).
 */
export function splitThoughts(tokens: readonly number[], isSeparator: (id: number) => boolean, trailing = true): ThoughtSpan[] {
  const spans: ThoughtSpan[] = [];
  let start = 0;
  for (let t = 0; t < tokens.length; t++)
    if (isSeparator(tokens[t])) {
      spans.push({ start, end: t + 1 });
      start = t + 1;
    }
  if (trailing && start < tokens.length) spans.push({ start, end: tokens.length });
  return spans;
}
