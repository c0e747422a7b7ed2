/**
 * The ONNX graph of the Llama-style decoder in ../README.md ("The model, exactly"), built from host
 * weights. One graph serves prefill, KV-cache decode and full-sequence scoring: the number of new
 * tokens S and of cached positions P are both dynamic.
 *
 * Inputs
 *   input_ids        int64 [B, S]          the new tokens
 *   position_ids     int64 [B, S]          their positions (per row, so ragged batches need no padding tricks)
 *   attention_bias   float [B, 1, S, P+S]  0 where a query may attend a key, -1e9 elsewhere; keys are
 *                                          the P cached slots followed by the S new tokens
 *   past_key_{i}     float [B, H, Dh, P]   cached rotated keys of layer i, stored transposed
 *   past_value_{i}   float [B, H, P, Dh]   cached values of layer i
 * Outputs
 *   logits           float [B, S, V]
 *   new_key_{i}      float [B, H, Dh, S]   the new tokens' keys (the host writes them into its cache)
 *   new_value_{i}    float [B, H, S, Dh]
 *   values           float [B, S]          tanh value head (only when config.valueHead)
 *
 * Design choices, for speed on a CPU:
 * - The KV cache lives on the host in fixed-capacity buffers. The graph never concatenates it with
 *   the new keys (that would copy the whole cache every step): scores against the cache and against
 *   the new tokens are computed separately, softmaxed together, and the two halves of the
 *   probabilities multiply the two halves of the values.
 * - q, k and v come from one MatMul. RoPE's pair rotation is a fixed permutation, so it is folded
 *   into extra weight columns: rope(x) = x * cos + swap_pairs(x) * sin_signed, and
 *   swap_pairs(h W^T) = h (P W)^T with P swapping rows 2j and 2j+1. The 1/sqrt(Dh) attention scale
 *   is folded into the query weights.
 * - gate and up projections of the SwiGLU MLP are one MatMul.
 */
import type { ModelConfig } from '../config.js';
import type { HostWeights } from '../sampler.js';
import { DataType, GraphBuilder, attr, encodeModel } from './onnx-model.js';

/** Large negative additive mask: exp(-1e9 - max) is exactly 0 in float32, and never NaN. */
export const MASKED = -1e9;

export type NormImpl = 'decomposed' | 'fused';

export interface DecoderGraphOptions {
  /**
   * RMSNorm as standard ops (Pow, ReduceMean, Add, Sqrt, Div, Mul; onnxruntime fuses them) or as
   * onnxruntime's SimplifiedLayerNormalization kernel (an onnxruntime extension, not standard ONNX).
   */
  norm?: NormImpl;
}

export const OPSET = 17;

export function decoderInputNames(cfg: ModelConfig): string[] {
  const names = ['input_ids', 'position_ids', 'attention_bias'];
  for (let i = 0; i < cfg.nLayers; i++) names.push(`past_key_${i}`, `past_value_${i}`);
  return names;
}

export function decoderOutputNames(cfg: ModelConfig): string[] {
  const names = ['logits'];
  for (let i = 0; i < cfg.nLayers; i++) names.push(`new_key_${i}`, `new_value_${i}`);
  if (cfg.valueHead) names.push('values');
  return names;
}

function get(weights: HostWeights, name: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`decoder graph: weight ${name} missing (checkWeights should have caught this)`);
  return w.data;
}

/**
 * Writes `W^T` (W is [rows, cols], PyTorch layout) into columns `colOffset..` of a row-major
 * [cols, totalCols] matrix, optionally permuting and scaling W's rows first.
 */
function putTransposed(dst: Float32Array, totalCols: number, colOffset: number, w: Float32Array, rows: number, cols: number, rowOf: (r: number) => number = (r) => r, scale = 1): void {
  for (let r = 0; r < rows; r++) {
    const src = rowOf(r) * cols;
    for (let c = 0; c < cols; c++) dst[c * totalCols + colOffset + r] = w[src + c] * scale;
  }
}

/** RoPE tables for the fused q|k block, [maxSeqLen, 2 * dModel]: cos, and sin signed for the pair swap. */
function ropeTables(cfg: ModelConfig): { cos: Float32Array; sin: Float32Array } {
  const dh = cfg.dModel / cfg.nHeads;
  const width = 2 * cfg.dModel;
  const cos = new Float32Array(cfg.maxSeqLen * width);
  const sin = new Float32Array(cfg.maxSeqLen * width);
  for (let p = 0; p < cfg.maxSeqLen; p++) {
    for (let c = 0; c < width; c++) {
      const d = c % dh;
      const j = d >> 1;
      // theta_j = pos * ropeTheta^(-2j/headDim)   (RoFormer, Su et al. 2021, eq. 15; Llama "normal" pairs)
      const theta = p * Math.pow(cfg.ropeTheta, (-2 * j) / dh);
      cos[p * width + c] = Math.cos(theta);
      // (x0, x1) -> (x0 cos - x1 sin, x1 cos + x0 sin): the swapped partner gets -sin on even, +sin on odd
      sin[p * width + c] = d % 2 === 0 ? -Math.sin(theta) : Math.sin(theta);
    }
  }
  return { cos, sin };
}

/** Builds the serialized ONNX ModelProto. Weights must already be checked (checkWeights). */
export function buildDecoderModel(weights: HostWeights, cfg: ModelConfig, o: DecoderGraphOptions = {}): Uint8Array {
  const norm = o.norm ?? 'decomposed';
  const { dModel: D, nHeads: H, dFF: F, vocabSize: V, nLayers } = cfg;
  const Dh = D / H;
  const g = new GraphBuilder('rlmkit_decoder');

  const ids = g.input('input_ids', DataType.INT64, ['batch', 'seq']);
  const pos = g.input('position_ids', DataType.INT64, ['batch', 'seq']);
  const bias = g.input('attention_bias', DataType.FLOAT, ['batch', 1, 'seq', 'total']);
  const pastK: string[] = [];
  const pastV: string[] = [];
  for (let i = 0; i < nLayers; i++) {
    pastK.push(g.input(`past_key_${i}`, DataType.FLOAT, ['batch', H, Dh, 'past']));
    pastV.push(g.input(`past_value_${i}`, DataType.FLOAT, ['batch', H, 'past', Dh]));
  }

  // Shared constants.
  const tokEmb = g.initializer('tok_embeddings.weight', DataType.FLOAT, [V, D], get(weights, 'tok_embeddings.weight'));
  const rope = ropeTables(cfg);
  const cosTable = g.floatConst('rope_cos', [cfg.maxSeqLen, 2 * D], rope.cos);
  const sinTable = g.floatConst('rope_sin', [cfg.maxSeqLen, 2 * D], rope.sin);
  let normConsts: { eps: string; two: string } | undefined;
  const splitQkv = g.int64Const('split_qkv', [2 * D, 2 * D, D]);
  const splitQk = g.int64Const('split_qk', [D, D]);
  const splitFf = g.int64Const('split_ff', [F, F]);
  const headsShape = g.int64Const('heads_shape', [0, 0, H, Dh]);
  const modelShape = g.int64Const('model_shape', [0, 0, D]);
  const zero = g.int64Const('zero', [0]);
  const bigEnd = g.int64Const('end', [Number.MAX_SAFE_INTEGER]);
  const axis3 = g.int64Const('axis3', [3]);

  const rmsnorm = (x: string, weightName: string): string => {
    const w = g.initializer(weightName, DataType.FLOAT, [D], get(weights, weightName));
    if (norm === 'fused') {
      return g.op('SimplifiedLayerNormalization', [x, w], { axis: attr.int(-1), epsilon: attr.float(cfg.normEps) });
    }
    // rmsnorm(x) = x / sqrt(mean(x^2) + eps) * w   (Zhang & Sennrich 2019, eq. 4)
    normConsts ??= { eps: g.floatConst('norm_eps', [], [cfg.normEps]), two: g.floatConst('two', [], [2]) };
    const ms = g.op('ReduceMean', [g.op('Pow', [x, normConsts.two])], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const denom = g.op('Sqrt', [g.op('Add', [ms, normConsts.eps])]);
    return g.op('Mul', [g.op('Div', [x, denom]), w]);
  };

  let x = g.op('Gather', [tokEmb, ids], { axis: attr.int(0) });
  const cos = g.op('Gather', [cosTable, pos], { axis: attr.int(0) });
  const sin = g.op('Gather', [sinTable, pos], { axis: attr.int(0) });
  // Number of cached positions P, from the shape of the first cache input: [P].
  const pastLen = g.op('Shape', [pastK[0]], { start: attr.int(3), end: attr.int(4) });

  const swapPairs = (r: number) => r ^ 1; // rows 2j <-> 2j+1 (Dh is even, heads are contiguous)
  const scale = 1 / Math.sqrt(Dh);
  for (let i = 0; i < nLayers; i++) {
    const p = `layers.${i}.`;
    // Fused projection [D, 5D]: q*s | k | swap(q)*s | swap(k) | v.
    const wqkv = new Float32Array(D * 5 * D);
    const wq = get(weights, `${p}attention.wq.weight`);
    const wk = get(weights, `${p}attention.wk.weight`);
    putTransposed(wqkv, 5 * D, 0, wq, D, D, undefined, scale);
    putTransposed(wqkv, 5 * D, D, wk, D, D);
    putTransposed(wqkv, 5 * D, 2 * D, wq, D, D, swapPairs, scale);
    putTransposed(wqkv, 5 * D, 3 * D, wk, D, D, swapPairs);
    putTransposed(wqkv, 5 * D, 4 * D, get(weights, `${p}attention.wv.weight`), D, D);
    const wqkvName = g.initializer(`${p}attention.wqkv_fused`, DataType.FLOAT, [D, 5 * D], wqkv);
    const woT = new Float32Array(D * D);
    putTransposed(woT, D, 0, get(weights, `${p}attention.wo.weight`), D, D);
    const woName = g.initializer(`${p}attention.wo_t`, DataType.FLOAT, [D, D], woT);

    const h = rmsnorm(x, `${p}attention_norm.weight`);
    const [qk, qkSwapped, v] = g.node('Split', [g.op('MatMul', [h, wqkvName]), splitQkv], { axis: attr.int(2) }, 3);
    const qkRot = g.op('Add', [g.op('Mul', [qk, cos]), g.op('Mul', [qkSwapped, sin])]);
    const [q, k] = g.node('Split', [qkRot, splitQk], { axis: attr.int(2) }, 2);
    const qHeads = g.op('Transpose', [g.op('Reshape', [q, headsShape])], { perm: attr.ints([0, 2, 1, 3]) }); // [B,H,S,Dh]
    const kNew = g.op('Transpose', [g.op('Reshape', [k, headsShape])], { perm: attr.ints([0, 2, 3, 1]) }, `new_key_${i}`); // [B,H,Dh,S]
    const vNew = g.op('Transpose', [g.op('Reshape', [v, headsShape])], { perm: attr.ints([0, 2, 1, 3]) }, `new_value_${i}`); // [B,H,S,Dh]

    // softmax(q k^T / sqrt(Dh) + mask) v over [cache | new] keys, without concatenating the cache.
    const scores = g.op('Concat', [g.op('MatMul', [qHeads, pastK[i]]), g.op('MatMul', [qHeads, kNew])], { axis: attr.int(3) });
    const probs = g.op('Softmax', [g.op('Add', [scores, bias])], { axis: attr.int(-1) });
    const probsPast = g.op('Slice', [probs, zero, pastLen, axis3]);
    const probsNew = g.op('Slice', [probs, pastLen, bigEnd, axis3]);
    const attn = g.op('Add', [g.op('MatMul', [probsPast, pastV[i]]), g.op('MatMul', [probsNew, vNew])]); // [B,H,S,Dh]
    const merged = g.op('Reshape', [g.op('Transpose', [attn], { perm: attr.ints([0, 2, 1, 3]) }), modelShape]);
    x = g.op('Add', [x, g.op('MatMul', [merged, woName])]);

    // SwiGLU MLP (Shazeer 2020): (silu(h W1^T) * (h W3^T)) W2^T, gate and up fused as [D, 2F].
    const w13 = new Float32Array(D * 2 * F);
    putTransposed(w13, 2 * F, 0, get(weights, `${p}feed_forward.w1.weight`), F, D);
    putTransposed(w13, 2 * F, F, get(weights, `${p}feed_forward.w3.weight`), F, D);
    const w13Name = g.initializer(`${p}feed_forward.w13_fused`, DataType.FLOAT, [D, 2 * F], w13);
    const w2T = new Float32Array(F * D);
    putTransposed(w2T, D, 0, get(weights, `${p}feed_forward.w2.weight`), D, F);
    const w2Name = g.initializer(`${p}feed_forward.w2_t`, DataType.FLOAT, [F, D], w2T);

    const h2 = rmsnorm(x, `${p}ffn_norm.weight`);
    const [gate, up] = g.node('Split', [g.op('MatMul', [h2, w13Name]), splitFf], { axis: attr.int(2) }, 2);
    const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
    x = g.op('Add', [x, g.op('MatMul', [g.op('Mul', [silu, up]), w2Name])]);
  }

  const hFinal = rmsnorm(x, 'norm.weight');
  const headWeight = cfg.tieEmbeddings ? get(weights, 'tok_embeddings.weight') : get(weights, 'output.weight');
  const headT = new Float32Array(D * V);
  putTransposed(headT, V, 0, headWeight, V, D);
  const headName = g.initializer('lm_head_t', DataType.FLOAT, [D, V], headT);
  g.op('MatMul', [hFinal, headName], {}, 'logits');
  g.output('logits', DataType.FLOAT, ['batch', 'seq', V]);
  for (let i = 0; i < nLayers; i++) {
    g.output(`new_key_${i}`, DataType.FLOAT, ['batch', H, Dh, 'seq']);
    g.output(`new_value_${i}`, DataType.FLOAT, ['batch', H, 'seq', Dh]);
  }
  if (cfg.valueHead) {
    const vw = g.initializer('value_head.weight_t', DataType.FLOAT, [D, 1], get(weights, 'value_head.weight'));
    const vb = g.initializer('value_head.bias', DataType.FLOAT, [1], get(weights, 'value_head.bias'));
    const v = g.op('Tanh', [g.op('Add', [g.op('MatMul', [hFinal, vw]), vb])]); // [B,S,1]
    g.op('Reshape', [v, g.int64Const('bs_shape', [0, 0])], {}, 'values');
    g.output('values', DataType.FLOAT, ['batch', 'seq']);
  }

  return encodeModel(g, {
    opsets: [{ domain: '', version: OPSET }],
    producerName: 'rlmkit',
    producerVersion: '0.1.0',
    metadata: { rlmkit_model_config: JSON.stringify(cfg) },
  });
}
