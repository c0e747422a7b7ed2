/**
 * The RL and preference losses as engine loss builders (`LossFn` over `ModelOutputs`, written with
 * the engine's `ops`, so this folder never imports jax-js). They compute exactly the host versions
 * of ./algos (test/training/tensor-losses.test.ts holds them equal); the host versions stay the
 * readable reference and serve metrics and tests.
 *
 * Batch floats every builder reads (all [B, T], aligned with the targets: position t scores the
 * token predicted at t):
 *   mask     1 on response tokens
 *   weight   the loss-aggregation weights of ./algos/loss-aggregation.ts (mask included), so that any
 *            aggregation mode is one weighted sum: agg(L) = sum(weight * L)
 * and, per builder, the inputs named in its comment.
 */
import type { LossFn, ModelOutputs, Tensor } from '../engine/index.js';
import { describeLoss, ops } from '../engine/index.js';
import type { KlEstimatorName } from './algos/kl.js';
import { registryPolicyLoss } from './algos/policy-losses-tensor.js';
import { LOG_RATIO_CLAMP } from './algos/kl.js';

const weightedSum = (x: Tensor, w: Tensor): Tensor => ops.sum(ops.mul(x, w));
/** Share of masked tokens where `cond` (a boolean tensor) holds. */
const maskedShare = (cond: Tensor, mask: Tensor): Tensor => ops.maskedMean(ops.where(cond, 1, 0), mask);

/** Per-token KL estimate (./algos/kl.ts) as tensors; logp is the current policy, ref the reference. */
export function klTensor(estimator: KlEstimatorName, logp: Tensor, ref: Tensor): Tensor {
  switch (estimator) {
    case 'k1':
      return ops.sub(logp, ref);
    case 'k2':
      return ops.mul(ops.square(ops.sub(logp, ref)), 0.5);
    case 'k3': {
      const l = ops.clip(ops.sub(ref, logp), -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP);
      return ops.sub(ops.sub(ops.exp(l), 1), l);
    }
    default:
      throw new RangeError(`unknown KL estimator "${estimator as string}"`);
  }
}

export interface PolicyLossSettings {
  clipLow: number;
  clipHigh: number;
  dualClip: number | null;
  /** KL in the loss: beta and estimator (null: no KL term; batch float `ref_logp` needed otherwise). */
  klLoss: { coef: number; estimator: KlEstimatorName } | null;
  entropyCoef: number;
}

/**
 * PPO-clip policy loss with clip-higher and dual clip, plus the KL-in-loss and entropy terms
 * (./algos/policy-loss.ts). Batch floats: mask, weight, adv, old_logp, and ref_logp with a KL term.
 *   loss = sum(w * L_clip) + beta * sum(w * KL) - entropy_coef * sum(w * H)
 * Metrics: pg_loss, kl, entropy, clip_frac, dual_clip_frac, approx_kl (old vs new), ratio_mean,
 * ratio_k3. It is the `ppo_clip` entry of the policy-loss registry (./algos/policy-losses-tensor.ts,
 * the one home of the tensor policy losses), kept under this name for callers of the PPO loss.
 */
export function policyLoss(s: PolicyLossSettings): LossFn {
  return registryPolicyLoss({ name: 'ppo_clip', ...s, gspoClipLow: 0, gspoClipHigh: 0 });
}

/**
 * Critic loss (./algos/policy-loss.ts valueLoss): 1/2 max((V - R)^2, (clip(V, V_old +- eps) - R)^2),
 * aggregated with `weight`. Batch floats: mask, weight, returns, and old_values when clipping.
 */
export function criticLoss(valueClip: number | null): LossFn {
  const fn: LossFn = (out: ModelOutputs, b: Record<string, Tensor>): { loss: Tensor; metrics: Record<string, Tensor> } => {
    const v = out.values();
    const e1 = ops.square(ops.sub(v, b.returns));
    if (valueClip === null) return { loss: ops.mul(weightedSum(e1, b.weight), 0.5), metrics: { value_mean: ops.maskedMean(v, b.mask) } };
    const vc = ops.add(b.old_values, ops.clip(ops.sub(v, b.old_values), -valueClip, valueClip));
    const e2 = ops.square(ops.sub(vc, b.returns));
    return {
      loss: ops.mul(weightedSum(ops.maximum(e1, e2), b.weight), 0.5),
      metrics: { value_clip_frac: maskedShare(ops.greater(e2, e1), b.mask), value_mean: ops.maskedMean(v, b.mask) },
    };
  };
  return describeLoss(fn, { rows: 'sum', source: { module: import.meta.url, name: 'criticLoss', args: [valueClip] } });
}

/**
 * Value / Q regression and PRM labels: MSE between the value head and `target` on the positions
 * where `mask` is 1 (the last token of each state), averaged over them. Batch floats: mask, target.
 */
export const valueRegressionLoss: LossFn = describeLoss(
  (out, b) => {
    const v = out.values();
    const err = ops.square(ops.sub(v, b.target));
    return {
      loss: ops.maskedMean(err, b.mask),
      metrics: { value_mean: ops.maskedMean(v, b.mask), abs_err: ops.maskedMean(ops.abs(ops.sub(v, b.target)), b.mask) },
    };
  },
  { rows: 'mean', source: { module: import.meta.url, name: 'valueRegressionLoss' } },
);

/**
 * Supervised fine-tuning: token-mean negative log-likelihood over `mask` (the response or step
 * tokens), with the entropy as a metric.
 */
export const sftLoss: LossFn = describeLoss(
  (out, b) => {
    const logp = out.logprobs();
    return { loss: ops.neg(ops.maskedMean(logp, b.mask)), metrics: { entropy: ops.maskedMean(out.entropy(), b.mask) } };
  },
  // linear: the loss is affine in the log-probs, so the onnx engine needs one graph call per chunk.
  { rows: 'mean', linear: true, source: { module: import.meta.url, name: 'sftLoss' } },
);

/**
 * DPO (Rafailov et al. 2023, eq. 7): for a pair (chosen y_w, rejected y_l) of one prompt,
 *   L = -log sigmoid(beta * [(log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))])
 * averaged over pairs, where log pi(y) sums the response tokens' log-probs.
 * Rows come in pairs: row 2i is the chosen response of pair i and row 2i+1 its rejected one (the
 * trainer's batch size must be even). Batch floats:
 *   sign        [B, T]  +1 on the chosen row's response tokens, -1 on the rejected row's, 0 elsewhere
 *   ref_margin  [B]     log pi_ref(y_w) - log pi_ref(y_l) on row 2i, 0 on row 2i+1 (computed once
 *                       with the frozen reference policy)
 *   pair_weight [B]     1/P on row 2i of each of the P real pairs, 0 elsewhere (padding rows)
 */
export function dpoLoss(beta: number): LossFn {
  const fn: LossFn = (out, b) => {
    const logp = out.logprobs();
    // signed per-row sums: row 2i holds +log pi(y_w), row 2i+1 holds -log pi(y_l)
    const signed = ops.sum(ops.mul(logp, b.sign), -1); // [B]
    const [B] = signed.shape;
    const pairs = ops.sum(ops.reshape(signed, [B / 2, 2]), -1); // [B/2]: log pi(y_w) - log pi(y_l)
    const refMargin = ops.sum(ops.reshape(b.ref_margin, [B / 2, 2]), -1);
    const pw = ops.sum(ops.reshape(b.pair_weight, [B / 2, 2]), -1);
    const z = ops.mul(ops.sub(pairs, refMargin), beta);
    // -log sigmoid(z) = log(1 + e^-z) = softplus(-z), computed stably as max(-z, 0) + log(1 + e^-|z|)
    const nz = ops.neg(z);
    const softplus = ops.add(ops.maximum(nz, 0), ops.log(ops.add(ops.exp(ops.neg(ops.abs(z))), 1)));
    const loss = ops.sum(ops.mul(softplus, pw));
    return {
      loss,
      metrics: { reward_margin: ops.sum(ops.mul(z, pw)), accuracy: ops.sum(ops.mul(ops.where(ops.greater(z, 0), 1, 0), pw)) },
    };
  };
  // Pair weights are normalised over the whole batch (chunks must keep pairs together: even sizes).
  return describeLoss(fn, {
    rows: 'sum',
    summedMetrics: ['reward_margin', 'accuracy'],
    source: { module: import.meta.url, name: 'dpoLoss', args: [beta] },
  });
}
