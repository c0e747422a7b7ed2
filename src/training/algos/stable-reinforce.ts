/**
 * StableReinforce (Zhang et al. 2025, "R1-Reward: Training Multimodal Reward Model Through Stable
 * Reinforcement Learning", section 3): two changes to the PPO / REINFORCE++ loss that keep training
 * from blowing up (the third, the consistency reward, is a reward term: src/rewards/consistency.ts).
 *
 * Pre-CLIP (their eq. 6): the log-ratio is clipped *before* the exponential,
 *     rho_t = exp(clip(log pi_theta - log pi_old, -ln delta, ln delta)),
 * so a token whose probability moved a lot cannot produce a huge ratio; PPO's ordinary clip then
 * applies to rho_t. Without it, PPO's min(...) keeps the unclipped ratio whenever A < 0 and the
 * ratio is large, and the loss (and its gradient) grows without bound. `pre_clip: delta` in
 * `rl.policy_loss` turns it on for ppo_clip, tis, mis and decoupled (host: ./policy-loss.ts,
 * tensor: ./policy-losses-tensor.ts).
 *
 * Advantage filter (their eq. 7, the "3-sigma rule"): advantages are standardised over the batch
 * and tokens whose standardised advantage lies outside [-sigma, sigma] are left out of the loss
 * (their mask is zeroed), because a few extreme advantages (imbalanced 0/1 rewards) dominate the
 * update. With GRPO's per-group z-scores a group of G samples can never exceed (G-1)/sqrt(G)
 * (2.47 at G = 8), so the filter mostly acts with batch-normalised estimators or larger groups.
 */
import { type Matrix, assertSameShape, matrix } from './matrix.js';

/** The log-ratio bound ln(delta) of pre-clip (delta > 1), or `fallback` when pre-clip is off. */
export function preClipBound(delta: number | null | undefined, fallback: number): number {
  if (delta == null) return fallback;
  if (!(delta > 1)) throw new RangeError(`pre-clip delta must be > 1, got ${delta}`);
  return Math.min(fallback, Math.log(delta));
}

/** exp(clip(logRatio, -ln delta, ln delta)): the pre-clipped importance ratio of one token. */
export function preClippedRatio(logRatio: number, delta: number): number {
  const b = preClipBound(delta, Infinity);
  return Math.exp(Math.max(-b, Math.min(b, logRatio)));
}

export interface AdvantageFilterResult {
  /** The loss mask with the filtered tokens zeroed. */
  mask: Matrix;
  /** Share of response tokens filtered out. */
  filteredShare: number;
  /** Batch mean and std of the advantages over the response tokens. */
  mean: number;
  std: number;
}

/**
 * The 3-sigma advantage filter: z = (A - mean) / std over the masked tokens of the batch; a token
 * with |z| > sigma leaves the loss. A batch with std 0 (all advantages equal) filters nothing.
 */
export function advantageFilter(advantages: Matrix, mask: Matrix, sigma = 3): AdvantageFilterResult {
  assertSameShape({ advantages, mask });
  if (!(sigma > 0)) throw new RangeError(`advantage filter sigma must be positive, got ${sigma}`);
  let n = 0;
  let sum = 0;
  for (let k = 0; k < mask.data.length; k++)
    if (mask.data[k]) {
      n++;
      sum += advantages.data[k];
    }
  const out = matrix(mask.rows, mask.cols, Float32Array.from(mask.data));
  if (n < 2) return { mask: out, filteredShare: 0, mean: n ? sum : 0, std: 0 };
  const mean = sum / n;
  let ss = 0;
  for (let k = 0; k < mask.data.length; k++) if (mask.data[k]) ss += (advantages.data[k] - mean) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  let filtered = 0;
  if (std > 0)
    for (let k = 0; k < mask.data.length; k++)
      if (mask.data[k] && Math.abs((advantages.data[k] - mean) / std) > sigma) {
        out.data[k] = 0;
        filtered++;
      }
  return { mask: out, filteredShare: filtered / n, mean, std };
}
