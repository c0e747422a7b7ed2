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
  const bc1 = 1 / (1 - Math.pow(o.beta1, step));
  const bc2 = 1 / (1 - Math.pow(o.beta2, step));
  for (const [name, p] of params) {
    const decay = o.weightDecay > 0 && p.shape.length >= 2 ? o.weightDecay : 0;
    update(
      p.data,
      grads.get(name) ?? new Float32Array(p.data.length),
      m.get(name)!,
      v.get(name)!,
      scale,
      o.beta1,
      o.beta2,
      o.eps,
      decay,
      lr,
      bc1,
      bc2,
    );
  }
  return norm;
}

/** The per-element update of one tensor (a monomorphic loop: every argument a number or a Float32Array). */
function update(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  scale: number,
  beta1: number,
  beta2: number,
  eps: number,
  decay: number,
  lr: number,
  bc1: number,
  bc2: number,
): void {
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] * scale;
    const mNew = m[i] * beta1 + gi * b1;
    const vNew = v[i] * beta2 + gi * gi * b2;
    m[i] = mNew;
    v[i] = vNew;
    w[i] -= ((mNew * bc1) / (Math.sqrt(vNew * bc2) + eps) + decay * w[i]) * lr;
  }
}
