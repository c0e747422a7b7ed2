/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Alg. 2) with
 * global-norm gradient clipping (Pascanu et al. 2013) and a linear-warmup + cosine learning-rate
 * schedule (Loshchilov & Hutter 2017, SGDR). The update runs as one jitted function over the whole
 * parameter tree.
 */
import { usageError } from '../core/errors.js';
import type { Params } from './model.js';
import { type Compiled, type Tensor, compile, ops } from './tensor.js';

export interface AdamWOptions {
  /** Peak learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied to matrices only (not RMSNorm gains or biases). */
  weightDecay: number;
  /** Clip the global gradient norm to this value (0 or Infinity: no clipping). */
  clipNorm: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clipNorm: 1 };

export interface ScheduleOptions {
  /** Steps of linear warmup from 0 to the peak. */
  warmupSteps: number;
  /** Step at which the cosine reaches its floor (usually the run length). */
  totalSteps: number;
  /** Final learning rate as a fraction of the peak. */
  minLrRatio: number;
}

/**
 * Learning rate at optimiser step `step` (0-based): lr * (step+1)/warmup during warmup, then
 * cosine decay from lr to lr*minLrRatio at totalSteps, constant afterwards.
 */
export function learningRate(step: number, lr: number, s: ScheduleOptions): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (lr * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  const floor = lr * s.minLrRatio;
  return floor + 0.5 * (lr - floor) * (1 + Math.cos(Math.PI * progress));
}

export function validateAdamW(o: AdamWOptions): AdamWOptions {
  const bad = (k: string, v: number) => usageError(`optimiser: ${k} = ${v} is out of range`, 'check the training config');
  if (!(o.lr > 0)) throw bad('lr', o.lr);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw bad('beta1', o.beta1);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw bad('beta2', o.beta2);
  if (!(o.eps > 0)) throw bad('eps', o.eps);
  if (!(o.weightDecay >= 0)) throw bad('weightDecay', o.weightDecay);
  if (!(o.clipNorm >= 0)) throw bad('clipNorm', o.clipNorm);
  return o;
}

/** Scalars that change every step, passed as arrays so the update compiles once. */
export interface StepScalars {
  lr: Tensor;
  /** 1 - beta1^t and 1 - beta2^t (bias corrections, t = 1-based step). */
  bc1: Tensor;
  bc2: Tensor;
  /** Multiplies the summed gradients (1/k for k accumulated micro-batches). */
  gradScale: Tensor;
}

export type AdamWUpdate = (params: Params, grads: Params, m: Params, v: Params, s: StepScalars) => [Params, Params, Params, Tensor];

/** A jitted AdamW update: returns [params, m, v, grad norm before clipping]. */
export function makeAdamWUpdate(o: AdamWOptions): Compiled<AdamWUpdate> {
  const { beta1, beta2, eps, weightDecay, clipNorm } = validateAdamW(o);
  return compile((params: Params, grads: Params, m: Params, v: Params, s: StepScalars): [Params, Params, Params, Tensor] => {
    const names = Object.keys(params);
    const g: Params = {};
    for (const n of names) g[n] = ops.mul(grads[n], s.gradScale);
    let sq: Tensor | undefined;
    for (const n of names) {
      const part = ops.sum(ops.square(g[n]));
      sq = sq ? ops.add(sq, part) : part;
    }
    const norm = ops.sqrt(sq!);
    // clip coefficient min(1, c / (||g|| + 1e-6)); no clipping when clipNorm is 0/Infinity.
    const clip =
      clipNorm > 0 && Number.isFinite(clipNorm) ? ops.minimum(ops.mul(ops.pow(ops.add(norm, 1e-6), -1), clipNorm), 1) : undefined;
    const newP: Params = {};
    const newM: Params = {};
    const newV: Params = {};
    for (const n of names) {
      const gi = clip ? ops.mul(g[n], clip) : g[n];
      newM[n] = ops.add(ops.mul(m[n], beta1), ops.mul(gi, 1 - beta1));
      newV[n] = ops.add(ops.mul(v[n], beta2), ops.mul(ops.square(gi), 1 - beta2));
      const mHat = ops.div(newM[n], s.bc1);
      const vHat = ops.div(newV[n], s.bc2);
      let step = ops.div(mHat, ops.add(ops.sqrt(vHat), eps));
      // Decoupled weight decay: p <- p - lr * (adam_step + wd * p), matrices only.
      if (weightDecay > 0 && params[n].ndim >= 2) step = ops.add(step, ops.mul(params[n], weightDecay));
      newP[n] = ops.sub(params[n], ops.mul(step, s.lr));
    }
    return [newP, newM, newV, norm];
  });
}
