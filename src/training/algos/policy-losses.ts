/**
 * Policy losses as a registry of small pure functions (verl's `core_algos` manner), beside the
 * advantage registry: PPO clip, GSPO's sequence-level ratio, and the rollout–trainer mismatch
 * corrections TIS, MIS and AReaL's decoupled PPO.
 *
 * Three policies meet in an RL step:
 *   pi_theta   the policy being trained (the trainer's log-probs, with gradient): `logp`
 *   pi_prox    the trainer's own log-probs of the rollouts before this step's updates (proximal
 *              policy; no gradient): `proxLogp`
 *   mu         the behaviour policy: what the rollout engine (onnxruntime here, vLLM elsewhere)
 *              reported while sampling: `behaviourLogp`. Even with the same weights mu != pi_prox:
 *              different kernels and precision (and, in async RL, older weights).
 *
 * Entries:
 *   ppo_clip    PPO (Schulman et al. 2017, eq. 7) with clip-higher and dual clip (./policy-loss.ts),
 *               ratio rho_t = pi_theta / mu (mu doubles as pi_old: the mismatch goes uncorrected).
 *   gspo        GSPO (Zheng et al. 2025, "Group Sequence Policy Optimization", eq. 5-7): one ratio per
 *               sequence, the length-normalised s_i = exp(1/|y_i| sum_t log(pi_theta / mu)), clipped
 *               at [1 - eps_l, 1 + eps_h] (paper: 3e-4 / 4e-4); the token form (eq. 13) gives token t
 *               the loss max(-A_t s_i, -A_t clip(s_i)).
 *   tis         Truncated importance sampling (Yao et al. 2025, "Your Efficient RL Framework Secretly
 *               Brings You Off-Policy RL Training"; IMPALA's truncation, Espeholt et al. 2018):
 *               L_t = min(pi_prox / mu, C) * PPO-clip(pi_theta / pi_prox, A_t).
 *   mis         Masked importance sampling (Liu et al. 2025, "When Speed Kills Stability: Demystifying
 *               RL Collapse from the Training-Inference Mismatch"): the same with weight
 *               w = pi_prox / mu where w in [C_low, C] and 0 (token or sequence dropped) elsewhere.
 *   decoupled   AReaL's decoupled PPO objective (Fu et al. 2025, eq. 5): w = pi_prox / mu untruncated,
 *               PPO's clip on pi_theta / pi_prox; staleness is bounded by the async loop instead.
 *
 * `is_level: sequence` uses one weight per response, rho_i = prod_t pi_prox / mu (Liu et al.'s
 * sequence-level TIS/MIS), applied to every token of it. The weights are constants (no gradient).
 *
 * Where pi_prox comes from (`proximal`, tis / mis / decoupled):
 *   recompute   one gradient-free forward of the trainer's weights before the step's updates (AReaL).
 *   current     pi_prox = the trainer's own log-probs at each mini-batch's forward, without gradient:
 *               no extra forward. On a step's first mini-batch (of its first epoch) this IS AReaL's
 *               pi_prox; on later ones it is the policy after the step's earlier optimiser steps, so
 *               PPO's ratio is 1 there and only the truncated weight min(pi_theta / mu, C) acts: the
 *               policy gradient of IMPALA (Espeholt et al. 2018, eq. 4: rho_s = min(rho_bar, pi / mu)
 *               with pi the learner's current policy), with mu of any age.
 */
import { type LossAggOptions, type LossAggMode, aggregateLoss } from './loss-aggregation.js';
import { LOG_RATIO_CLAMP } from './kl.js';
import { type Matrix, assertSameShape, matrix, rowLength } from './matrix.js';
import { type PolicyLossStats, type PpoClipOptions, ppoClipLoss, ppoClipToken } from './policy-loss.js';

export const PolicyLossNames = ['ppo_clip', 'gspo', 'tis', 'mis', 'decoupled'] as const;
export type PolicyLossName = (typeof PolicyLossNames)[number];
export const IsLevels = ['token', 'sequence'] as const;
export type IsLevel = (typeof IsLevels)[number];
export const ProximalModes = ['recompute', 'current'] as const;
export type ProximalMode = (typeof ProximalModes)[number];

export interface PolicyLossInput {
  /** log pi_theta of each response token. */
  logp: Matrix;
  /** log pi_prox (trainer, before the step's updates); the entries that need it say so. */
  proxLogp?: Matrix;
  /** log mu, the rollout engine's log-probs. */
  behaviourLogp: Matrix;
  advantages: Matrix;
  mask: Matrix;
}

export interface PolicyLossConfig extends PpoClipOptions, LossAggOptions {
  agg: LossAggMode;
  /** GSPO's sequence-ratio clip range. */
  gspoClipLow: number;
  gspoClipHigh: number;
  /** C: TIS truncates the importance weight at C; MIS drops weights above C. */
  isCap: number;
  /** MIS drops weights below this (default 1 / C). */
  isLow?: number | null;
  isLevel: IsLevel;
  /** Where pi_prox comes from (tis, mis, decoupled): `proxLogp` (recompute, default) or `logp` itself (current). */
  proximal?: ProximalMode;
}

export interface PolicyLossResult extends PolicyLossStats {
  /** The importance weights applied (tis, mis, decoupled); null for the others. */
  isWeights: Matrix | null;
  /** Share of response tokens whose weight was truncated (tis) or dropped (mis). */
  isCorrectedFraction: number;
}

export interface PolicyLossEntry {
  name: PolicyLossName;
  summary: string;
  /** Needs the trainer's proximal log-probs (one extra forward pass per step). */
  needsProximal: boolean;
  compute(input: PolicyLossInput, config: PolicyLossConfig): PolicyLossResult;
}

const clampLog = (l: number) => Math.max(-LOG_RATIO_CLAMP, Math.min(LOG_RATIO_CLAMP, l));

/**
 * Importance weights pi_prox / mu per response token (0 on padding): truncated at `cap` (tis),
 * masked outside [low, cap] (mis) or raw (none), per token or per sequence.
 */
export function importanceWeights(
  proxLogp: Matrix,
  behaviourLogp: Matrix,
  mask: Matrix,
  mode: 'truncate' | 'mask' | 'none',
  level: IsLevel,
  cap: number,
  low?: number | null,
): { weights: Matrix; corrected: number } {
  assertSameShape({ proxLogp, behaviourLogp, mask });
  if (mode !== 'none' && !(cap > 0)) throw new RangeError(`importance-weight cap must be positive, got ${cap}`);
  const lo = low ?? 1 / cap;
  const weights = matrix(mask.rows, mask.cols);
  let corrected = 0;
  const apply = (rho: number): { w: number; hit: boolean } => {
    if (mode === 'truncate') return rho > cap ? { w: cap, hit: true } : { w: rho, hit: false };
    if (mode === 'mask') return rho > cap || rho < lo ? { w: 0, hit: true } : { w: rho, hit: false };
    return { w: rho, hit: false };
  };
  for (let i = 0; i < mask.rows; i++) {
    const o = i * mask.cols;
    if (level === 'sequence') {
      let logRho = 0;
      for (let t = 0; t < mask.cols; t++) if (mask.data[o + t]) logRho += proxLogp.data[o + t] - behaviourLogp.data[o + t];
      const { w, hit } = apply(Math.exp(clampLog(logRho)));
      for (let t = 0; t < mask.cols; t++) if (mask.data[o + t]) weights.data[o + t] = w;
      if (hit) corrected += rowLength(mask, i);
    } else {
      for (let t = 0; t < mask.cols; t++) {
        if (!mask.data[o + t]) continue;
        const { w, hit } = apply(Math.exp(clampLog(proxLogp.data[o + t] - behaviourLogp.data[o + t])));
        weights.data[o + t] = w;
        if (hit) corrected++;
      }
    }
  }
  return { weights, corrected };
}

/** GSPO's per-sequence ratio s_i = exp(mean over the response of log pi_theta - log pi_old). */
export function sequenceRatios(logp: Matrix, oldLogp: Matrix, mask: Matrix): Float64Array {
  assertSameShape({ logp, oldLogp, mask });
  const s = new Float64Array(mask.rows);
  for (let i = 0; i < mask.rows; i++) {
    const o = i * mask.cols;
    let sum = 0;
    let n = 0;
    for (let t = 0; t < mask.cols; t++) {
      if (!mask.data[o + t]) continue;
      sum += logp.data[o + t] - oldLogp.data[o + t];
      n++;
    }
    s[i] = n ? Math.exp(clampLog(sum / n)) : 1;
  }
  return s;
}

function gspo(input: PolicyLossInput, c: PolicyLossConfig): PolicyLossResult {
  const { logp, behaviourLogp, advantages, mask } = input;
  assertSameShape({ logp, behaviourLogp, advantages, mask });
  const s = sequenceRatios(logp, behaviourLogp, mask);
  const perToken = matrix(mask.rows, mask.cols);
  let n = 0;
  let clipped = 0;
  let kl = 0;
  for (let i = 0; i < mask.rows; i++) {
    const sc = Math.min(Math.max(s[i], 1 - c.gspoClipLow), 1 + c.gspoClipHigh);
    for (let t = 0, k = i * mask.cols; t < mask.cols; t++, k++) {
      if (!mask.data[k]) continue;
      const a = advantages.data[k];
      const l1 = -a * s[i];
      const l2 = -a * sc;
      perToken.data[k] = Math.max(l1, l2);
      if (l2 > l1) clipped++;
      kl += behaviourLogp.data[k] - logp.data[k];
      n++;
    }
  }
  return {
    loss: aggregateLoss(perToken, mask, c.agg, c),
    perToken,
    clipFraction: n ? clipped / n : 0,
    dualClipFraction: 0,
    approxKl: n ? kl / n : 0,
    isWeights: null,
    isCorrectedFraction: 0,
  };
}

function weighted(mode: 'truncate' | 'mask' | 'none') {
  return (input: PolicyLossInput, c: PolicyLossConfig): PolicyLossResult => {
    const { logp, behaviourLogp, advantages, mask } = input;
    // proximal 'current': pi_prox is pi_theta's own value (held constant), so PPO's ratio is 1
    const proxLogp = c.proximal === 'current' ? logp : input.proxLogp;
    if (!proxLogp) throw new RangeError("this policy loss needs the trainer's proximal log-probs (proxLogp)");
    assertSameShape({ logp, proxLogp, behaviourLogp, advantages, mask });
    const { weights, corrected } = importanceWeights(proxLogp, behaviourLogp, mask, mode, c.isLevel, c.isCap, c.isLow);
    const perToken = matrix(mask.rows, mask.cols);
    let n = 0;
    let clipped = 0;
    let dual = 0;
    let kl = 0;
    for (let k = 0; k < mask.data.length; k++) {
      if (!mask.data[k]) continue;
      const r = ppoClipToken(logp.data[k], proxLogp.data[k], advantages.data[k], c);
      perToken.data[k] = weights.data[k] * r.loss;
      n++;
      if (r.clipped) clipped++;
      if (r.dualClipped) dual++;
      kl += proxLogp.data[k] - logp.data[k];
    }
    return {
      loss: aggregateLoss(perToken, mask, c.agg, c),
      perToken,
      clipFraction: n ? clipped / n : 0,
      dualClipFraction: n ? dual / n : 0,
      approxKl: n ? kl / n : 0,
      isWeights: weights,
      isCorrectedFraction: n ? corrected / n : 0,
    };
  };
}

export const policyLosses: Record<PolicyLossName, PolicyLossEntry> = {
  ppo_clip: {
    name: 'ppo_clip',
    summary: 'PPO clip on pi_theta / mu (clip-higher, dual clip); no mismatch correction',
    needsProximal: false,
    compute: (input, c) => ({
      ...ppoClipLoss(input.logp, input.behaviourLogp, input.advantages, input.mask, c),
      isWeights: null,
      isCorrectedFraction: 0,
    }),
  },
  gspo: {
    name: 'gspo',
    summary: 'GSPO: one length-normalised ratio per sequence, clipped (Zheng et al. 2025)',
    needsProximal: false,
    compute: gspo,
  },
  tis: {
    name: 'tis',
    summary: 'PPO clip on pi_theta / pi_prox times min(pi_prox / mu, C) (truncated IS)',
    needsProximal: true,
    compute: weighted('truncate'),
  },
  mis: {
    name: 'mis',
    summary: 'PPO clip on pi_theta / pi_prox times pi_prox / mu, dropped outside [C_low, C] (masked IS)',
    needsProximal: true,
    compute: weighted('mask'),
  },
  decoupled: {
    name: 'decoupled',
    summary: "AReaL's decoupled PPO: PPO clip on pi_theta / pi_prox times pi_prox / mu",
    needsProximal: true,
    compute: weighted('none'),
  },
};

export function policyLossEntry(name: string): PolicyLossEntry {
  const e = policyLosses[name as PolicyLossName];
  if (!e) throw new RangeError(`unknown policy loss "${name}" (known: ${PolicyLossNames.join(', ')})`);
  return e;
}

/**
 * The rollout–trainer mismatch on the sampled tokens, from samples of mu (the rollout engine):
 *   k1 = mean(log mu - log pi)              unbiased estimate of KL(mu || pi)
 *   k3 = mean(r - 1 - log r), r = pi / mu   unbiased, never negative (Schulman 2020)
 * plus the largest |log mu - log pi| over the tokens.
 */
export function rolloutMismatch(
  trainerLogp: Matrix,
  behaviourLogp: Matrix,
  mask: Matrix,
): { k1: number; k3: number; maxAbsLogRatio: number; tokens: number } {
  assertSameShape({ trainerLogp, behaviourLogp, mask });
  let k1 = 0;
  let k3 = 0;
  let max = 0;
  let n = 0;
  for (let k = 0; k < mask.data.length; k++) {
    if (!mask.data[k]) continue;
    const l = clampLog(trainerLogp.data[k] - behaviourLogp.data[k]);
    k1 -= l;
    k3 += Math.exp(l) - 1 - l;
    max = Math.max(max, Math.abs(l));
    n++;
  }
  return { k1: n ? k1 / n : 0, k3: n ? k3 / n : 0, maxAbsLogRatio: max, tokens: n };
}
