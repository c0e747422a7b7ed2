/** `rlmkit lm sample`: load a checkpoint, encode the prompt, sample with the chosen engine. */
import { runtimeError } from '../core/errors.js';
import { loadCheckpoint } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import type { HostWeights, SampleOptions, SampleResult, Sampler } from './sampler-types.js';
import { createJaxSampler } from './jax-sampler.js';
import { tokenizerFromSpec } from './tokenizer.js';

export interface LmSampleOptions {
  model: string;
  prompt: string;
  n: number;
  engine: 'jax' | 'onnx';
  options: SampleOptions;
}

export interface LmSample extends SampleResult {
  /** The decoded completion (the stop/eos token decoded by the tokenizer rules). */
  text: string;
}

/** Builds a sampler of either kind from host weights. */
export async function createSampler(engine: 'jax' | 'onnx', weights: HostWeights, config: ModelConfig): Promise<Sampler> {
  if (engine === 'jax') return createJaxSampler(weights, config);
  let mod: { createOnnxSampler: (w: HostWeights, c: ModelConfig) => Promise<Sampler> };
  try {
    mod = (await import('./onnx/sampler.js')) as typeof mod;
  } catch (e) {
    throw runtimeError(`the onnx engine cannot load (${(e as Error).message.split('\n')[0]})`, 'use --engine jax', e);
  }
  return mod.createOnnxSampler(weights, config);
}

export async function sampleFromCheckpoint(o: LmSampleOptions): Promise<LmSample[]> {
  const ckpt = loadCheckpoint(o.model);
  const tok = tokenizerFromSpec(ckpt.tokenizer);
  const prompt = [tok.bos, ...tok.encode(o.prompt, { maxLength: ckpt.config.maxSeqLen - 1 })];
  const sampler = await createSampler(o.engine, ckpt.weights, ckpt.config);
  try {
    const res = await sampler.sample(
      Array.from({ length: o.n }, () => prompt),
      o.options,
    );
    return res.map((r) => ({ ...r, text: tok.decode(r.tokens) }));
  } finally {
    sampler.dispose();
  }
}
