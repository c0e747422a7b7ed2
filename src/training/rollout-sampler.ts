/**
 * Samplers for rollouts and scoring, built from host weights: the onnxruntime fast path (default)
 * or the jax-js reference. Loaded lazily so that a trainer that never samples never starts
 * onnxruntime.
 */
import { runtimeError } from '../core/index.js';
import { type HostWeights, type ModelConfig, type Sampler, createJaxSampler } from '../engine/index.js';

export type RolloutBackend = 'onnx' | 'jax';

export async function makeSampler(weights: HostWeights, config: ModelConfig, backend: RolloutBackend): Promise<Sampler> {
  if (backend === 'jax') return createJaxSampler(weights, config);
  const { createOnnxSampler } = await import('../engine/onnx/sampler.js');
  return createOnnxSampler(weights, config);
}

/**
 * Value-head outputs at every position of each sequence (for GAE's V(s_t)); onnxruntime only,
 * since the Sampler interface exposes the last position alone.
 */
export async function valuesAtAllPositions(weights: HostWeights, config: ModelConfig, seqs: number[][]): Promise<Float32Array[]> {
  if (!config.valueHead) throw runtimeError('the critic has no value head', 'this is a bug in rlmkit: critics are built with a value head');
  const { createOnnxSampler } = await import('../engine/onnx/sampler.js');
  const s = await createOnnxSampler(weights, config);
  try {
    const { values } = await s.forward(seqs);
    return values!;
  } finally {
    s.dispose();
  }
}
