/**
 * One home for "a sampler of either engine from host weights": the jax-js reference
 * (./jax-sampler.ts) or the onnxruntime fast path (./onnx/), loaded lazily so that a program that
 * never samples with it never starts onnxruntime. `rlmkit lm sample` and the trainers' rollouts
 * (src/training/rollout-sampler.ts) both open samplers here.
 */
import { runtimeError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import { createJaxSampler } from './jax-sampler.js';
import type { HostWeights, Sampler } from './sampler-types.js';

export type SamplerEngine = 'jax' | 'onnx';

/**
 * Builds a sampler of either engine. When onnxruntime-node cannot load, the error is a runtime
 * error naming the cause, with `hint` (how the caller picks the jax engine instead).
 */
export async function createSampler(
  engine: SamplerEngine,
  weights: HostWeights,
  config: ModelConfig,
  hint = 'sample with the jax engine',
): Promise<Sampler> {
  if (engine === 'jax') return createJaxSampler(weights, config);
  let mod: { createOnnxSampler: (w: HostWeights, c: ModelConfig) => Promise<Sampler> };
  try {
    mod = (await import('./onnx/sampler.js')) as typeof mod;
  } catch (e) {
    throw runtimeError(`the onnx engine cannot load (${(e as Error).message.split('\n')[0]})`, hint, e);
  }
  return mod.createOnnxSampler(weights, config);
}
