/**
 * Loss builders that ship with the engine. RL objectives (PPO clip, KL estimators, GRPO, value
 * MSE) live in src/training, written the same way with `ops`.
 */
import { describeLoss } from './loss-info.js';
import type { LossFn } from './train-types.js';
import { ops } from './tensor.js';

/**
 * Masked cross-entropy (next-token negative log-likelihood) averaged over the tokens whose
 * `mask` is 1 — e.g. only the response of a prompt/response pair. Needs batch float `mask` [B, T].
 */
export const maskedCrossEntropy: LossFn = describeLoss(
  (out, batch) => {
    const nll = ops.neg(out.logprobs());
    const loss = ops.maskedMean(nll, batch.mask);
    return { loss, metrics: { entropy: ops.maskedMean(out.entropy(), batch.mask) } };
  },
  { rows: 'mean', linear: true, source: { module: import.meta.url, name: 'maskedCrossEntropy' } },
);

/** Mean squared error between the value head and batch float `returns` [B, T] on `mask`ed tokens. */
export const valueMse: LossFn = describeLoss(
  (out, batch) => {
    const err = ops.square(ops.sub(out.values(), batch.returns));
    return { loss: ops.maskedMean(err, batch.mask) };
  },
  { rows: 'mean', source: { module: import.meta.url, name: 'valueMse' } },
);
