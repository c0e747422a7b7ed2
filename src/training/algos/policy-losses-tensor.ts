/**
 * The policy-loss registry (./policy-losses.ts) as an engine loss builder, with the engine's `ops`
 * (never jax-js directly). Tests hold it equal to the host entries (test/training/async-losses.test.ts).
 *
 * Batch floats ([B, T], aligned with the targets):
 *   mask, weight   as every RL loss (weight: the loss-aggregation weights, ./loss-aggregation.ts)
 *   adv            advantages
 *   old_logp       the ratio's denominator: mu (ppo_clip, gspo) or pi_prox (tis, mis, decoupled)
 *   seq_w          gspo: mask / |y_i| (the length-normalised sequence log-ratio is sum(seq_w * l))
 *   is_w           tis, mis, decoupled: the importance weights, computed on the host (constants)
 *   behav_logp     tis, mis, decoupled with proximal 'current': log mu; pi_prox is then
 *                  stopGradient(log pi_theta) and the weights are computed here (no extra forward)
 *   ref_logp       with a KL term in the loss
 *   loss = sum(w * [is_w *] L) + beta * sum(w * KL) - entropy_coef * sum(w * H)
 */
import { type LossFn, type ModelOutputs, type Tensor, describeLoss, ops } from '../../engine/index.js';
import { type KlEstimatorName, LOG_RATIO_CLAMP } from './kl.js';
import type { IsLevel, PolicyLossName, ProximalMode } from './policy-losses.js';
import { preClipBound } from './stable-reinforce.js';

export interface RegistryPolicyLossSettings {
  name: PolicyLossName;
  clipLow: number;
  clipHigh: number;
  dualClip: number | null;
  gspoClipLow: number;
  gspoClipHigh: number;
  klLoss: { coef: number; estimator: KlEstimatorName } | null;
  entropyCoef: number;
  /** StableReinforce pre-clip delta (./stable-reinforce.ts): the log ratio is clipped to +-ln delta before exp; null / absent: off. */
  preClip?: number | null;
  /** tis / mis / decoupled: pi_prox from `old_logp` (recompute, default) or the forward itself (current). */
  proximal?: ProximalMode;
  /** With proximal 'current': the importance weights' cap C, MIS lower bound and level (./policy-losses.ts). */
  isCap?: number;
  isLow?: number | null;
  isLevel?: IsLevel;
}

const weightedSum = (x: Tensor, w: Tensor): Tensor => ops.sum(ops.mul(x, w));
const maskedShare = (cond: Tensor, mask: Tensor): Tensor => ops.maskedMean(ops.where(cond, 1, 0), mask);

function klTokens(estimator: KlEstimatorName, logp: Tensor, ref: Tensor): Tensor {
  if (estimator === 'k1') return ops.sub(logp, ref);
  if (estimator === 'k2') return ops.mul(ops.square(ops.sub(logp, ref)), 0.5);
  const l = ops.clip(ops.sub(ref, logp), -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP);
  return ops.sub(ops.sub(ops.exp(l), 1), l);
}

/** PPO clip per token on `ratio`, with the dual clip; metrics into `m`. */
function ppoClipTokens(s: RegistryPolicyLossSettings, ratio: Tensor, adv: Tensor, mask: Tensor, m: Record<string, Tensor>): Tensor {
  const l1 = ops.neg(ops.mul(adv, ratio));
  const l2 = ops.neg(ops.mul(adv, ops.clip(ratio, 1 - s.clipLow, 1 + s.clipHigh)));
  let perToken = ops.maximum(l1, l2);
  m.clip_frac = maskedShare(ops.greater(l2, l1), mask);
  if (s.dualClip !== null) {
    const l3 = ops.mul(adv, -s.dualClip);
    const negative = ops.less(adv, 0);
    m.dual_clip_frac = maskedShare(ops.greater(ops.where(negative, perToken, -Infinity), l3), mask);
    perToken = ops.where(negative, ops.minimum(perToken, l3), perToken);
  }
  return perToken;
}

/**
 * proximal 'current' (./policy-losses.ts): pi_prox = stopGradient(pi_theta), importance weights
 * pi_prox / mu truncated (tis), masked (mis) or raw (decoupled), per token or per sequence, as the
 * host's importanceWeights; the mismatch metrics of ./../async/mismatch.ts from the same values.
 */
function currentProximal(
  s: RegistryPolicyLossSettings,
  logp: Tensor,
  b: Record<string, Tensor>,
  m: Record<string, Tensor>,
): { prox: Tensor; isW: Tensor } {
  const prox = ops.stopGradient(logp);
  const tokenLog = ops.clip(ops.sub(prox, b.behav_logp), -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP);
  const level = s.isLevel ?? 'token';
  const logRho =
    level === 'sequence' ? ops.clip(ops.sum(ops.mul(tokenLog, b.mask), -1, true), -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP) : tokenLog;
  const rho = ops.exp(logRho);
  const cap = s.isCap ?? 2;
  const low = s.isLow ?? 1 / cap;
  let isW = rho;
  let corrected: Tensor | null = null;
  if (s.name === 'tis') {
    corrected = ops.greater(rho, cap);
    isW = ops.minimum(rho, cap);
  } else if (s.name === 'mis') {
    const outside = ops.where(ops.greater(rho, cap), 1, ops.where(ops.less(rho, low), 1, 0));
    corrected = ops.greater(outside, 0.5);
    isW = ops.where(corrected, 0, rho);
  }
  m.mismatch_kl = ops.maskedMean(ops.sub(ops.sub(ops.exp(tokenLog), 1), tokenLog), b.mask);
  m.mismatch_k1 = ops.maskedMean(ops.neg(tokenLog), b.mask);
  m.mismatch_max_abs_logratio = ops.max(ops.mul(ops.abs(tokenLog), b.mask));
  m.is_corrected_frac = corrected ? maskedShare(corrected, b.mask) : ops.mul(ops.sum(b.mask), 0);
  return { prox, isW: ops.mul(isW, b.mask) };
}

export function registryPolicyLoss(s: RegistryPolicyLossSettings): LossFn {
  const fn: LossFn = (out: ModelOutputs, b: Record<string, Tensor>) => {
    const logp = out.logprobs();
    const bound = preClipBound(s.preClip, LOG_RATIO_CLAMP);
    const metrics: Record<string, Tensor> = {};
    const current = s.proximal === 'current' && s.name !== 'ppo_clip' && s.name !== 'gspo' ? currentProximal(s, logp, b, metrics) : null;
    const logRatio = ops.clip(ops.sub(logp, current ? current.prox : b.old_logp), -bound, bound);
    // approx_kl (k1) and ratio_k3 of pi_theta vs old_logp: before the first update of a step they
    // measure the rollout-trainer mismatch itself (ppo_clip, gspo: old_logp is mu).
    metrics.approx_kl = ops.maskedMean(ops.neg(logRatio), b.mask);
    metrics.ratio_k3 = ops.maskedMean(ops.sub(ops.sub(ops.exp(logRatio), 1), logRatio), b.mask);
    let perToken: Tensor;
    if (s.name === 'gspo') {
      // s_i = exp(sum_t seq_w * l): one ratio per row, broadcast over its tokens (Zheng et al. 2025, eq. 7 / 13)
      const seqRatio = ops.exp(ops.sum(ops.mul(logRatio, b.seq_w), -1, true));
      const l1 = ops.neg(ops.mul(b.adv, seqRatio));
      const l2 = ops.neg(ops.mul(b.adv, ops.clip(seqRatio, 1 - s.gspoClipLow, 1 + s.gspoClipHigh)));
      perToken = ops.maximum(l1, l2);
      metrics.clip_frac = maskedShare(ops.greater(l2, l1), b.mask);
      metrics.ratio_mean = ops.maskedMean(ops.mul(seqRatio, b.mask), b.mask);
    } else {
      const ratio = ops.exp(logRatio);
      metrics.ratio_mean = ops.maskedMean(ratio, b.mask);
      perToken = ppoClipTokens(s, ratio, b.adv, b.mask, metrics);
      if (s.name !== 'ppo_clip') perToken = ops.mul(perToken, current ? current.isW : b.is_w);
    }
    const pg = weightedSum(perToken, b.weight);
    metrics.pg_loss = pg;
    let loss = ops.mul(pg, 1);
    if (s.klLoss) {
      const kl = weightedSum(klTokens(s.klLoss.estimator, logp, b.ref_logp), b.weight);
      metrics.kl = kl;
      if (s.klLoss.coef > 0) loss = ops.add(loss, ops.mul(kl, s.klLoss.coef));
    }
    const entropy = weightedSum(out.entropy(), b.weight);
    metrics.entropy = entropy;
    if (s.entropyCoef > 0) loss = ops.sub(loss, ops.mul(entropy, s.entropyCoef));
    return { loss, metrics };
  };
  return describeLoss(fn, {
    rows: 'sum',
    summedMetrics: ['pg_loss', 'kl', 'entropy'],
    source: { module: import.meta.url, name: 'registryPolicyLoss', args: [s] },
  });
}
