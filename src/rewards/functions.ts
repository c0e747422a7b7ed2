/**
 * Reward terms as pure functions of numbers and strings, each with its equation. The registry
 * (registry.ts) wires them to samples and YAML configs.
 */

/**
 * Verifier correctness: r = correct ? onCorrect : onWrong, or the partial score when asked; an
 * unparseable answer (no answer could be read) gets `onUnparseable` when set, so a format failure
 * can be rewarded apart from a wrong answer.
 */
export function correctnessReward(
  correct: boolean,
  score: number,
  o: { onCorrect: number; onWrong: number; partial: boolean; onUnparseable?: number },
  unparseable = false,
): number {
  if (correct) return o.onCorrect;
  if (unparseable && o.onUnparseable !== undefined) return o.onUnparseable;
  return o.partial ? o.onWrong + (o.onCorrect - o.onWrong) * Math.min(1, Math.max(0, score)) : o.onWrong;
}

/**
 * Format reward: r = w_a * [final answer present] + w_s * (well-formed steps / steps).
 * (TinyZero gives a small format reward when the answer tag is present but wrong.)
 */
export function formatReward(
  answerPresent: boolean,
  wellFormed: number,
  steps: number,
  o: { answerWeight: number; stepWeight: number },
): number {
  const stepFrac = steps > 0 ? wellFormed / steps : 0;
  return o.answerWeight * (answerPresent ? 1 : 0) + o.stepWeight * stepFrac;
}

/** Linear length penalty: r = -coef * max(0, L - free) / scale. */
export function lengthPenalty(tokens: number, o: { coef: number; free: number; scale: number }): number {
  return (-o.coef * Math.max(0, tokens - o.free)) / o.scale;
}

/**
 * DAPO soft overlong punishment (Yu et al. 2025, eq. 13), with L_max the budget and L_cache the
 * soft zone:
 *   R(y) = 0                                  if |y| <= L_max - L_cache
 *        = ((L_max - L_cache) - |y|) / L_cache  if L_max - L_cache < |y| <= L_max
 *        = -1                                 if |y| > L_max
 */
export function overlongPenalty(tokens: number, o: { maxTokens: number; cacheTokens: number }): number {
  const soft = o.maxTokens - o.cacheTokens;
  if (tokens <= soft) return 0;
  if (tokens <= o.maxTokens) return (soft - tokens) / o.cacheTokens;
  return -1;
}

/**
 * Repetition penalty over word (or character) n-grams, after Yeo et al. 2025 ("Demystifying Long
 * Chain-of-Thought Reasoning in LLMs"): r = -coef * (1 - distinct n-grams / n-grams). 0 for texts
 * shorter than n.
 */
export function repetitionPenalty(text: string, o: { n: number; coef: number; unit: 'word' | 'char' }): number {
  const units = o.unit === 'word' ? text.split(/\s+/).filter(Boolean) : [...text];
  const total = units.length - o.n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(units.slice(i, i + o.n).join('\u0001'));
  const repeated = 1 - seen.size / total;
  return repeated === 0 ? 0 : -o.coef * repeated;
}

/**
 * Exploration bonus of RLSP (Ye et al. 2025, "On the Emergence of Thinking in LLMs I: Searching for
 * the Right Intuition"): a reward for exploratory reasoning, decoupled from correctness, with the
 * reasoning length as its proxy: r_ex = coef * min(1, L / cap). RLSP keeps coef small against the
 * outcome reward (and decays it) so the policy cannot farm it; `onlyWhenWrong` stops it from
 * rewarding padding of already-correct answers.
 */
export function explorationBonus(tokens: number, correct: boolean, o: { coef: number; cap: number; onlyWhenWrong: boolean }): number {
  if (o.onlyWhenWrong && correct) return 0;
  return o.coef * Math.min(1, tokens / o.cap);
}

/**
 * Process-reward shaping of Gao et al. 2024 ("On Designing Effective RL Reward at Training Time for
 * LLM Reasoning"), for per-step PRM scores r_1..r_T:
 * - clip:  r'_t = min(r_t - eta, 0) — rewards bounded above by 0, so the policy gains nothing by
 *          adding steps (fixes the "more steps = more reward" hack);
 * - delta: r'_t = r_t - r_{t+1} for t < T, r'_T = r_T — the return from any step t telescopes to
 *          r_t, so the sum over a trajectory cannot be inflated by repetition;
 * - clip-delta: clip then delta.
 */
export type ProcessShaping = 'none' | 'clip' | 'delta' | 'clip-delta';

export function shapeProcessRewards(scores: readonly number[], mode: ProcessShaping, eta = 0): number[] {
  let r = [...scores];
  if (mode === 'clip' || mode === 'clip-delta') r = r.map((x) => Math.min(x - eta, 0));
  if (mode === 'delta' || mode === 'clip-delta') r = r.map((x, t) => (t < r.length - 1 ? x - r[t + 1] : x));
  return r;
}

/** Return-to-go G_t = sum_{k>=t} r'_k, the per-step credit a PPO-style trainer uses. */
export function returnsToGo(rewards: readonly number[]): number[] {
  const out = new Array<number>(rewards.length);
  let acc = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    acc += rewards[t];
    out[t] = acc;
  }
  return out;
}

/**
 * Safe RLHF (Dai et al. 2023): maximise reward subject to E[cost] <= d via the Lagrangian
 *   r_total = r - lambda * c,   lambda <- max(0, lambda + lr * (mean(c) - d))
 * (projected gradient ascent on the multiplier; lambda grows while the constraint is violated).
 */
export class LagrangeMultiplier {
  lambda: number;
  constructor(
    init: number,
    readonly lr: number,
    readonly threshold: number,
    readonly max = Infinity,
  ) {
    this.lambda = init;
  }
  penalise(reward: number, cost: number): number {
    return reward - this.lambda * cost;
  }
  /** One dual step on a batch of costs; returns the new lambda. */
  update(costs: readonly number[]): number {
    if (costs.length === 0) return this.lambda;
    const mean = costs.reduce((a, b) => a + b, 0) / costs.length;
    this.lambda = Math.min(this.max, Math.max(0, this.lambda + this.lr * (mean - this.threshold)));
    return this.lambda;
  }
}
