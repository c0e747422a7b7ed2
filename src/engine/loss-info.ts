/**
 * What the trainer must know about a loss builder beyond the function itself, attached to the
 * function so call sites keep passing a plain `LossFn`:
 *
 *  - `source`: where a worker thread can rebuild it (module URL, export name, factory arguments).
 *    Data-parallel training (Trainer `workers` > 1) runs the loss in other threads, and functions
 *    cannot cross a thread boundary; a module path and JSON arguments can.
 *  - `rows`: how the loss of a batch relates to the losses of its row chunks. `sum`: the loss is a
 *    weighted sum over rows whose weights were normalised over the whole batch by the caller (PPO's
 *    token-mean weights, DPO's 1/P), so the batch gradient is exactly the SUM of the chunks'
 *    gradients. `mean`: the loss is a mean over the chunk's own tokens (SFT's masked mean), so
 *    splitting a batch is ordinary gradient accumulation (the mean of the chunks' gradients).
 *  - `summedMetrics`: metrics that add up over chunks like a `sum` loss (weighted sums); the others
 *    are averaged.
 *  - `linear`: the loss is affine in the model outputs (log-probs, entropy, values, logits), so its
 *    gradient with respect to them does not depend on them (masked cross-entropy: -mask / count).
 *    The onnx engine then computes a step in one graph call instead of a forward call plus one
 *    (./native/native-grad.ts). Metrics may be anything. Declaring a non-affine loss linear gives
 *    wrong gradients.
 */
import { usageError } from '../core/errors.js';
import type { LossFn } from './train-types.js';

export interface LossSource {
  /** Module URL (import.meta.url of the module that exports the loss). */
  module: string;
  /** Export name: the LossFn itself, or a factory when `args` is given. */
  name: string;
  /** Factory arguments (JSON values); absent for a loss exported directly. */
  args?: unknown[];
}

export interface LossInfo {
  source?: LossSource;
  rows: 'mean' | 'sum';
  summedMetrics: readonly string[];
  linear?: boolean;
}

const INFO = Symbol.for('rlmkit.lossInfo');
type Tagged = LossFn & { [INFO]?: LossInfo };

/** Attaches `info` to `fn` and returns it. */
export function describeLoss(fn: LossFn, info: Partial<LossInfo>): LossFn {
  (fn as Tagged)[INFO] = {
    rows: info.rows ?? 'mean',
    summedMetrics: info.summedMetrics ?? [],
    source: info.source,
    linear: info.linear ?? false,
  };
  return fn;
}

/** The attached description, or the default of an undescribed loss (a per-chunk mean, no source). */
export function lossInfo(fn: LossFn): LossInfo {
  return (fn as Tagged)[INFO] ?? { rows: 'mean', summedMetrics: [] };
}

/** Rebuilds a loss from its source (in a worker thread). */
export async function loadLoss(source: LossSource): Promise<LossFn> {
  const mod = (await import(source.module)) as Record<string, unknown>;
  const exported = mod[source.name];
  if (typeof exported !== 'function') throw usageError(`loss "${source.name}" is not exported by ${source.module}`);
  return (source.args ? (exported as (...a: unknown[]) => LossFn)(...source.args) : exported) as LossFn;
}
