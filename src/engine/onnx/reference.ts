/**
 * A deliberately plain float64 forward pass of the model in ../README.md, written from the spec
 * with loops and no tricks, used as the ground truth in tests of the ONNX graph (and of anything
 * else that claims to implement the model). Slow: tiny configs only.
 */
import { type ModelConfig, weightShapes } from '../config.js';
import type { HostWeights } from '../host-weights.js';

export interface ReferenceOutput {
  /** [T][V] logits at every position. */
  logits: number[][];
  /** [T] tanh value-head outputs (empty without a value head). */
  values: number[];
}

function w(weights: HostWeights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference forward: missing weight ${name}`);
  return t.data;
}

/** y = x W^T for W in PyTorch layout [out, in]. */
function linear(x: number[], W: Float32Array, out: number): number[] {
  const n = x.length;
  const y = new Array<number>(out).fill(0);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * W[o * n + i];
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: number[], weight: Float32Array, eps: number): number[] {
  let ms = 0;
  for (const v of x) ms += v * v;
  ms /= x.length;
  const r = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * r * weight[i]);
}

/** Adjacent-pair RoPE on one head vector at position `pos`. */
function rope(x: number[], pos: number, theta: number): number[] {
  const dh = x.length;
  const y = x.slice();
  for (let j = 0; j < dh / 2; j++) {
    const ang = pos * Math.pow(theta, (-2 * j) / dh);
    const c = Math.cos(ang);
    const s = Math.sin(ang);
    y[2 * j] = x[2 * j] * c - x[2 * j + 1] * s;
    y[2 * j + 1] = x[2 * j] * s + x[2 * j + 1] * c;
  }
  return y;
}

/** Forward pass over one sequence at positions 0..T-1. */
export function referenceForward(weights: HostWeights, cfg: ModelConfig, tokens: number[]): ReferenceOutput {
  const { dModel: D, nHeads: H, dFF: F, vocabSize: V } = cfg;
  const Dh = D / H;
  const T = tokens.length;
  const emb = w(weights, 'tok_embeddings.weight');
  let xs: number[][] = tokens.map((t) => Array.from(emb.subarray(t * D, (t + 1) * D)));

  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    const hs = xs.map((x) => rmsnorm(x, w(weights, `${p}attention_norm.weight`), cfg.normEps));
    const q = hs.map((h) => linear(h, w(weights, `${p}attention.wq.weight`), D));
    const k = hs.map((h) => linear(h, w(weights, `${p}attention.wk.weight`), D));
    const v = hs.map((h) => linear(h, w(weights, `${p}attention.wv.weight`), D));
    const head = (vec: number[], hd: number) => vec.slice(hd * Dh, (hd + 1) * Dh);
    const attnOut: number[][] = Array.from({ length: T }, () => new Array<number>(D).fill(0));
    for (let hd = 0; hd < H; hd++) {
      const qh = q.map((row, t) => rope(head(row, hd), t, cfg.ropeTheta));
      const kh = k.map((row, t) => rope(head(row, hd), t, cfg.ropeTheta));
      const vh = v.map((row) => head(row, hd));
      for (let t = 0; t < T; t++) {
        // causal: keys 0..t
        const scores: number[] = [];
        for (let u = 0; u <= t; u++) {
          let s = 0;
          for (let d = 0; d < Dh; d++) s += qh[t][d] * kh[u][d];
          scores.push(s / Math.sqrt(Dh));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let u = 0; u <= t; u++) {
          const pr = e[u] / z;
          for (let d = 0; d < Dh; d++) attnOut[t][hd * Dh + d] += pr * vh[u][d];
        }
      }
    }
    xs = xs.map((x, t) => {
      const o = linear(attnOut[t], w(weights, `${p}attention.wo.weight`), D);
      return x.map((xv, i) => xv + o[i]);
    });
    xs = xs.map((x) => {
      const h = rmsnorm(x, w(weights, `${p}ffn_norm.weight`), cfg.normEps);
      const gate = linear(h, w(weights, `${p}feed_forward.w1.weight`), F);
      const up = linear(h, w(weights, `${p}feed_forward.w3.weight`), F);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]);
      const down = linear(act, w(weights, `${p}feed_forward.w2.weight`), D);
      return x.map((xv, i) => xv + down[i]);
    });
  }

  const finals = xs.map((x) => rmsnorm(x, w(weights, 'norm.weight'), cfg.normEps));
  const head = cfg.tieEmbeddings ? w(weights, 'tok_embeddings.weight') : w(weights, 'output.weight');
  const logits = finals.map((h) => linear(h, head, V));
  const values = cfg.valueHead
    ? finals.map((h) => Math.tanh(linear(h, w(weights, 'value_head.weight'), 1)[0] + w(weights, 'value_head.bias')[0]))
    : [];
  return { logits, values };
}

/** log_softmax of a logit row, in float64. */
export function logSoftmax(logits: ArrayLike<number>, temperature = 1): number[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i] / temperature);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] / temperature - m);
  const lz = m + Math.log(z);
  return Array.from(logits, (l) => l / temperature - lz);
}

/** Random weights for tests and benchmarks: N(0, std) matrices, norms near 1. */
export function randomWeights(cfg: ModelConfig, rng: { normal(mean?: number, std?: number): number }, std = 0.08): HostWeights {
  const out: HostWeights = new Map();
  for (const [name, shape] of weightShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isNorm = name.endsWith('norm.weight');
    for (let i = 0; i < n; i++) data[i] = isNorm ? 1 + rng.normal(0, 0.1) : rng.normal(0, std);
    out.set(name, { shape: shape.slice(), data });
  }
  return out;
}
