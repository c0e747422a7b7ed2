/**
 * The training graph of the native engine: the model of ../README.md ("The model, exactly") and
 * its hand-derived backward pass as one ONNX graph, run by onnxruntime-node (MLAS kernels, intra-op
 * threads). onnxruntime-node has no training API, so every gradient is an explicit node.
 *
 * Inputs: every weight by its README name (PyTorch layout [out, in]; they change every step, so
 * they are inputs, not initializers), `tokens` and `targets` int64 [B, T] (B dynamic, T fixed per
 * graph), and with `backward` the upstream gradients of the loss with respect to the outputs the
 * loss reads: `d_logprobs`, `d_entropy`, `d_values` [B, T], `d_logits` [B, T, V].
 * Outputs: those outputs (`logprobs`, `entropy`, `values` [B, T], `logits` [B, T, V]) and, with
 * `backward`, `grad.<name>` for every weight the outputs depend on.
 *
 * The loss itself is not in the graph: it is any LossFn over ModelOutputs, differentiated by jax-js
 * with respect to these few [B, T] outputs (./native-grad.ts). Backward formulas (x: input, y:
 * output, d.: gradient of the loss), all standard:
 *   y = x W^T                 dx = dy W,  dW = dy^T x
 *   RMSNorm y = g * x r, r = (mean(x^2) + eps)^-1/2, xh = x r
 *                             dg = sum_rows(dy * xh),  dx = r (dxh - xh mean(dxh * xh)),  dxh = dy g
 *   RoPE (a rotation by theta per pair)   d(in) = rotation by -theta of d(out)
 *   P = softmax(S)            dS = P * (dP - rowsum(dP * P))      (attention scores, masked: P = 0)
 *   SwiGLU m = silu(a) u      du = dm silu(a),  da = dm u s (1 + a (1 - s)),  s = sigmoid(a)
 *   lp = log_softmax(z)       logprob of target t: dz = d * (onehot(t) - p)
 *   H = -sum p lp             dz = -d * p * (lp + H)
 *   v = tanh(x w^T + b)       dpre = dv (1 - v^2)
 *   embedding gather          dE = onehot(tokens)^T dx   (a scatter-add as a [V, N] x [N, D] GEMM)
 */
import type { ModelConfig } from '../config.js';
import { weightShapes } from '../config.js';
import { ropeAngle } from '../onnx/graph-weights.js';
import { DataType, GraphBuilder, attr, encodeModel } from '../onnx/onnx-model.js';

/** Which model outputs the loss reads (the graph computes and differentiates only these). */
export interface UsedOutputs {
  logprobs: boolean;
  entropy: boolean;
  values: boolean;
  logits: boolean;
}

export interface TrainGraphOptions {
  /** Fixed sequence length of the graph (the trainer's seqLen). */
  seqLen: number;
  used: UsedOutputs;
  /** Logits are divided by this before log-probs and entropy (RL on tempered samples). */
  temperature: number;
  /** Add the backward pass (gradient outputs); false: the forward outputs only. */
  backward: boolean;
}

/** Large negative additive mask, as in ../model.ts: exp underflows to exactly 0, never NaN. */
const MASKED = -1e9;

interface NormSaved {
  xh: string;
  r: string;
  g: string;
}
interface LayerSaved {
  x: string;
  n1: NormSaved;
  h: string;
  wqkv: string;
  q: string;
  k: string;
  v: string;
  p: string;
  a: string;
  wo: string;
  x1: string;
  n2: NormSaved;
  h2: string;
  w13: string;
  gate: string;
  up: string;
  s: string;
  silu: string;
  m: string;
  w2: string;
}

class Emitter {
  readonly g = new GraphBuilder('rlmkit_train');
  readonly D: number;
  readonly H: number;
  readonly hd: number;
  readonly T: number;
  private ints = new Map<string, string>();
  private floats = new Map<number, string>();

  constructor(
    readonly cfg: ModelConfig,
    readonly o: TrainGraphOptions,
  ) {
    this.D = cfg.dModel;
    this.H = cfg.nHeads;
    this.hd = cfg.dModel / cfg.nHeads;
    this.T = o.seqLen;
  }

  i64(values: number[]): string {
    const key = values.join(',');
    let n = this.ints.get(key);
    if (!n) this.ints.set(key, (n = this.g.int64Const('c', values)));
    return n;
  }

  f32(value: number): string {
    let n = this.floats.get(value);
    if (!n) this.floats.set(value, (n = this.g.floatConst('s', [], [value])));
    return n;
  }

  op(type: string, inputs: string[], attrs: Parameters<GraphBuilder['op']>[2] = {}, out?: string): string {
    return this.g.op(type, inputs, attrs, out);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.i64(shape)]);
  }
  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm: attr.ints(perm) });
  }
  /** a b^T (Gemm transB) for 2-D a [M, K], b [N, K]. */
  mmT(a: string, b: string): string {
    return this.op('Gemm', [a, b], { transB: attr.int(1) });
  }
  /** a^T b (Gemm transA) for 2-D a [K, M], b [K, N]: weight gradients, summed over rows. */
  tmm(a: string, b: string, out?: string): string {
    return this.op('Gemm', [a, b], { transA: attr.int(1) }, out);
  }
  mm(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
  split(x: string, sizes: number[], axis: number, outs?: string[]): string[] {
    return this.g.node('Split', [x, this.i64(sizes)], { axis: attr.int(axis) }, outs ?? sizes.length);
  }
  concat(xs: string[], axis: number): string {
    return this.op('Concat', xs, { axis: attr.int(axis) });
  }
  meanLast(x: string): string {
    return this.op('ReduceMean', [x], { axes: attr.ints([-1]), keepdims: attr.int(1) });
  }
  sumAxis(x: string, axis: number, keep: boolean, out?: string): string {
    return this.op('ReduceSum', [x, this.i64([axis])], { keepdims: attr.int(keep ? 1 : 0) }, out);
  }

  norm(x: string, g: string): { y: string; saved: NormSaved } {
    const r = this.op('Reciprocal', [this.op('Sqrt', [this.add(this.meanLast(this.mul(x, x)), this.f32(this.cfg.normEps))])]);
    const xh = this.mul(x, r);
    return { y: this.mul(xh, g), saved: { xh, r, g } };
  }

  normBack(dy: string, s: NormSaved, gradName: string): string {
    this.sumAxis(this.mul(dy, s.xh), 0, false, gradName);
    const dxh = this.mul(dy, s.g);
    return this.mul(s.r, this.sub(dxh, this.mul(s.xh, this.meanLast(this.mul(dxh, s.xh)))));
  }

  /** RoPE tables [T, 1, hd/2, 1] for the pair layout [B, T, heads, hd/2, 2]. */
  ropeTables(): { cos: string; sin: string } {
    const half = this.hd / 2;
    const cos = new Float32Array(this.T * half);
    const sin = new Float32Array(this.T * half);
    for (let t = 0; t < this.T; t++) {
      for (let j = 0; j < half; j++) {
        const a = ropeAngle(this.cfg, t, j);
        cos[t * half + j] = Math.cos(a);
        sin[t * half + j] = Math.sin(a);
      }
    }
    return { cos: this.g.floatConst('rope_cos', [this.T, 1, half, 1], cos), sin: this.g.floatConst('rope_sin', [this.T, 1, half, 1], sin) };
  }

  /** Rotates pairs (x[2j], x[2j+1]) of x [B, T, heads, hd/2, 2] by +theta (sign 1) or -theta (sign -1). */
  rotate(x: string, rope: { cos: string; sin: string }, sign: 1 | -1): string {
    const [e, o] = this.split(x, [1, 1], 4);
    const es = this.mul(e, rope.sin);
    const os = this.mul(o, rope.sin);
    const ec = this.mul(e, rope.cos);
    const oc = this.mul(o, rope.cos);
    return sign === 1 ? this.concat([this.sub(ec, os), this.add(es, oc)], 4) : this.concat([this.add(ec, os), this.sub(oc, es)], 4);
  }
}

/** Builds the training (or forward-only) graph; see the file comment. */
export function buildTrainGraph(cfg: ModelConfig, o: TrainGraphOptions): Uint8Array {
  const e = new Emitter(cfg, o);
  const { g, D, H, hd, T } = e;
  const V = cfg.vocabSize;
  const F = cfg.dFF;
  const half = hd / 2;
  const w: Record<string, string> = {};
  for (const [name, shape] of weightShapes(cfg)) w[name] = g.input(name, DataType.FLOAT, shape);
  const tokens = g.input('tokens', DataType.INT64, ['batch', T]);
  const targets = g.input('targets', DataType.INT64, ['batch', T]);
  const rope = e.ropeTables();
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = MASKED;
  const mask = g.floatConst('causal_mask', [T, T], maskData);
  const scale = e.f32(1 / Math.sqrt(hd));
  const tokFlat = e.reshape(tokens, [-1]);

  // ------------------------------------------------------------------ forward
  let x = e.reshape(e.op('Gather', [w['tok_embeddings.weight'], tokens], { axis: attr.int(0) }), [-1, D]); // [N, D]
  const saved: LayerSaved[] = [];
  for (let i = 0; i < cfg.nLayers; i++) {
    const l = `layers.${i}.`;
    const n1 = e.norm(x, w[`${l}attention_norm.weight`]);
    const wqkv = e.concat([w[`${l}attention.wq.weight`], w[`${l}attention.wk.weight`], w[`${l}attention.wv.weight`]], 0); // [3D, D]
    const qkv = e.reshape(e.mmT(n1.y, wqkv), [-1, T, 3 * H, half, 2]);
    const [qkRaw, vRaw] = e.split(qkv, [2 * H, H], 2);
    const qk = e.transpose(e.reshape(e.rotate(qkRaw, rope, 1), [-1, T, 2 * H, hd]), [0, 2, 1, 3]); // [B, 2H, T, hd]
    const [q, k] = e.split(qk, [H, H], 1);
    const v = e.transpose(e.reshape(vRaw, [-1, T, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
    const scores = e.add(e.mul(e.mm(q, e.transpose(k, [0, 1, 3, 2])), scale), mask);
    const p = e.op('Softmax', [scores], { axis: attr.int(-1) }); // [B, H, T, T]
    const a = e.reshape(e.transpose(e.mm(p, v), [0, 2, 1, 3]), [-1, D]); // [N, D]
    const wo = w[`${l}attention.wo.weight`];
    const x1 = e.add(x, e.mmT(a, wo));
    const n2 = e.norm(x1, w[`${l}ffn_norm.weight`]);
    const w13 = e.concat([w[`${l}feed_forward.w1.weight`], w[`${l}feed_forward.w3.weight`]], 0); // [2F, D]
    const [gate, up] = e.split(e.mmT(n2.y, w13), [F, F], 1);
    const s = e.op('Sigmoid', [gate]);
    const silu = e.mul(gate, s);
    const m = e.mul(silu, up);
    const w2 = w[`${l}feed_forward.w2.weight`];
    saved.push({ x, n1: n1.saved, h: n1.y, wqkv, q, k, v, p, a, wo, x1, n2: n2.saved, h2: n2.y, w13, gate, up, s, silu, m, w2 });
    x = e.add(x1, e.mmT(m, w2));
  }
  const nf = e.norm(x, w['norm.weight']);
  const xf = nf.y;
  const used = o.used;
  const needHead = used.logprobs || used.entropy || used.logits;
  const headW = cfg.tieEmbeddings ? w['tok_embeddings.weight'] : w['output.weight'];
  let z = '',
    lp = '',
    prob = '',
    ent = '',
    val = '';
  if (needHead) {
    const raw = e.mmT(xf, headW); // [N, V]
    z = o.temperature === 1 ? raw : e.op('Div', [raw, e.f32(o.temperature)]);
    lp = e.op('LogSoftmax', [z], { axis: attr.int(-1) });
    if (used.logprobs)
      e.op('Reshape', [e.op('GatherElements', [lp, e.reshape(targets, [-1, 1])], { axis: attr.int(1) }), e.i64([-1, T])], {}, 'logprobs');
    if (used.entropy || (o.backward && used.logprobs)) prob = e.op('Exp', [lp]);
    if (used.entropy) {
      ent = e.op('Neg', [e.sumAxis(e.mul(prob, lp), -1, true)]); // [N, 1]
      e.op('Reshape', [ent, e.i64([-1, T])], {}, 'entropy');
    }
    if (used.logits) e.op('Reshape', [z, e.i64([-1, T, V])], {}, 'logits');
  }
  if (used.values) {
    val = e.op('Tanh', [e.op('Gemm', [xf, w['value_head.weight'], w['value_head.bias']], { transB: attr.int(1) })]); // [N, 1]
    e.op('Reshape', [val, e.i64([-1, T])], {}, 'values');
  }
  if (used.logprobs) g.output('logprobs', DataType.FLOAT, ['batch', T]);
  if (used.entropy) g.output('entropy', DataType.FLOAT, ['batch', T]);
  if (used.values) g.output('values', DataType.FLOAT, ['batch', T]);
  if (used.logits) g.output('logits', DataType.FLOAT, ['batch', T, V]);

  // ------------------------------------------------------------------ backward
  if (o.backward) {
    const grads = new Set<string>();
    const grad = (name: string) => {
      grads.add(name);
      return `grad.${name}`;
    };
    let dxf: string | undefined;
    const addTo = (acc: string | undefined, t: string) => (acc ? e.add(acc, t) : t);
    let dHeadW: string | undefined;
    if (needHead) {
      let dz: string | undefined;
      if (used.logprobs) {
        const d = e.reshape(g.input('d_logprobs', DataType.FLOAT, ['batch', T]), [-1, 1]);
        const onehot = e.op('OneHot', [e.reshape(targets, [-1]), e.i64([V]), e.g.floatConst('onehot_values', [2], [0, 1])], {
          axis: attr.int(-1),
        });
        dz = addTo(dz, e.mul(d, e.sub(onehot, prob)));
      }
      if (used.entropy) {
        const d = e.reshape(g.input('d_entropy', DataType.FLOAT, ['batch', T]), [-1, 1]);
        dz = addTo(dz, e.op('Neg', [e.mul(e.mul(prob, e.add(lp, ent)), d)]));
      }
      if (used.logits) dz = addTo(dz, e.reshape(g.input('d_logits', DataType.FLOAT, ['batch', T, V]), [-1, V]));
      const draw = o.temperature === 1 ? dz! : e.op('Div', [dz!, e.f32(o.temperature)]);
      dHeadW = e.tmm(draw, xf); // [V, D]
      dxf = e.mm(draw, headW);
    }
    if (used.values) {
      const dv = e.reshape(g.input('d_values', DataType.FLOAT, ['batch', T]), [-1, 1]);
      const dpre = e.mul(dv, e.sub(e.f32(1), e.mul(val, val))); // [N, 1]
      e.tmm(dpre, xf, grad('value_head.weight'));
      e.sumAxis(dpre, 0, false, grad('value_head.bias'));
      dxf = addTo(dxf, e.mul(dpre, w['value_head.weight']));
    }
    if (dxf) {
      let dx = e.normBack(dxf, nf.saved, grad('norm.weight'));
      for (let i = cfg.nLayers - 1; i >= 0; i--) {
        const s = saved[i];
        const l = `layers.${i}.`;
        // MLP: x2 = x1 + m W2^T
        e.tmm(dx, s.m, grad(`${l}feed_forward.w2.weight`));
        const dm = e.mm(dx, s.w2); // [N, F]
        const du = e.mul(dm, s.silu);
        const dgate = e.mul(e.mul(dm, s.up), e.add(s.s, e.mul(s.silu, e.sub(e.f32(1), s.s))));
        const dgu = e.concat([dgate, du], 1); // [N, 2F]
        e.split(e.tmm(dgu, s.h2), [F, F], 0, [grad(`${l}feed_forward.w1.weight`), grad(`${l}feed_forward.w3.weight`)]);
        const dx1 = e.add(dx, e.normBack(e.mm(dgu, s.w13), s.n2, grad(`${l}ffn_norm.weight`)));
        // attention: x1 = x + a Wo^T
        e.tmm(dx1, s.a, grad(`${l}attention.wo.weight`));
        const dO = e.transpose(e.reshape(e.mm(dx1, s.wo), [-1, T, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
        const dP = e.mm(dO, e.transpose(s.v, [0, 1, 3, 2]));
        const dv = e.mm(e.transpose(s.p, [0, 1, 3, 2]), dO);
        const dS = e.mul(e.mul(s.p, e.sub(dP, e.sumAxis(e.mul(dP, s.p), -1, true))), scale);
        const dq = e.mm(dS, s.k);
        const dk = e.mm(e.transpose(dS, [0, 1, 3, 2]), s.q);
        const dqkRot = e.reshape(e.transpose(e.concat([dq, dk], 1), [0, 2, 1, 3]), [-1, T, 2 * H, half, 2]);
        const dqk = e.rotate(dqkRot, rope, -1);
        const dvPairs = e.reshape(e.transpose(dv, [0, 2, 1, 3]), [-1, T, H, half, 2]);
        const dqkv = e.reshape(e.concat([dqk, dvPairs], 2), [-1, 3 * D]);
        e.split(e.tmm(dqkv, s.h), [D, D, D], 0, [
          grad(`${l}attention.wq.weight`),
          grad(`${l}attention.wk.weight`),
          grad(`${l}attention.wv.weight`),
        ]);
        dx = e.add(dx1, e.normBack(e.mm(dqkv, s.wqkv), s.n1, grad(`${l}attention_norm.weight`)));
      }
      // Embedding: scatter-add of the rows' gradients, as onehot(tokens)^T dx.
      const onehotTok = e.op('OneHot', [tokFlat, e.i64([V]), e.g.floatConst('onehot_tok', [2], [0, 1])], { axis: attr.int(-1) });
      const dEmb = e.tmm(onehotTok, dx);
      if (cfg.tieEmbeddings && dHeadW) e.op('Identity', [e.add(dEmb, dHeadW)], {}, grad('tok_embeddings.weight'));
      else {
        e.op('Identity', [dEmb], {}, grad('tok_embeddings.weight'));
        if (dHeadW) e.op('Identity', [dHeadW], {}, grad('output.weight'));
      }
    }
    for (const [name, shape] of weightShapes(cfg)) if (grads.has(name)) g.output(`grad.${name}`, DataType.FLOAT, shape);
  }
  return encodeModel(g, {
    opsets: [{ domain: '', version: 17 }],
    producerName: 'rlmkit',
    producerVersion: '0.1.0',
    metadata: { rlmkit_graph: o.backward ? 'train' : 'train-forward' },
  });
}

/** Names of the gradient outputs a graph built with `o` has, in weightShapes order. */
export function gradientNames(cfg: ModelConfig, used: UsedOutputs): string[] {
  const head = used.logprobs || used.entropy || used.logits;
  if (!head && !used.values) return [];
  return weightShapes(cfg)
    .map(([n]) => n)
    .filter((n) => {
      if (n.startsWith('value_head.')) return used.values;
      if (n === 'output.weight') return head;
      return true;
    });
}
