import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { validateModelConfig } from '../../src/engine/config.js';
import { lossInfo } from '../../src/engine/loss-info.js';
import { maskedCrossEntropy } from '../../src/engine/losses.js';
import { type LossFn, LlamaModel } from '../../src/engine/index.js';
import { type TrainBatch, type TrainEngine, Trainer, splitRows } from '../../src/engine/train.js';
import { policyLoss } from '../../src/training/losses.js';

const cfg = validateModelConfig({ vocabSize: 48, dModel: 32, nLayers: 2, nHeads: 2, dFF: 64, maxSeqLen: 16 });

function batch(seed: number, rows = 16, len = 11): TrainBatch {
  const rng = new Rng(seed);
  const seqs = Array.from({ length: rows }, () => [1, ...Array.from({ length: len }, () => rng.int(4, 40))]);
  // Ragged masks, so that chunks hold different numbers of tokens.
  const mask = seqs.map((s, i) => s.slice(1).map((_, t) => (t < 3 + (i % 7) ? 1 : 0)));
  const total = mask.flat().reduce((a: number, b) => a + b, 0);
  return {
    tokens: seqs.map((s) => s.slice(0, -1)),
    targets: seqs.map((s) => s.slice(1)),
    floats: {
      mask,
      // token-mean aggregation weights over the WHOLE batch (what src/training passes)
      weight: mask.map((r) => r.map((m) => m / total)),
      adv: seqs.map((_, i) => seqs[0].slice(1).map(() => (i % 3) - 1)),
      old_logp: seqs.map((s) => s.slice(1).map(() => -3.5)),
    },
  };
}

const ppo: LossFn = policyLoss({ clipLow: 0.2, clipHigh: 0.28, dualClip: 3, klLoss: null, entropyCoef: 0.01 });

async function run(lossFn: LossFn, chunks: number, workers: number, engine: TrainEngine, steps = 3) {
  const model = LlamaModel.init(cfg, 7);
  const tr = new Trainer(model, {
    miniBatchRows: 16,
    seqLen: 11,
    lossFn,
    microBatchRows: 16 / chunks,
    workers,
    engine,
    optimizer: { lr: 1e-2 },
    schedule: { warmupSteps: 1, totalSteps: steps },
  });
  const results = [];
  try {
    for (let s = 0; s < steps; s++) results.push(await tr.trainStep([batch(s)]));
    return { results, weights: model.hostWeights() };
  } finally {
    tr.dispose();
    model.dispose();
  }
}

function maxDiff(a: Map<string, { data: Float32Array }>, b: Map<string, { data: Float32Array }>): number {
  let d = 0;
  for (const [k, v] of a)
    v.data.forEach((x, i) => {
      d = Math.max(d, Math.abs(x - b.get(k)!.data[i]));
    });
  return d;
}

describe('data-parallel training', () => {
  it('splits rows into chunks and keeps row-indexed floats aligned', () => {
    const b = batch(0, 5);
    const parts = splitRows(b, 2);
    expect(parts.map((p) => p.tokens.length)).toEqual([2, 2, 1]);
    expect(parts[2].tokens[0]).toEqual(b.tokens[4]);
    expect((parts[1].floats!.mask as number[][])[1]).toEqual((b.floats!.mask as number[][])[3]);
  });

  it.each(['onnx', 'jax'] as const)(
    'gives bit-identical steps on 1 and 2 threads (SFT loss, 2 chunks, %s engine)',
    async (engine) => {
      const one = await run(maskedCrossEntropy, 2, 1, engine);
      const two = await run(maskedCrossEntropy, 2, 2, engine);
      expect(two.results).toEqual(one.results);
      expect(maxDiff(one.weights, two.weights)).toBe(0);
    },
    60_000,
  );

  it('gives bit-identical steps on 1 and 2 onnxruntime intra-op threads (one chunk)', async () => {
    const one = await run(maskedCrossEntropy, 1, 1, 'onnx');
    const two = await run(maskedCrossEntropy, 1, 2, 'onnx');
    expect(two.results).toEqual(one.results);
    expect(maxDiff(one.weights, two.weights)).toBe(0);
  }, 60_000);

  it.each(['onnx', 'jax'] as const)(
    'sums chunk gradients of a batch-normalised loss: a split PPO step equals the unsplit one (%s engine)',
    async (engine) => {
      expect(lossInfo(ppo).rows).toBe('sum');
      const whole = await run(ppo, 1, 1, engine);
      const split = await run(ppo, 4, 2, engine);
      for (let s = 0; s < whole.results.length; s++) {
        expect(split.results[s].loss).toBeCloseTo(whole.results[s].loss, 5);
        expect(split.results[s].gradNorm).toBeCloseTo(whole.results[s].gradNorm, 4);
        expect(split.results[s].metrics.pg_loss).toBeCloseTo(whole.results[s].metrics.pg_loss, 5);
        expect(split.results[s].metrics.entropy).toBeCloseTo(whole.results[s].metrics.entropy, 4);
      }
      expect(maxDiff(whole.weights, split.weights)).toBeLessThan(1e-5);
    },
    60_000,
  );

  it('refuses threads for a loss without a source, and bad settings', () => {
    const model = LlamaModel.init(cfg, 1);
    const anon: LossFn = (out, b) => maskedCrossEntropy(out, b);
    expect(() => new Trainer(model, { miniBatchRows: 8, seqLen: 8, lossFn: anon, microBatchRows: 4, workers: 2, engine: 'jax' })).toThrow(
      /loss with a source/,
    );
    // The onnx engine's threads are onnxruntime's: any loss runs on them.
    new Trainer(model, { miniBatchRows: 8, seqLen: 8, lossFn: anon, microBatchRows: 4, workers: 2, engine: 'onnx' }).dispose();
    expect(() => new Trainer(model, { miniBatchRows: 8, seqLen: 8, lossFn: anon, engine: 'tpu' as never })).toThrow(/engine/);
    expect(() => new Trainer(model, { miniBatchRows: 8, seqLen: 8, lossFn: anon, microBatchRows: 0 })).toThrow(/micro-batch rows/);
    expect(() => new Trainer(model, { miniBatchRows: 8, seqLen: 8, lossFn: anon, workers: 0 })).toThrow(/workers/);
    model.dispose();
  });
});
