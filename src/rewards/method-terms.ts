/**
 * Reward terms of issue 21's methods, as pure functions (wired in registry.ts).
 *
 * Consistency (R1-Reward, Zhang et al. 2025, section 3.3, "consistency reward"): rule-based RL scores
 * only the final answer, so a policy can reach a right answer by reasoning that does not support
 * it. R1-Reward asks a second model whether the reasoning agrees with the answer and pays
 *     r = r_format + (1 + 0.5 * r_consistency) * r_accuracy,
 * i.e. the consistency bonus only counts for correct answers (`gated`). rlmkit checks it by rule
 * where the task can replay its steps: the reasoning is consistent when every step is valid and
 * the state it reaches yields the same answer as the one extracted from the completion; without
 * a step checker, when the extracted answer appears in the reasoning before it.
 *
 * Adaptive repetition penalty (MiroMind-M1, Li et al. 2025, CAMPO's repetition critic): repetition
 * that starts early wastes more of the budget than repetition at the end, so a response is scored
 * by the share of it from the first repeated n-gram on,
 *     rho(y) = (|y| - p_first) / |y|     (0 without a repeated n-gram; p_first = start of the first
 *                                         n-gram seen before, in units),
 * and penalised by -lambda * rho(y). rlmkit makes lambda adaptive the way the `constraint` term
 * adapts its multiplier: after each batch lambda <- clip(lambda + lr * (mean rho - target), 0, max),
 * so the penalty grows while the batch repeats more than the target share and fades when it does not.
 */

/** rho(y): the share of `units` from the first repeated n-gram on (0 when no n-gram repeats). */
export function repetitionOnset(units: readonly string[], n: number): number {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`repetition n must be a positive integer, got ${n}`);
  const total = units.length - n + 1;
  if (total <= 1) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) {
    const g = units.slice(i, i + n).join('\u0001');
    if (seen.has(g)) return (units.length - i) / units.length;
    seen.add(g);
  }
  return 0;
}

/** Units of a completion: whitespace-separated words, characters, or its non-empty lines (steps). */
export function repetitionUnits(text: string, unit: 'word' | 'char' | 'line'): string[] {
  if (unit === 'char') return [...text];
  if (unit === 'line')
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  return text.split(/\s+/).filter(Boolean);
}

/** Consistency in [0, 1] (1: consistent), gated by correctness when asked. */
export function consistencyReward(consistent: boolean, correct: boolean, gated: boolean): number {
  if (gated && !correct) return 0;
  return consistent ? 1 : 0;
}
