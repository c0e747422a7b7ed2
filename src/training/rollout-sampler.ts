/**
 * Samplers for rollouts and scoring, built from host weights: the onnxruntime fast path (default)
 * or the jax-js reference, opened by the engine's createSampler (src/engine/open-sampler.ts,
 * onnxruntime loaded lazily so that a trainer that never samples never starts it).
 */
import { runtimeError } from '../core/index.js';
import { type HostWeights, type ModelConfig, type Sampler, type SamplerEngine, createSampler } from '../engine/index.js';

/** The recipe's `rollout.backend`: which engine samples rollouts. */
export type RolloutBackend = SamplerEngine;

export function makeSampler(weights: HostWeights, config: ModelConfig, backend: RolloutBackend): Promise<Sampler> {
  return createSampler(backend, weights, config, 'set rollout.backend: jax in the recipe (where the section has one)');
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
