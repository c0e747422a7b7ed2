/**
 * The Llama-style decoder of README.md ("The model, exactly"): token embedding, RMSNorm (Zhang &
 * Sennrich 2019), rotary position embedding (Su et al. 2021, adjacent-pair form), causal multi-head
 * attention (Vaswani et al. 2017), SwiGLU MLP (Shazeer 2020), LM head, optional tanh value head.
 *
 * The math here runs only inside jit-compiled functions (see tensor.ts, rule 1), so it uses the
 * borrowing `ops`. Parameters are a flat record keyed by the README's weight names.
 */
import { inputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { type ModelConfig, headDim, weightShapes } from './config.js';
import type { HostWeights } from './host-weights.js';
import { type DType, type Tensor, disposeTree, fromHost, ops, toHostSync } from './tensor.js';

export type Params = Record<string, Tensor>;

// ---------------------------------------------------------------- host-side tables and init

/** Inputs of rope(): see ropeTables. */
export interface RopeTables {
  cos: Tensor;
  sin: Tensor;
  swap: Tensor;
}

/**
 * RoPE tables for positions `pos[b][t]`: `cos` and a signed `sin` of shape [B, T, 1, headDim] so
 * that rope(x) = x * cos + swapPairs(x) * sinSigned, with swapPairs(x)[2j] = x[2j+1],
 * swapPairs(x)[2j+1] = x[2j] and sinSigned[2j] = -sin, sinSigned[2j+1] = +sin (README: theta_j =
 * pos * ropeTheta^(-2j/headDim)). Computed in float64 on the host, then rounded once. `swap` is the
 * [hd, hd] permutation matrix with x @ swap = swapPairs(x) (exact: one 1 per column).
 */
export function ropeTables(cfg: ModelConfig, positions: number[][], dtype: DType = 'float32'): RopeTables {
  const hd = headDim(cfg);
  const B = positions.length;
  const T = positions[0]?.length ?? 0;
  const cos = new Float64Array(B * T * hd);
  const sin = new Float64Array(B * T * hd);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const pos = positions[b][t];
      const base = (b * T + t) * hd;
      for (let j = 0; j < hd / 2; j++) {
        const theta = pos * Math.pow(cfg.ropeTheta, (-2 * j) / hd);
        const c = Math.cos(theta);
        const s = Math.sin(theta);
        cos[base + 2 * j] = c;
        cos[base + 2 * j + 1] = c;
        sin[base + 2 * j] = -s;
        sin[base + 2 * j + 1] = s;
      }
    }
  }
  const swap = new Float64Array(hd * hd);
  for (let j = 0; j < hd / 2; j++) {
    swap[(2 * j + 1) * hd + 2 * j] = 1;
    swap[2 * j * hd + 2 * j + 1] = 1;
  }
  return { cos: fromHost(cos, [B, T, 1, hd], dtype), sin: fromHost(sin, [B, T, 1, hd], dtype), swap: fromHost(swap, [hd, hd], dtype) };
}

/** The additive causal mask [1, 1, T, T]: 0 on and below the diagonal, -1e9 above (exp gives 0). */
export function causalMask(T: number, dtype: DType = 'float32'): Tensor {
  const m = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = MASKED;
  return fromHost(m, [1, 1, T, T], dtype);
}

/** Large negative logit for masked attention entries: exp underflows to exactly 0, like -inf, but
 * never produces NaN (inf - inf) in a fully masked padding row. */
export const MASKED = -1e9;

/**
 * Fresh weights: N(0, 0.02) for matrices, with the residual output projections (wo, w2) scaled by
 * 1/sqrt(2 nLayers) as in GPT-2 (Radford et al. 2019); RMSNorm gains 1; value-head bias 0.
 */
export function initHostWeights(cfg: ModelConfig, seed: number): HostWeights {
  const rng = new Rng(seed).fork('engine.init');
  const out: HostWeights = new Map();
  const residualStd = 0.02 / Math.sqrt(2 * cfg.nLayers);
  for (const [name, shape] of weightShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (name === 'value_head.bias') data.fill(0);
    else {
      const std = /\.(wo|w2)\.weight$/.test(name) ? residualStd : 0.02;
      for (let i = 0; i < n; i++) data[i] = rng.normal(0, std);
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** Checks that `weights` holds exactly the tensors `cfg` needs, with the right shapes. */
export function checkWeights(weights: HostWeights, cfg: ModelConfig, source = 'weights'): void {
  const wanted = weightShapes(cfg);
  for (const [name, shape] of wanted) {
    const w = weights.get(name);
    if (!w)
      throw inputError(
        `${source}: missing tensor "${name}" required by the model config`,
        'the checkpoint and the config do not match; use the config stored with the checkpoint',
      );
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw inputError(
        `${source}: tensor "${name}" has shape [${w.shape}] but the model config needs [${shape}]`,
        'the checkpoint and the config do not match; use the config stored with the checkpoint',
      );
    }
    if (w.data.length !== shape.reduce((a, b) => a * b, 1))
      throw inputError(`${source}: tensor "${name}" holds ${w.data.length} values, expected ${shape.reduce((a, b) => a * b, 1)}`);
  }
  const names = new Set(wanted.map(([n]) => n));
  const extra = [...weights.keys()].filter((n) => !names.has(n));
  if (extra.length)
    throw inputError(
      `${source}: unexpected tensors ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', ...' : ''} for this model config`,
      'the checkpoint and the config do not match (e.g. valueHead or tieEmbeddings differ)',
    );
}

export function paramsFromHost(weights: HostWeights, cfg: ModelConfig, dtype: DType = 'float32'): Params {
  checkWeights(weights, cfg);
  const p: Params = {};
  for (const [name, shape] of weightShapes(cfg)) p[name] = fromHost(weights.get(name)!.data, shape, dtype);
  return p;
}

/** Copies parameters to the host as float32 (does not consume them). */
export function hostFromParams(params: Params, cfg: ModelConfig): HostWeights {
  const out: HostWeights = new Map();
  for (const [name, shape] of weightShapes(cfg)) {
    const d = toHostSync(params[name].ref);
    out.set(name, { shape, data: d instanceof Float32Array ? d.slice() : Float32Array.from(d) });
  }
  return out;
}

// ---------------------------------------------------------------- the math (traced only)
//
// Shapes: B rows, T positions, D = dModel, H heads of hd = D / H, F = the MLP's hidden size,
// V = vocabSize, N = any number of rows (B*T for a whole sequence, B for one decode step).

/** rmsnorm(x) * g over the last axis: x / sqrt(mean(x^2) + eps) * g. */
export function rmsNorm(x: Tensor, g: Tensor, eps: number): Tensor {
  const ms = ops.mean(ops.square(x), -1, true); // [..., 1]
  return ops.mul(ops.div(x, ops.sqrt(ops.add(ms, eps))), g);
}

/** Rotary embedding on x [B, T, H, hd] with tables [B|1, T, 1, hd] (see ropeTables): x cos + swapPairs(x) sinSigned. */
export function rope(x: Tensor, r: RopeTables): Tensor {
  return ops.add(ops.mul(x, r.cos), ops.mul(swapPairs(x, r.swap), r.sin));
}

/** silu(h W1^T) * (h W3^T) W2^T for h [N, D]. */
export function swiglu(h: Tensor, w1: Tensor, w2: Tensor, w3: Tensor): Tensor {
  const gate = ops.silu(linear(h, w1)); // [N, F]
  const up = linear(h, w3); // [N, F]
  return linear(ops.mul(gate, up), w2); // [N, D]
}

/** softmax(q k^T / sqrt(hd) + mask) v for q [B, H, Tq, hd], k/v [B, H, S, hd], mask broadcastable to [B, H, Tq, S]. */
export function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor): Tensor {
  const hd = q.shape[3];
  const dots = ops.gradBarrier(ops.matmul(q, ops.transpose(k, [0, 1, 3, 2]))); // [B, H, Tq, S] (barrier: see below)
  const scores = ops.add(ops.mul(dots, 1 / Math.sqrt(hd)), mask); // [B, H, Tq, S]
  return ops.matmul(ops.softmax(scores, -1), v); // [B, H, Tq, hd]
}

/** The projections of one layer's normed input h [B*T, D] to heads, rotated: q, k, v [B, H, T, hd]. */
export function queryKeyValue(p: Params, l: string, cfg: ModelConfig, h: Tensor, B: number, T: number, r: RopeTables) {
  const H = cfg.nHeads;
  const hd = headDim(cfg);
  const heads = (y: Tensor) => ops.reshape(y, [B, T, H, hd]); // [B*T, D] -> [B, T, H, hd]
  const headsFirst = (y: Tensor) => ops.transpose(y, [0, 2, 1, 3]); // [B, T, H, hd] -> [B, H, T, hd]
  const q = headsFirst(rope(heads(linear(h, p[`${l}attention.wq.weight`])), r)); // [B, H, T, hd]
  const k = headsFirst(rope(heads(linear(h, p[`${l}attention.wk.weight`])), r)); // [B, H, T, hd]
  const v = headsFirst(heads(linear(h, p[`${l}attention.wv.weight`]))); // [B, H, T, hd]
  return { q, k, v };
}

/** The residual add of the attention output a [B, H, T, hd] to x [B*T, D]: x + concat_heads(a) Wo^T. */
export function addAttentionOutput(p: Params, l: string, cfg: ModelConfig, x: Tensor, a: Tensor): Tensor {
  const merged = mergeHeadsNegated(a, x.shape[0], cfg.dModel); // [B*T, D], negated (see below)
  const out = linear(merged, p[`${l}attention.wo.weight`]); // [B*T, D] = -(concat_heads(a) Wo^T)
  return ops.sub(x, out); // [B*T, D]
}

/** One layer's attention block over whole sequences: x + Attention(RMSNorm(x)), x [B*T, D]. */
export function attentionBlock(
  p: Params,
  l: string,
  cfg: ModelConfig,
  x: Tensor,
  B: number,
  T: number,
  r: RopeTables,
  mask: Tensor,
): Tensor {
  const h = rmsNorm(x, p[`${l}attention_norm.weight`], cfg.normEps); // [B*T, D]
  const { q, k, v } = queryKeyValue(p, l, cfg, h, B, T, r); // [B, H, T, hd] each
  const a = attend(q, k, v, mask); // [B, H, T, hd]
  return addAttentionOutput(p, l, cfg, x, a); // [B*T, D]
}

/** One layer's MLP block: x + SwiGLU(RMSNorm(x)), x [N, D]. */
export function mlpBlock(p: Params, l: string, cfg: ModelConfig, x: Tensor): Tensor {
  const h = rmsNorm(x, p[`${l}ffn_norm.weight`], cfg.normEps); // [N, D]
  const y = swiglu(h, p[`${l}feed_forward.w1.weight`], p[`${l}feed_forward.w2.weight`], p[`${l}feed_forward.w3.weight`]); // [N, D]
  return ops.add(x, y); // [N, D]
}

/**
 * The trunk over a whole sequence: tokens [B, T] -> final normed hidden states [B*T, D].
 * `r` from ropeTables, `mask` additive [B|1, 1, T, T].
 */
export function trunk(p: Params, cfg: ModelConfig, tokens: Tensor, r: RopeTables, mask: Tensor, dtype: DType): Tensor {
  const [B, T] = tokens.shape;
  let x = embed(tokens, p['tok_embeddings.weight'], cfg.vocabSize, dtype); // [B*T, D]
  for (let i = 0; i < cfg.nLayers; i++) {
    const l = `layers.${i}.`;
    x = attentionBlock(p, l, cfg, x, B, T, r, mask); // [B*T, D]
    x = mlpBlock(p, l, cfg, x); // [B*T, D]
  }
  return rmsNorm(x, p['norm.weight'], cfg.normEps); // [B*T, D]
}

/** LM head: [N, D] -> logits [N, V] (tied: the embedding table). */
export function lmHead(p: Params, cfg: ModelConfig, x: Tensor): Tensor {
  return linear(x, cfg.tieEmbeddings ? p['tok_embeddings.weight'] : p['output.weight']);
}

/** Value head: [N, D] -> tanh(x w^T + b) as [N]. */
export function valueHead(p: Params, x: Tensor): Tensor {
  const [N] = x.shape;
  return ops.reshape(ops.tanh(ops.add(linear(x, p['value_head.weight']), p['value_head.bias'])), [N]);
}

// ---------------------------------------------------------------- speed workarounds (jax-js)
//
// Each function below computes exactly what its plain form would (same values, same gradients);
// it is written this way only because jax-js 0.1.25's jit is much slower on the plain form.
// The measurements are in README.md ("Speed notes for the jax engine").

/**
 * y = x W^T for x [N, in] and W [out, in] (PyTorch layout). The output passes a gradBarrier so
 * that the backward matmuls read a materialised cotangent (see ops.gradBarrier); without it jit
 * fuses elementwise producers into the matmul loads and recomputes them per multiply-add.
 */
export function linear(x: Tensor, w: Tensor): Tensor {
  return ops.gradBarrier(ops.matmul(x, ops.transpose(w)));
}

/** Token embedding as one-hot @ table (vocabularies are small; this keeps the gradient a matmul, not a scatter). */
export function embed(tokens: Tensor, table: Tensor, vocabSize: number, dtype: DType): Tensor {
  const [B, T] = tokens.shape;
  return ops.gradBarrier(ops.matmul(ops.oneHot(ops.reshape(tokens, [B * T]), vocabSize, dtype), table)); // [B*T, D]
}

/**
 * swapPairs(x)[2j] = x[2j+1], swapPairs(x)[2j+1] = x[2j], as a matmul with the permutation
 * matrix `swap` of ropeTables (exact: one 1 per column): jax-js differentiates a flip-of-reshape
 * 10x slower.
 */
function swapPairs(x: Tensor, swap: Tensor): Tensor {
  return ops.matmul(x, swap);
}

/**
 * Attention output [B, H, T, hd] -> NEGATED concat of heads [B*T, D]; the caller subtracts
 * (x - (-a) Wo^T == x + a Wo^T exactly in IEEE arithmetic). Why the negation: jax-js fuses the
 * transpose + reshape view into the Wo matmul's loads, and that merged view costs a div/mod per
 * multiply-add (measured 5x slower). An elementwise op (negation is exact) makes jit materialise
 * the transposed heads contiguously first; a multiplication by 1 would be folded away.
 */
export function mergeHeadsNegated(a: Tensor, rows: number, dModel: number): Tensor {
  return ops.reshape(ops.neg(ops.transpose(a, [0, 2, 1, 3])), [rows, dModel]);
}

// ---------------------------------------------------------------- the model object

/**
 * A model with its parameters on the jax-js device, or on the host while the native training
 * engine owns them (then `params` uploads them on first use after each change). Call dispose()
 * when done.
 */
export class LlamaModel {
  private disposed = false;
  private device?: Params;
  private host?: HostWeights;

  constructor(
    readonly config: ModelConfig,
    params: Params,
    readonly dtype: DType = 'float32',
  ) {
    this.device = params;
  }

  static init(cfg: ModelConfig, seed: number, dtype: DType = 'float32'): LlamaModel {
    return new LlamaModel(cfg, paramsFromHost(initHostWeights(cfg, seed), cfg, dtype), dtype);
  }

  static fromHostWeights(weights: HostWeights, cfg: ModelConfig, dtype: DType = 'float32'): LlamaModel {
    return new LlamaModel(cfg, paramsFromHost(weights, cfg, dtype), dtype);
  }

  /** The parameters as jax-js arrays (uploaded from the host weights when those are newer). */
  get params(): Params {
    this.assertAlive();
    this.device ??= paramsFromHost(this.host!, this.config, this.dtype);
    return this.device;
  }

  /** Takes `params` as the weights (the caller has consumed or released the previous ones). */
  set params(params: Params) {
    this.device = params;
    this.host = undefined;
  }

  /** The weights on the host as float32, by README name (the ONNX sampler and checkpoints take these). */
  hostWeights(): HostWeights {
    this.assertAlive();
    if (this.host) {
      const out: HostWeights = new Map();
      for (const [name, w] of this.host) out.set(name, { shape: [...w.shape], data: w.data.slice() });
      return out;
    }
    return hostFromParams(this.params, this.config);
  }

  /**
   * Native engine: `weights` (float32, owned by the caller, updated in place by it) become the
   * model's weights; call again after each in-place change so that `params` is uploaded afresh.
   */
  useHostWeights(weights: HostWeights): void {
    this.assertAlive();
    checkWeights(weights, this.config);
    if (this.device) disposeTree(this.device);
    this.device = undefined;
    this.host = weights;
  }

  /** The host weights passed to useHostWeights, while they are still the model's weights. */
  get sharedHostWeights(): HostWeights | undefined {
    return this.host;
  }

  /** Replaces the parameters (the old ones are released). */
  setParams(params: Params): void {
    this.assertAlive();
    if (this.device) disposeTree(this.device);
    this.device = params;
    this.host = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.device) disposeTree(this.device);
    this.device = undefined;
    this.host = undefined;
  }

  assertAlive(): void {
    if (this.disposed) throw new Error('LlamaModel used after dispose()');
  }
}
