/**
 * KL(pi_theta || pi_ref) per token, estimated from the log-probs of the sampled tokens only
 * (Schulman 2020, "Approximating KL Divergence", http://joschu.net/blog/kl-approx.html). With
 * x ~ pi_theta and log ratio l = log pi_ref(x) - log pi_theta(x):
 *   k1 = -l                  unbiased, high variance, can be negative
 *   k2 = l^2 / 2             biased, low variance, its gradient is the true KL gradient's estimator
 *   k3 = (e^l - 1) - l       unbiased, low variance, always >= 0 (GRPO's choice, DeepSeekMath eq. 4)
 *
 * Placement: `loss` adds beta * agg(KL) to the policy loss (GRPO); `reward` subtracts beta * KL_t
 * from every token's reward before the advantages are computed (InstructGPT-style PPO, REINFORCE++).
 */
import { type Matrix, assertSameShape, matrix } from './matrix.js';

export const KlEstimatorNames = ['k1', 'k2', 'k3'] as const;
export type KlEstimatorName = (typeof KlEstimatorNames)[number];

export const KlPlacements = ['none', 'loss', 'reward'] as const;
export type KlPlacement = (typeof KlPlacements)[number];

/** log ratios are clamped to this range so that e^l never overflows (as verl does for k3). */
export const LOG_RATIO_CLAMP = 20;

export type KlTokenFn = (logp: number, refLogp: number) => number;

export const klEstimators: Record<KlEstimatorName, KlTokenFn> = {
  k1: (logp, refLogp) => logp - refLogp,
  k2: (logp, refLogp) => 0.5 * (logp - refLogp) ** 2,
  k3: (logp, refLogp) => {
    const l = Math.max(-LOG_RATIO_CLAMP, Math.min(LOG_RATIO_CLAMP, refLogp - logp));
    return Math.exp(l) - 1 - l;
  },
};

/** Per-token KL estimates over the mask (0 on padding). */
export function klPerToken(estimator: KlEstimatorName, logp: Matrix, refLogp: Matrix, mask: Matrix): Matrix {
  assertSameShape({ logp, refLogp, mask });
  const fn = klEstimators[estimator];
  if (!fn) throw new RangeError(`unknown KL estimator "${estimator}" (known: ${KlEstimatorNames.join(', ')})`);
  const out = matrix(mask.rows, mask.cols);
  for (let k = 0; k < out.data.length; k++) out.data[k] = mask.data[k] ? fn(logp.data[k], refLogp.data[k]) : 0;
  return out;
}

/** KL in the reward: r'_t = r_t - beta * KL_t on every response token. Returns a new matrix. */
export function applyKlToRewards(tokenRewards: Matrix, kl: Matrix, mask: Matrix, beta: number): Matrix {
  assertSameShape({ tokenRewards, kl, mask });
  const out = matrix(mask.rows, mask.cols);
  for (let k = 0; k < out.data.length; k++) out.data[k] = mask.data[k] ? tokenRewards.data[k] - beta * kl.data[k] : 0;
  return out;
}
