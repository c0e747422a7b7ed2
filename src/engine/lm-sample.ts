/** `rlmkit lm sample`: load a checkpoint, encode the prompt, sample with the chosen engine. */
import { loadCheckpoint } from './checkpoint.js';
import { createSampler } from './open-sampler.js';
import type { SampleOptions, SampleResult } from './sampler-types.js';
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

export async function sampleFromCheckpoint(o: LmSampleOptions): Promise<LmSample[]> {
  const ckpt = loadCheckpoint(o.model);
  const tok = tokenizerFromSpec(ckpt.tokenizer);
  const prompt = [tok.bos, ...tok.encode(o.prompt, { maxLength: ckpt.config.maxSeqLen - 1 })];
  const sampler = await createSampler(o.engine, ckpt.weights, ckpt.config, 'use --engine jax');
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
