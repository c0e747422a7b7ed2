/**
 * The native (onnx) training engine against the jax-js engine and against finite differences:
 * gradients of every weight for losses that read each model output (log-probs, entropy, values,
 * logits), tied and untied heads, a temperature; whole Trainer steps of both engines; and the
 * log-probs the training graph computes against the onnx sampler's and the jax-js scorer's.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { type ModelConfig, validateModelConfig } from '../../src/engine/config.js';
import { GradComputer } from '../../src/engine/grad.js';
import { describeLoss } from '../../src/engine/loss-info.js';
import { maskedCrossEntropy, valueMse } from '../../src/engine/losses.js';
import { LlamaModel } from '../../src/engine/model.js';
import { LossEvaluator } from '../../src/engine/native/loss-eval.js';
import { NativeGrad } from '../../src/engine/native/native-grad.js';
import { packBatch } from '../../src/engine/grad.js';
import { lossInfo } from '../../src/engine/loss-info.js';
import { createOnnxSampler } from '../../src/engine/onnx/sampler.js';
import { LogprobScorer } from '../../src/engine/logprob-scorer.js';
import { hostTree, ops } from '../../src/engine/tensor.js';
import { type LossFn, type TrainBatch, type TrainEngine, Trainer } from '../../src/engine/train.js';
import { policyLoss, sftLoss } from '../../src/training/losses.js';

const base = { vocabSize: 24, dModel: 16, nLayers: 2, nHeads: 2, dFF: 40, maxSeqLen: 12 };
const T = 10;
const ROWS = 6;

function batch(seed: number, rows = ROWS): TrainBatch {
  const rng = new Rng(seed);
  const seqs = Array.from({ length: rows }, () => [1, ...Array.from({ length: T }, () => rng.int(4, 23))]);
  const mask = seqs.map((s, i) => s.slice(1).map((_, t) => (t < 4 + (i % 6) ? 1 : 0)));
  const total = mask.flat().reduce((a: number, b) => a + b, 0);
  return {
    tokens: seqs.map((s) => s.slice(0, -1)),
    targets: seqs.map((s) => s.slice(1)),
    floats: {
      mask,
      weight: mask.map((r) => r.map((m) => m / total)),
      adv: seqs.map((_, i) => seqs[0].slice(1).map((__, t) => ((i + t) % 3) - 1)),
      old_logp: seqs.map((s) => s.slice(1).map((_, t) => -3 - 0.1 * t)),
      returns: seqs.map((s) => s.slice(1).map((_, t) => Math.sin(t + s[1]))),
    },
  };
}

const ppo = policyLoss({ clipLow: 0.2, clipHigh: 0.28, dualClip: 3, klLoss: null, entropyCoef: 0.01 });
const logitsLoss: LossFn = describeLoss((out, b) => ({ loss: ops.maskedMean(ops.mean(ops.square(out.logits()), -1), b.mask) }), {
  rows: 'mean',
});

const cases: { name: string; cfg: Partial<ModelConfig>; loss: LossFn; linear: boolean; temperature?: number }[] = [
  { name: 'masked cross-entropy (linear, one call), untied', cfg: {}, loss: maskedCrossEntropy, linear: true },
  { name: 'masked cross-entropy, two passes, tied embeddings', cfg: { tieEmbeddings: true }, loss: maskedCrossEntropy, linear: false },
  { name: 'PPO clip + entropy bonus at temperature 0.7', cfg: {}, loss: ppo, linear: false, temperature: 0.7 },
  { name: 'value MSE (value head only)', cfg: { valueHead: true }, loss: valueMse, linear: false },
  {
    name: 'a loss over the logits, tied, with a value head',
    cfg: { tieEmbeddings: true, valueHead: true },
    loss: logitsLoss,
    linear: false,
  },
];

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 1e-12;
  a.forEach((x, i) => {
    d = Math.max(d, Math.abs(x - b[i]));
    m = Math.max(m, Math.abs(x));
  });
  return d / m;
}

describe('native training engine: gradients', () => {
  it.each(cases)(
    'matches the jax-js gradient of every weight: $name',
    async (c) => {
      const cfg = validateModelConfig({ ...base, ...c.cfg });
      const model = LlamaModel.init(cfg, 3);
      const b = batch(1);
      const jax = new GradComputer(cfg, 'float32', ROWS, T, c.loss, c.temperature ?? 1);
      const ref = jax.grad(model.params, b);
      const jaxGrads = hostTree(ref.grads);
      const native = new NativeGrad(cfg, {
        rows: ROWS,
        seqLen: T,
        lossFn: c.loss,
        linear: c.linear,
        temperature: c.temperature ?? 1,
        threads: 1,
      });
      try {
        const weights = model.hostWeights();
        const { losses, grads } = await native.step(weights, [{ batch: b, weight: 1 }]);
        expect(losses[0].loss).toBeCloseTo(ref.loss, 5);
        for (const [k, x] of Object.entries(ref.metrics)) expect(losses[0].metrics[k], k).toBeCloseTo(x, 5);
        let nonzero = 0;
        for (const [name, g] of jaxGrads) {
          const mine = grads.get(name) ?? new Float32Array(g.data.length);
          if (g.data.some((x) => x !== 0)) nonzero++;
          expect(relDiff(g.data, mine), name).toBeLessThan(1e-4);
        }
        expect(nonzero).toBeGreaterThan(5);
      } finally {
        native.dispose();
        jax.dispose();
        model.dispose();
      }
    },
    60_000,
  );

  it('agrees with central finite differences of its own forward pass (float32)', async () => {
    const cfg = validateModelConfig({ ...base, valueHead: true });
    const model = LlamaModel.init(cfg, 5);
    const b = batch(2);
    // Log-probs, entropy and values all in the loss.
    const mixed: LossFn = describeLoss(
      (out, x) => {
        const pg = ops.neg(ops.maskedMean(ops.mul(out.logprobs(), x.adv), x.mask));
        const vf = ops.maskedMean(ops.square(ops.sub(out.values(), x.returns)), x.mask);
        return { loss: ops.add(ops.add(pg, vf), ops.mul(ops.maskedMean(out.entropy(), x.mask), -0.1)) };
      },
      { rows: 'mean' },
    );
    const native = new NativeGrad(cfg, { rows: ROWS, seqLen: T, lossFn: mixed, linear: false, temperature: 1, threads: 1 });
    try {
      const w = model.hostWeights();
      // Sharper attention than at initialisation (N(0, 0.02) makes it nearly uniform), so that the
      // query and key gradients are not negligible.
      for (const [n, t] of w)
        if (/\.(wq|wk)\.weight$/.test(n))
          t.data.forEach((x, i) => {
            t.data[i] = 15 * x;
          });
      const { grads } = await native.step(w, [{ batch: b, weight: 1 }]);
      const rng = new Rng(11);
      // Per weight tensor: directional derivatives along that tensor's own gradient (a wrong
      // gradient points elsewhere, so the slope along it falls short) and along a random direction.
      let checked = 0;
      for (const [name, t] of w) {
        const g = grads.get(name)!;
        const gNorm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
        if (gNorm < 1e-4) continue;
        for (const dir of [g, Float32Array.from(t.data, () => rng.normal(0, 1))]) {
          const norm = Math.sqrt(dir.reduce((a, x) => a + x * x, 0));
          const analytic = dir.reduce((a, x, i) => a + (x * g[i]) / norm, 0);
          const h = 1e-2;
          const at = async (s: number) => {
            const moved = new Map(w);
            moved.set(name, { shape: t.shape, data: Float32Array.from(t.data, (x, i) => x + (s * h * dir[i]) / norm) });
            return (await native.evaluate(moved, b)).loss;
          };
          const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
          expect(Math.abs(numeric - analytic), `${name}: analytic ${analytic} vs numeric ${numeric}`).toBeLessThan(2e-5 + 0.01 * gNorm);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(30);
    } finally {
      native.dispose();
      model.dispose();
    }
  }, 60_000);
});

describe('losses declared linear', () => {
  it.each([
    ['maskedCrossEntropy', maskedCrossEntropy],
    ['sftLoss', sftLoss],
  ] as const)('%s has the same gradient w.r.t. the outputs at any point', (_, loss) => {
    expect(lossInfo(loss).linear).toBe(true);
    const cfg = validateModelConfig(base);
    const b = packBatch(batch(4), ROWS, T, cfg.vocabSize);
    const ev = new LossEvaluator(cfg, ROWS, T, loss, b);
    const rng = new Rng(5);
    const point = () =>
      Object.fromEntries(
        (['logprobs', 'entropy', 'values', 'logits'] as const)
          .filter((k) => ev.used[k])
          .map((k) => [k, Float32Array.from({ length: ev.size(k) }, () => rng.normal(-2, 1))]),
      );
    const a = ev.grad(point(), b).upstream;
    const c = ev.grad(point(), b).upstream;
    expect(Object.keys(a).length).toBeGreaterThan(0);
    for (const k of Object.keys(a) as (keyof typeof a)[]) expect(relDiff(a[k]!, c[k]!), k).toBeLessThan(1e-6);
    ev.dispose();
  });
});

describe('native training engine: steps and parity', () => {
  async function train(engine: TrainEngine, steps: number): Promise<{ losses: number[]; norms: number[]; model: LlamaModel }> {
    const cfg = validateModelConfig(base);
    const model = LlamaModel.init(cfg, 9);
    const tr = new Trainer(model, {
      miniBatchRows: 12,
      microBatchRows: 6,
      seqLen: T,
      lossFn: maskedCrossEntropy,
      engine,
      optimizer: { lr: 3e-3 },
      schedule: { warmupSteps: 1, totalSteps: steps },
    });
    const losses: number[] = [];
    const norms: number[] = [];
    for (let s = 0; s < steps; s++) {
      const r = await tr.trainStep([batch(100 + s, 12)]);
      losses.push(r.loss);
      norms.push(r.gradNorm);
    }
    tr.dispose();
    return { losses, norms, model };
  }

  it('takes the same steps as the jax-js engine (to float32 rounding)', async () => {
    const a = await train('onnx', 4);
    const b = await train('jax', 4);
    a.losses.forEach((x, i) => expect(x).toBeCloseTo(b.losses[i], 4));
    a.norms.forEach((x, i) => expect(x).toBeCloseTo(b.norms[i], 4));
    const wa = a.model.hostWeights();
    const wb = b.model.hostWeights();
    for (const [name, t] of wa) {
      let d = 0;
      t.data.forEach((x, i) => {
        d = Math.max(d, Math.abs(x - wb.get(name)!.data[i]));
      });
      expect(d, name).toBeLessThan(2e-4);
    }
    a.model.dispose();
    b.model.dispose();
  }, 60_000);

  it('computes the log-probs the samplers score (trainer <-> rollout parity <= 1e-4)', async () => {
    const { model } = await train('onnx', 3);
    const cfg = model.config;
    const b = batch(7);
    const native = new NativeGrad(cfg, { rows: ROWS, seqLen: T, lossFn: maskedCrossEntropy, linear: true, temperature: 1, threads: 1 });
    const onnx = await createOnnxSampler(model.hostWeights(), cfg, { threads: 1 });
    const scorer = new LogprobScorer(model);
    try {
      const lp = (await native.outputs(model.hostWeights(), b)).logprobs!;
      const seqs = b.tokens.map((row, i) => [...row, b.targets[i][row.length - 1]]);
      const fromOnnx = await onnx.scoreLogprobs(
        seqs,
        seqs.map(() => 1),
      );
      const fromJax = await scorer.tokenLogprobs(seqs);
      let worst = 0;
      seqs.forEach((s, i) => {
        for (let t = 0; t < T; t++) {
          worst = Math.max(worst, Math.abs(lp[i * T + t] - fromOnnx[i][t]), Math.abs(lp[i * T + t] - fromJax[i][t]));
        }
      });
      expect(worst).toBeLessThan(1e-4);
    } finally {
      native.dispose();
      onnx.dispose();
      model.dispose();
    }
  }, 60_000);

  it('recovers from a first batch the loss cannot read, and trains a loss that reads no output to a zero gradient', async () => {
    const cfg = validateModelConfig(base);
    const model = LlamaModel.init(cfg, 1);
    const tr = new Trainer(model, { miniBatchRows: ROWS, seqLen: T, lossFn: maskedCrossEntropy, engine: 'onnx' });
    const noMask = { tokens: batch(1).tokens, targets: batch(1).targets };
    await expect(tr.trainStep([noMask])).rejects.toThrow();
    const ok = await tr.trainStep([batch(1)]);
    expect(ok.loss).toBeGreaterThan(0);
    tr.dispose();
    const constant: LossFn = describeLoss((_, b) => ({ loss: ops.maskedMean(b.mask, b.mask) }), { rows: 'mean' });
    const tc = new Trainer(model, { miniBatchRows: ROWS, seqLen: T, lossFn: constant, engine: 'onnx', optimizer: { weightDecay: 0 } });
    const before = model.hostWeights();
    const r = await tc.trainStep([batch(2)]);
    expect(r.loss).toBeCloseTo(1, 6);
    expect(r.gradNorm).toBe(0);
    for (const [n, t] of model.hostWeights()) expect(relDiff(before.get(n)!.data, t.data), n).toBe(0);
    tc.dispose();
    model.dispose();
  }, 60_000);

  it('refuses an unknown engine and the onnx engine for a float64 model', () => {
    const cfg = validateModelConfig(base);
    const m64 = LlamaModel.init(cfg, 1, 'float64');
    expect(() => new Trainer(m64, { miniBatchRows: 2, seqLen: T, lossFn: maskedCrossEntropy, engine: 'onnx' })).toThrow(
      /float32 models only/,
    );
    const tr = new Trainer(m64, { miniBatchRows: 2, seqLen: T, lossFn: maskedCrossEntropy });
    expect(tr.engine).toBe('jax');
    tr.dispose();
    m64.dispose();
  });

  it('sees weights replaced on the model between steps, and gives the model its trained weights', async () => {
    const cfg = validateModelConfig(base);
    const model = LlamaModel.init(cfg, 1);
    const tr = new Trainer(model, { miniBatchRows: ROWS, seqLen: T, lossFn: maskedCrossEntropy, engine: 'onnx', optimizer: { lr: 1e-2 } });
    await tr.trainStep([batch(1)]);
    const trained = model.hostWeights();
    // Reading params (jax-js) after a native step gives the same weights.
    const fresh = LlamaModel.init(cfg, 2);
    const viaParams = hostTree(model.params);
    for (const [n, t] of trained) expect(relDiff(t.data, viaParams.get(n)!.data)).toBe(0);
    // Replacing the model's weights: the next step starts from them.
    model.setParams(fresh.params);
    const before = (await tr.evaluate(batch(3))).loss;
    const jax = new GradComputer(cfg, 'float32', ROWS, T, maskedCrossEntropy);
    expect(before).toBeCloseTo(jax.evaluate(model.params, batch(3)).loss, 5);
    jax.dispose();
    tr.dispose();
    model.dispose();
  }, 60_000);
});
