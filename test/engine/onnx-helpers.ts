/** Shared fixtures for the ONNX sampler tests: tiny configs, random weights, random sequences. */
import { Rng } from '../../src/core/rng.js';
import { type ModelConfig, validateModelConfig } from '../../src/engine/config.js';
import { randomWeights } from '../../src/engine/onnx/reference.js';
import type { HostWeights } from '../../src/engine/sampler-types.js';

export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return validateModelConfig({
    vocabSize: 19,
    dModel: 32,
    nLayers: 2,
    nHeads: 2,
    dFF: 40,
    maxSeqLen: 24,
    ropeTheta: 10000,
    normEps: 1e-5,
    tieEmbeddings: false,
    valueHead: true,
    ...overrides,
  });
}

/** Weights large enough that logits are far from uniform (a stronger parity check). */
export function testWeights(cfg: ModelConfig, seed = 1): HostWeights {
  return randomWeights(cfg, new Rng(seed), 0.25);
}

export function randomSeqs(rng: Rng, lengths: number[], vocabSize: number): number[][] {
  return lengths.map((n) => [1, ...Array.from({ length: n - 1 }, () => rng.int(0, vocabSize - 1))]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
