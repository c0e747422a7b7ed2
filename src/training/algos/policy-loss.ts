/**
 * Policy-gradient losses per token, on host arrays. The trainer's tensor version (./tensor-loss.ts)
 * computes the same numbers with the engine's ops; tests hold the two equal.
 *
 * PPO clip (Schulman et al. 2017, eq. 7) with DAPO's decoupled clip range (Yu et al. 2025, "clip
 * higher", eq. 10) and the dual clip of Ye et al. 2020 ("Mastering Complex Control in MOBA Games",
 * eq. 5), with ratio rho = pi_theta / pi_old = exp(logp - oldLogp):
 *   L1 = -A rho,   L2 = -A clip(rho, 1 - eps_low, 1 + eps_high),   L = max(L1, L2)
 *   dual clip, only where A < 0:  L = min(L, -c A)   (c > 1 bounds the loss of a huge ratio)
 * With `preClip` delta (R1-Reward's StableReinforce, ./stable-reinforce.ts) the log ratio is first
 * clipped to [-ln delta, ln delta]: rho = exp(clip(logp - oldLogp, -ln delta, ln delta)).
 */
import { type LossAggMode, aggregateLoss, type LossAggOptions } from './loss-aggregation.js';
import { LOG_RATIO_CLAMP } from './kl.js';
import { type Matrix, assertSameShape, matrix } from './matrix.js';
import { preClipBound } from './stable-reinforce.js';

export interface PpoClipOptions {
  /** eps_low: the ratio is clipped below at 1 - clipLow. */
  clipLow: number;
  /** eps_high: the ratio is clipped above at 1 + clipHigh (DAPO uses a larger value than clipLow). */
  clipHigh: number;
  /** The dual-clip constant c > 1; absent or null disables the dual clip. */
  dualClip?: number | null;
  /** StableReinforce pre-clip delta > 1 (./stable-reinforce.ts): log ratio clipped to [-ln delta, ln delta] before exp; null: off. */
  preClip?: number | null;
}

export interface PolicyLossStats {
  /** Aggregated loss. */
  loss: number;
  /** Per-token loss L[i,t] (0 on padding). */
  perToken: Matrix;
  /** Share of response tokens where the clipped term was taken (L2 > L1). */
  clipFraction: number;
  /** Share of response tokens where the dual clip bound the loss. */
  dualClipFraction: number;
  /** Mean over tokens of oldLogp - logp: an estimate of KL(pi_old || pi_theta). */
  approxKl: number;
}

/** One token's PPO-clip loss and which clips were active. */
export function ppoClipToken(
  logp: number,
  oldLogp: number,
  advantage: number,
  o: PpoClipOptions,
): { loss: number; clipped: boolean; dualClipped: boolean } {
  const bound = preClipBound(o.preClip, LOG_RATIO_CLAMP);
  const logRatio = Math.max(-bound, Math.min(bound, logp - oldLogp));
  const ratio = Math.exp(logRatio);
  const l1 = -advantage * ratio;
  const l2 = -advantage * Math.min(Math.max(ratio, 1 - o.clipLow), 1 + o.clipHigh);
  let loss = Math.max(l1, l2);
  const clipped = l2 > l1;
  let dualClipped = false;
  if (o.dualClip != null && advantage < 0) {
    const l3 = -advantage * o.dualClip;
    if (l3 < loss) {
      loss = l3;
      dualClipped = true;
    }
  }
  return { loss, clipped, dualClipped };
}

export function ppoClipLoss(
  logp: Matrix,
  oldLogp: Matrix,
  advantages: Matrix,
  mask: Matrix,
  options: PpoClipOptions & { agg: LossAggMode } & LossAggOptions,
): PolicyLossStats {
  assertSameShape({ logp, oldLogp, advantages, mask });
  const perToken = matrix(mask.rows, mask.cols);
  let n = 0;
  let clippedN = 0;
  let dualN = 0;
  let kl = 0;
  for (let k = 0; k < mask.data.length; k++) {
    if (!mask.data[k]) continue;
    const r = ppoClipToken(logp.data[k], oldLogp.data[k], advantages.data[k], options);
    perToken.data[k] = r.loss;
    n++;
    if (r.clipped) clippedN++;
    if (r.dualClipped) dualN++;
    kl += oldLogp.data[k] - logp.data[k];
  }
  return {
    loss: aggregateLoss(perToken, mask, options.agg, options),
    perToken,
    clipFraction: n ? clippedN / n : 0,
    dualClipFraction: n ? dualN / n : 0,
    approxKl: n ? kl / n : 0,
  };
}

/**
 * Entropy bonus (Williams & Peng 1991; Mnih et al. 2016): the loss subtracts coef * agg(H_t) so that
 * the policy keeps exploring. Returns the aggregated entropy (the term's value before the coef).
 */
export function entropyBonus(entropy: Matrix, mask: Matrix, agg: LossAggMode, options: LossAggOptions = {}): number {
  return aggregateLoss(entropy, mask, agg, options);
}

/**
 * Clipped value loss for the PPO critic (as in OpenAI baselines and verl):
 *   L_V = 1/2 max((V - R)^2, (clip(V, V_old - eps, V_old + eps) - R)^2)
 * With `clip` null, the plain MSE 1/2 (V - R)^2. Returns the aggregated loss and the clip share.
 */
export function valueLoss(
  values: Matrix,
  oldValues: Matrix,
  returns: Matrix,
  mask: Matrix,
  options: { clip: number | null; agg: LossAggMode } & LossAggOptions,
): { loss: number; perToken: Matrix; clipFraction: number } {
  assertSameShape({ values, oldValues, returns, mask });
  const perToken = matrix(mask.rows, mask.cols);
  let n = 0;
  let clippedN = 0;
  for (let k = 0; k < mask.data.length; k++) {
    if (!mask.data[k]) continue;
    n++;
    const v = values.data[k];
    const e1 = (v - returns.data[k]) ** 2;
    if (options.clip == null) {
      perToken.data[k] = 0.5 * e1;
      continue;
    }
    const old = oldValues.data[k];
    const vc = Math.min(Math.max(v, old - options.clip), old + options.clip);
    const e2 = (vc - returns.data[k]) ** 2;
    if (e2 > e1) clippedN++;
    perToken.data[k] = 0.5 * Math.max(e1, e2);
  }
  return { loss: aggregateLoss(perToken, mask, options.agg, options), perToken, clipFraction: n ? clippedN / n : 0 };
}
