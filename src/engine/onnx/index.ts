/**
 * The onnxruntime half of the engine (see README.md): fast batched sampling from our own weights.
 * Importing this never loads onnxruntime-node; `createOnnxSampler` loads it on first use, so a
 * machine where its native binary cannot load still imports the engine (and can fall back to jax-js).
 */
import { runtimeError } from '../../core/errors.js';
import type { ModelConfig } from '../config.js';
import type { HostWeights } from '../host-weights.js';
import type { OnnxSampler, OnnxSamplerOptions } from './sampler.js';

export type { OnnxSampler, OnnxSamplerOptions } from './sampler.js';
export { type OpSet } from './decoder-graphs.js';
export { buildOnnxModels } from './models.js';
export { referenceForward, type ReferenceOutput } from './reference.js';

/** See ./sampler.ts. Rejects with an RlmkitError when onnxruntime-node cannot load. */
export async function createOnnxSampler(weights: HostWeights, config: ModelConfig, opts?: OnnxSamplerOptions): Promise<OnnxSampler> {
  let mod: typeof import('./sampler.js');
  try {
    mod = await import('./sampler.js');
  } catch (e) {
    throw runtimeError(
      `onnxruntime-node cannot load: ${(e as Error).message.split('\n')[0]}`,
      'reinstall dependencies (ONNXRUNTIME_NODE_INSTALL=skip npm ci) or use the jax engine',
      e,
    );
  }
  return mod.createOnnxSampler(weights, config, opts);
}
