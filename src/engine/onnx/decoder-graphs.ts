/**
 * ONNX graphs of the decoder in ../README.md ("The model, exactly"), built from host weights.
 *
 * Two graphs share the weights and the layer code:
 * - the sequence graph (`buildSequenceGraph`) runs S new tokens per row after P cached ones (both
 *   dynamic): prefill, and full-sequence scoring with P = 0;
 * - the decode graph (`buildDecodeGraph`) runs exactly one new token per row, with 2-D activations
 *   and the new token's own attention term done elementwise (cheaper than tiny batched MatMuls).
 *
 * Sequence graph                                    Decode graph
 *   input_ids      int64 [B, S]                       int64 [B]
 *   position_ids   int64 [B, S]                       int64 [B]
 *   attention_bias float [B, 1, S, P+S]               float [B, 1, 1, P+1]
 *   past_key_{i}   float [B, H, P, Dh]   (cached rotated keys)
 *   past_value_{i} float [B, H, P, Dh]
 *   -> logits      float [B, S, V]                    float [B, V]
 *   -> new_key_{i} float [B, H, S, Dh]                new_kv float [2 L B, H, 1, Dh]: blocks of B
 *   -> new_value_{i} float [B, H, S, Dh]                rows, key of layer 0, value of layer 0, key
 *                                                       of layer 1, ...
 *   -> values      float [B, S]  (with a value head)  (none: sampling needs no values)
 *
 * attention_bias is 0 where a query may attend a key and MASKED elsewhere; keys are the P cached
 * slots followed by the new tokens. Every token carries its own position, so rows of different
 * lengths batch together without shifting.
 *
 * Design choices (measured on a 2-core CPU, see README.md):
 * - The KV cache lives on the host and is read in place (onnxruntime-node does not copy inputs but
 *   does copy every output, so a graph that returned the whole cache would copy it each step). The
 *   graph never concatenates the cache with the new keys: scores against the cache and against the
 *   new tokens are computed separately, softmaxed together, and the two halves of the probabilities
 *   multiply the two halves of the values.
 * - q, k and v come from one MatMul, with the 1/sqrt(Dh) attention scale folded into the query
 *   weights; the gate and up projections of the SwiGLU MLP are one MatMul.
 * - `ops: 'onnxruntime'` (default) uses onnxruntime's kernels (domain com.microsoft and its ONNX-domain
 *   extensions): (Skip)SimplifiedLayerNormalization for RMSNorm and the residual adds, and
 *   RotaryEmbedding (interleaved = the spec's adjacent pairs) for RoPE. Fewer nodes, onnxruntime only.
 * - `ops: 'standard'` keeps to standard ONNX opset 17. RoPE's pair rotation is a fixed permutation,
 *   so it is folded into extra weight columns: rope(x) = x * cos + swap_pairs(x) * sin_signed,
 *   where swap_pairs(h W^T) = h (P W)^T with P swapping rows 2j and 2j+1.
 */
import type { ModelConfig } from '../config.js';
import type { HostWeights } from '../host-weights.js';
import { fuseTransposed, ropeAngle, ropeHalfTables, weight } from './graph-weights.js';
import { DataType, GraphBuilder, attr, encodeModel } from './onnx-model.js';

/** Large negative additive mask: exp(-1e9 - max) is exactly 0 in float32, and never NaN. */
export const MASKED = -1e9;

export type OpSet = 'standard' | 'onnxruntime';

export interface GraphOptions {
  /** Default 'onnxruntime'. */
  ops?: OpSet;
}

const MS = 'com.microsoft';

/** RoPE tables for the fused q|k block, [maxSeqLen, 2 * dModel]: cos, and sin signed for the pair swap. */
function ropeTables(cfg: ModelConfig): { cos: Float32Array; sin: Float32Array } {
  const dh = cfg.dModel / cfg.nHeads;
  const width = 2 * cfg.dModel;
  const cos = new Float32Array(cfg.maxSeqLen * width);
  const sin = new Float32Array(cfg.maxSeqLen * width);
  for (let p = 0; p < cfg.maxSeqLen; p++) {
    for (let c = 0; c < width; c++) {
      const d = c % dh;
      const a = ropeAngle(cfg, p, d >> 1);
      cos[p * width + c] = Math.cos(a);
      // (x0, x1) -> (x0 cos - x1 sin, x1 cos + x0 sin): the swapped partner gets -sin on even, +sin on odd
      sin[p * width + c] = d % 2 === 0 ? -Math.sin(a) : Math.sin(a);
    }
  }
  return { cos, sin };
}

/** The parts both graphs share: weights as initializers, norms, projections, MLP and heads. */
class DecoderEmitter {
  readonly D: number;
  readonly H: number;
  readonly Dh: number;
  private normConsts?: { eps: string; two: string };
  private consts = new Map<string, string>();
  private rotaryCache?: { cos: string; sin: string };

  constructor(
    readonly g: GraphBuilder,
    readonly weights: HostWeights,
    readonly cfg: ModelConfig,
    readonly ops: OpSet,
  ) {
    this.D = cfg.dModel;
    this.H = cfg.nHeads;
    this.Dh = cfg.dModel / cfg.nHeads;
  }

  /** An int64 constant, created once per graph. */
  ints(values: number[]): string {
    const key = values.join(',');
    let name = this.consts.get(key);
    if (!name) {
      name = this.g.int64Const('c', values);
      this.consts.set(key, name);
    }
    return name;
  }

  private matrix(name: string, parts: Parameters<typeof fuseTransposed>[1], cols: number): string {
    const m = fuseTransposed(cols, parts);
    return this.g.initializer(name, DataType.FLOAT, m.dims, m.data);
  }

  private w(name: string): Float32Array {
    return weight(this.weights, name);
  }

  embed(ids: string): string {
    const { g, cfg } = this;
    const table = g.initializer('tok_embeddings.weight', DataType.FLOAT, [cfg.vocabSize, this.D], this.w('tok_embeddings.weight'));
    return g.op('Gather', [table, ids], { axis: attr.int(0) });
  }

  /** Standard ops only: cos and signed-sin rows for the given positions, [..., 2D] each. */
  rope(positions: string): { cos: string; sin: string } | null {
    const { g, cfg } = this;
    if (this.ops === 'onnxruntime') return null;
    const t = ropeTables(cfg);
    const cos = g.floatConst('rope_cos', [cfg.maxSeqLen, 2 * this.D], t.cos);
    const sin = g.floatConst('rope_sin', [cfg.maxSeqLen, 2 * this.D], t.sin);
    return { cos: g.op('Gather', [cos, positions], { axis: attr.int(0) }), sin: g.op('Gather', [sin, positions], { axis: attr.int(0) }) };
  }

  /**
   * x + delta (when delta is given), then rmsnorm(.) * w (Zhang & Sennrich 2019, eq. 4).
   * Returns [normalised, new residual].
   */
  addNorm(x: string, delta: string | null, weightName: string): [string, string] {
    const { g, cfg } = this;
    const w = g.initializer(weightName, DataType.FLOAT, [this.D], this.w(weightName));
    const eps = attr.float(cfg.normEps);
    if (this.ops === 'onnxruntime') {
      if (delta === null) return [g.op('SimplifiedLayerNormalization', [x, w], { axis: attr.int(-1), epsilon: eps }), x];
      const [h, , , sum] = g.node(
        'SkipSimplifiedLayerNormalization',
        [x, delta, w],
        { epsilon: eps },
        [g.fresh('norm'), '', '', g.fresh('resid')],
        MS,
      );
      return [h, sum];
    }
    const sum = delta === null ? x : g.op('Add', [x, delta]);
    this.normConsts ??= { eps: g.floatConst('norm_eps', [], [cfg.normEps]), two: g.floatConst('two', [], [2]) };
    const ms = g.op('ReduceMean', [g.op('Pow', [sum, this.normConsts.two])], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const denom = g.op('Sqrt', [g.op('Add', [ms, this.normConsts.eps])]);
    return [g.op('Mul', [g.op('Div', [sum, denom]), w]), sum];
  }

  /**
   * q, k and v of layer i from one MatMul over h [..., D], with s = 1/sqrt(Dh) (the attention
   * scale) folded into q. With standard ops (`rope` given) the weight holds
   * [q*s | k | swap(q)*s | swap(k) | v] and RoPE is applied here (see the file comment), giving
   * roped `qk` [..., 2D] and `v` [..., D]. With onnxruntime ops it holds [q*s | k | v] and the
   * caller splits and rotates the packed [..., 3D] output itself (`packed`).
   */
  qkv(
    i: number,
    h: string,
    axis: number,
    rope: { cos: string; sin: string } | null,
    vName?: string,
  ): { qk: string; v: string } | { packed: string } {
    const { g, D } = this;
    const p = `layers.${i}.`;
    const wq = this.w(`${p}attention.wq.weight`);
    const wk = this.w(`${p}attention.wk.weight`);
    const wv = this.w(`${p}attention.wv.weight`);
    const scale = 1 / Math.sqrt(this.Dh);
    if (rope === null) {
      const w = this.matrix(
        `${p}attention.qkv_t`,
        [
          { w: wq, rows: D, scale },
          { w: wk, rows: D },
          { w: wv, rows: D },
        ],
        D,
      );
      return { packed: g.op('MatMul', [h, w]) };
    }
    const swapPairs = (r: number) => r ^ 1; // rows 2j <-> 2j+1 (Dh is even, heads are contiguous)
    const w = this.matrix(
      `${p}attention.qkv_rot_t`,
      [
        { w: wq, rows: D, scale },
        { w: wk, rows: D },
        { w: wq, rows: D, rowOf: swapPairs, scale },
        { w: wk, rows: D, rowOf: swapPairs },
        { w: wv, rows: D },
      ],
      D,
    );
    const v = vName ?? g.fresh('v');
    const [qk, qkSwapped] = g.node('Split', [g.op('MatMul', [h, w]), this.ints([2 * D, 2 * D, D])], { axis: attr.int(axis) }, [
      g.fresh('qk'),
      g.fresh('qk_swapped'),
      v,
    ]);
    return { qk: g.op('Add', [g.op('Mul', [qk, rope.cos]), g.op('Mul', [qkSwapped, rope.sin])]), v };
  }

  /** onnxruntime RotaryEmbedding, adjacent pairs ("interleaved"), over `heads` heads of x. */
  rotary(x: string, positions: string, heads: number): string {
    const { g, cfg } = this;
    if (!this.rotaryCache) {
      const t = ropeHalfTables(cfg);
      this.rotaryCache = {
        cos: g.floatConst('rotary_cos', [cfg.maxSeqLen, this.Dh / 2], t.cos),
        sin: g.floatConst('rotary_sin', [cfg.maxSeqLen, this.Dh / 2], t.sin),
      };
    }
    return g.node(
      'RotaryEmbedding',
      [x, positions, this.rotaryCache.cos, this.rotaryCache.sin],
      { interleaved: attr.int(1), num_heads: attr.int(heads) },
      1,
      MS,
    )[0];
  }

  /** attn [..., D] -> attn Wo^T. */
  outProjection(i: number, attn: string): string {
    const w = this.matrix(`layers.${i}.attention.wo_t`, [{ w: this.w(`layers.${i}.attention.wo.weight`), rows: this.D }], this.D);
    return this.g.op('MatMul', [attn, w]);
  }

  /** SwiGLU MLP (Shazeer 2020): (silu(h W1^T) * (h W3^T)) W2^T, gate and up fused as [D, 2F]. */
  mlp(i: number, h: string, axis: number): string {
    const { g, D } = this;
    const F = this.cfg.dFF;
    const p = `layers.${i}.feed_forward.`;
    const w13 = this.matrix(
      `${p}w13_t`,
      [
        { w: this.w(`${p}w1.weight`), rows: F },
        { w: this.w(`${p}w3.weight`), rows: F },
      ],
      D,
    );
    const w2 = this.matrix(`${p}w2_t`, [{ w: this.w(`${p}w2.weight`), rows: D }], F);
    const [gate, up] = g.node('Split', [g.op('MatMul', [h, w13]), this.ints([F, F])], { axis: attr.int(axis) }, 2);
    const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
    return g.op('MatMul', [g.op('Mul', [silu, up]), w2]);
  }

  /** LM head to `logits`, and the tanh value head to `values` (reshaped by `valueShape`; null: none). */
  heads(h: string, valueShape: number[] | null): void {
    const { g, cfg, D } = this;
    const head = this.w(cfg.tieEmbeddings ? 'tok_embeddings.weight' : 'output.weight');
    g.op('MatMul', [h, this.matrix('lm_head_t', [{ w: head, rows: cfg.vocabSize }], D)], {}, 'logits');
    if (cfg.valueHead && valueShape) {
      const vw = g.initializer('value_head.weight_t', DataType.FLOAT, [D, 1], this.w('value_head.weight'));
      const vb = g.initializer('value_head.bias', DataType.FLOAT, [1], this.w('value_head.bias'));
      const value = g.op('Tanh', [g.op('Add', [g.op('MatMul', [h, vw]), vb])]);
      g.op('Reshape', [value, this.ints(valueShape)], {}, 'values');
    }
  }

  cacheInputs(): { pastK: string[]; pastV: string[] } {
    const { g, H, Dh } = this;
    const pastK: string[] = [];
    const pastV: string[] = [];
    for (let i = 0; i < this.cfg.nLayers; i++) {
      pastK.push(g.input(`past_key_${i}`, DataType.FLOAT, ['batch', H, 'past', Dh]));
      pastV.push(g.input(`past_value_${i}`, DataType.FLOAT, ['batch', H, 'past', Dh]));
    }
    return { pastK, pastV };
  }

  encode(kind: string): Uint8Array {
    const opsets = [{ domain: '', version: 17 }];
    if (this.ops === 'onnxruntime') opsets.push({ domain: MS, version: 1 });
    return encodeModel(this.g, {
      opsets,
      producerName: 'rlmkit',
      producerVersion: '0.1.0',
      metadata: { rlmkit_model_config: JSON.stringify(this.cfg), rlmkit_graph: kind },
    });
  }
}

/** S new tokens per row after P cached ones (see the file comment). Weights must be checked. */
export function buildSequenceGraph(weights: HostWeights, cfg: ModelConfig, o: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder('rlmkit_sequence');
  const e = new DecoderEmitter(g, weights, cfg, o.ops ?? 'onnxruntime');
  const { D, H, Dh } = e;
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'seq']);
  const pos = g.input('position_ids', DataType.INT64, ['batch', 'seq']);
  const bias = g.input('attention_bias', DataType.FLOAT, ['batch', 1, 'seq', 'total']);
  const { pastK, pastV } = e.cacheInputs();

  let x = e.embed(ids); // residual stream [B,S,D]
  const rope = e.rope(pos);
  // Split sizes [P, S] of the attention probabilities: cached keys, then new ones.
  const pastLen = g.op('Shape', [pastK[0]], { start: attr.int(2), end: attr.int(3) });
  const keySplit = g.op('Concat', [pastLen, g.op('Shape', [ids], { start: attr.int(1), end: attr.int(2) })], { axis: attr.int(0) });
  const headsShape = e.ints([0, 0, H, Dh]);
  let delta: string | null = null; // the last block's output, not yet added to x
  for (let i = 0; i < cfg.nLayers; i++) {
    let h: string;
    [h, x] = e.addNorm(x, delta, `layers.${i}.attention_norm.weight`);
    const proj = e.qkv(i, h, 2, rope);
    let qk: string;
    let v: string;
    if ('packed' in proj) {
      const [qkRaw, vRaw] = g.node('Split', [proj.packed, e.ints([2 * D, D])], { axis: attr.int(2) }, 2);
      qk = e.rotary(qkRaw, pos, 2 * H);
      v = vRaw;
    } else ({ qk, v } = proj);
    const [q, k] = g.node('Split', [qk, e.ints([D, D])], { axis: attr.int(2) }, 2);
    const qHeads = g.op('Transpose', [g.op('Reshape', [q, headsShape])], { perm: attr.ints([0, 2, 1, 3]) }); // [B,H,S,Dh]
    const kNew = g.op('Transpose', [g.op('Reshape', [k, headsShape])], { perm: attr.ints([0, 2, 1, 3]) }, `new_key_${i}`); // [B,H,S,Dh]
    const vNew = g.op('Transpose', [g.op('Reshape', [v, headsShape])], { perm: attr.ints([0, 2, 1, 3]) }, `new_value_${i}`); // [B,H,S,Dh]
    // softmax(q k^T / sqrt(Dh) + mask) v over [cache | new] keys, without concatenating the cache.
    // (This graph transposes the cached keys; the sampler only runs it with an empty cache.)
    const keysT = (keys: string) => g.op('Transpose', [keys], { perm: attr.ints([0, 1, 3, 2]) }); // [B,H,Dh,*]
    const scores = g.op('Concat', [g.op('MatMul', [qHeads, keysT(pastK[i])]), g.op('MatMul', [qHeads, keysT(kNew)])], {
      axis: attr.int(3),
    });
    const probs = g.op('Softmax', [g.op('Add', [scores, bias])], { axis: attr.int(-1) });
    const [probsPast, probsNew] = g.node('Split', [probs, keySplit], { axis: attr.int(3) }, 2);
    const attn = g.op('Add', [g.op('MatMul', [probsPast, pastV[i]]), g.op('MatMul', [probsNew, vNew])]); // [B,H,S,Dh]
    const merged = g.op('Reshape', [g.op('Transpose', [attn], { perm: attr.ints([0, 2, 1, 3]) }), e.ints([0, 0, D])]);
    const [h2, x2] = e.addNorm(x, e.outProjection(i, merged), `layers.${i}.ffn_norm.weight`);
    x = x2;
    delta = e.mlp(i, h2, 2);
  }
  const [hFinal] = e.addNorm(x, delta, 'norm.weight');
  e.heads(hFinal, [0, 0]);

  // logits and values first: scoring fetches only this prefix of the outputs (see sampler.ts).
  g.output('logits', DataType.FLOAT, ['batch', 'seq', cfg.vocabSize]);
  if (cfg.valueHead) g.output('values', DataType.FLOAT, ['batch', 'seq']);
  for (let i = 0; i < cfg.nLayers; i++) {
    g.output(`new_key_${i}`, DataType.FLOAT, ['batch', H, 'seq', Dh]);
    g.output(`new_value_${i}`, DataType.FLOAT, ['batch', H, 'seq', Dh]);
  }
  return e.encode('sequence');
}

/** One new token per row after P cached ones (see the file comment). Weights must be checked. */
export function buildDecodeGraph(weights: HostWeights, cfg: ModelConfig, o: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder('rlmkit_decode');
  const e = new DecoderEmitter(g, weights, cfg, o.ops ?? 'onnxruntime');
  const { D, H, Dh } = e;
  const ids = g.input('input_ids', DataType.INT64, ['batch']);
  const pos = g.input('position_ids', DataType.INT64, ['batch']);
  const bias = g.input('attention_bias', DataType.FLOAT, ['batch', 1, 1, 'total']);
  const { pastK, pastV } = e.cacheInputs();

  let x = e.embed(ids); // residual stream [B,D]
  const rope = e.rope(pos);
  // Split sizes [P, 1] of the attention probabilities: cached keys, then the token itself.
  const keySplit = g.op('Concat', [g.op('Shape', [pastK[0]], { start: attr.int(2), end: attr.int(3) }), e.ints([1])], {
    axis: attr.int(0),
  });
  const heads4 = e.ints([0, H, 1, Dh]);
  const qColumn = e.ints([0, H, Dh, 1]);
  const scoreRow = e.ints([0, H, 1, -1]);
  const newKv: string[] = []; // k4, v4 of every layer, returned as one output
  const pos2d = rope ? null : g.op('Reshape', [pos, e.ints([-1, 1])]); // [B,1] for RotaryEmbedding
  let delta: string | null = null;
  for (let i = 0; i < cfg.nLayers; i++) {
    let h: string;
    [h, x] = e.addNorm(x, delta, `layers.${i}.attention_norm.weight`);
    const proj = e.qkv(i, h, 1, rope);
    // q4, k4, v4: [B,H,1,Dh] (the memory layout of [B,D]).
    let q4: string;
    let k4: string;
    let v4: string;
    if ('packed' in proj) {
      const [qkHeads, vHeads] = g.node(
        'Split',
        [g.op('Reshape', [proj.packed, e.ints([0, 3 * H, 1, Dh])]), e.ints([2 * H, H])],
        { axis: attr.int(1) },
        2,
      );
      [q4, k4] = g.node('Split', [e.rotary(qkHeads, pos2d!, 2 * H), e.ints([H, H])], { axis: attr.int(1) }, 2);
      v4 = vHeads;
    } else {
      const [q, k] = g.node('Split', [proj.qk, e.ints([D, D])], { axis: attr.int(1) }, 2);
      q4 = g.op('Reshape', [q, heads4]);
      k4 = g.op('Reshape', [k, heads4]);
      v4 = g.op('Reshape', [proj.v, heads4]);
    }
    newKv.push(k4, v4);
    // Scores against the cache (MatMul) and against the token itself (elementwise dot product).
    // Cache on the left, [B,H,P,Dh] x [B,H,Dh,1], so the host stores keys as rows like the values
    // (a slot's write is contiguous); both reshapes only relabel memory.
    const scorePast = g.op('Reshape', [g.op('MatMul', [pastK[i], g.op('Reshape', [q4, qColumn])]), scoreRow]); // [B,H,1,P]
    const scoreSelf = g.op('ReduceSum', [g.op('Mul', [q4, k4]), e.ints([3])], { keepdims: attr.int(1) }); // [B,H,1,1]
    const probs = g.op('Softmax', [g.op('Add', [g.op('Concat', [scorePast, scoreSelf], { axis: attr.int(3) }), bias])], {
      axis: attr.int(-1),
    });
    const [probsPast, probSelf] = g.node('Split', [probs, keySplit], { axis: attr.int(3) }, 2);
    const attn = g.op('Add', [g.op('MatMul', [probsPast, pastV[i]]), g.op('Mul', [probSelf, v4])]); // [B,H,1,Dh]
    const [h2, x2] = e.addNorm(x, e.outProjection(i, g.op('Reshape', [attn, e.ints([0, D])])), `layers.${i}.ffn_norm.weight`);
    x = x2;
    delta = e.mlp(i, h2, 1);
  }
  const [hFinal] = e.addNorm(x, delta, 'norm.weight');
  e.heads(hFinal, null); // sampling needs no values
  // One output for all new keys and values: onnxruntime-node copies each output separately (~10 us).
  g.op('Concat', newKv, { axis: attr.int(0) }, 'new_kv');

  g.output('logits', DataType.FLOAT, ['batch', cfg.vocabSize]);
  g.output('new_kv', DataType.FLOAT, ['kv_rows', H, 1, Dh]);
  return e.encode('decode');
}
