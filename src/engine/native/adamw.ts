/**
 * AdamW on the host for the native engine: the same update as ../optim.ts (Loshchilov & Hutter
 * 2019, Alg. 2; global-norm clipping, Pascanu et al. 2013; decoupled weight decay on matrices only)
 * over Float32Array weights and moments, updated in place. Arithmetic is float64 per element,
 * stored as float32 (the jitted jax-js update rounds every intermediate to float32 instead, so the
 * two agree to float32 rounding, not bit for bit).
 */
import type { AdamWOptions } from '../optim.js';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * One AdamW step: p, m, v updated in place from `grads` (times `gradScale`); returns the global
 * gradient norm before clipping. A parameter without a gradient has gradient 0 (it still decays).
 */
export function adamwStep(
  params: Map<string, HostTensor>,
  grads: Map<string, Float32Array>,
  m: Map<string, Float32Array>,
  v: Map<string, Float32Array>,
  o: AdamWOptions,
  lr: number,
  step: number,
  gradScale = 1,
): number {
  let sq = 0;
  for (const g of grads.values()) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i] * gradScale;
      sq += x * x;
    }
  }
  const norm = Math.sqrt(sq);
  const clip = o.clipNorm > 0 && Number.isFinite(o.clipNorm) ? Math.min(o.clipNorm / (norm + 1e-6), 1) : 1;
  const scale = gradScale * clip;
  const bc1 = 1 - Math.pow(o.beta1, step);
  const bc2 = 1 - Math.pow(o.beta2, step);
  const { beta1, beta2, eps, weightDecay } = o;
  for (const [name, p] of params) {
    const w = p.data;
    const g = grads.get(name);
    const mi = m.get(name)!;
    const vi = v.get(name)!;
    const decay = weightDecay > 0 && p.shape.length >= 2 ? weightDecay : 0;
    for (let i = 0; i < w.length; i++) {
      const gi = g ? g[i] * scale : 0;
      const mNew = mi[i] * beta1 + gi * (1 - beta1);
      const vNew = vi[i] * beta2 + gi * gi * (1 - beta2);
      mi[i] = mNew;
      vi[i] = vNew;
      const update = mNew / bc1 / (Math.sqrt(vNew / bc2) + eps) + decay * w[i];
      w[i] = w[i] - update * lr;
    }
  }
  return norm;
}
