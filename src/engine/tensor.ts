/**
 * The tensor layer: the only module (with runtime.ts) that imports jax-js, and the place where its
 * reference counting is owned.
 *
 * jax-js arrays are reference-counted: every jax-js function consumes ("moves") its array
 * arguments, `a.ref` adds a reference, `a.dispose()` drops one. rlmkit keeps this manageable with
 * two rules:
 *  1. All math runs inside functions the engine jit-compiles (train step, forward, decode step).
 *     Inside a trace, extra references cost nothing, so `ops` below BORROW their arguments (they
 *     take `.ref` themselves and never consume what you pass). Loss builders written in
 *     src/training with `ops` therefore never think about references.
 *  2. Concrete arrays (parameters, optimiser moments, KV caches, batch inputs) live in engine
 *     classes that pass `.ref` into jitted calls and `dispose()` them when replaced or freed.
 * `ops` must not be used on concrete arrays outside an engine-jitted function: every call would
 * leak a reference.
 */
import './runtime.js';
import { jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';

/** A jax-js array (a tracer inside jitted functions). Other folders only use it as a type. */
export type Tensor = np.Array;
export type DType = 'float32' | 'float64';

type Operand = Tensor | number;
const r = (x: Operand): Operand => (typeof x === 'number' ? x : x.ref);
const t = (x: Tensor): Tensor => x.ref;

/** Borrowing tensor operations for loss builders and model code (see rule 1 above). */
export const ops = {
  add: (a: Tensor, b: Operand): Tensor => np.add(t(a), r(b)),
  sub: (a: Tensor, b: Operand): Tensor => np.subtract(t(a), r(b)),
  /** b - a, for a number minus a tensor. */
  rsub: (a: Tensor, b: number): Tensor => np.subtract(b, t(a)),
  mul: (a: Tensor, b: Operand): Tensor => np.multiply(t(a), r(b)),
  div: (a: Tensor, b: Operand): Tensor => np.divide(t(a), r(b)),
  neg: (a: Tensor): Tensor => np.negative(t(a)),
  exp: (a: Tensor): Tensor => np.exp(t(a)),
  log: (a: Tensor): Tensor => np.log(t(a)),
  sqrt: (a: Tensor): Tensor => np.sqrt(t(a)),
  square: (a: Tensor): Tensor => np.square(t(a)),
  abs: (a: Tensor): Tensor => np.abs(t(a)),
  tanh: (a: Tensor): Tensor => np.tanh(t(a)),
  sigmoid: (a: Tensor): Tensor => nn.sigmoid(t(a)),
  silu: (a: Tensor): Tensor => nn.silu(t(a)),
  pow: (a: Tensor, p: number): Tensor => np.power(t(a), p),
  clip: (a: Tensor, lo: number, hi: number): Tensor => np.clip(t(a), lo, hi),
  minimum: (a: Tensor, b: Operand): Tensor => np.minimum(t(a), r(b)),
  maximum: (a: Tensor, b: Operand): Tensor => np.maximum(t(a), r(b)),
  /** Elementwise `cond ? a : b`; `cond` is a boolean tensor (e.g. from `greater`). */
  where: (cond: Tensor, a: Operand, b: Operand): Tensor => np.where(t(cond), r(a), r(b)),
  greater: (a: Tensor, b: Operand): Tensor => np.greater(t(a), r(b)),
  less: (a: Tensor, b: Operand): Tensor => np.less(t(a), r(b)),
  sum: (a: Tensor, axis?: number | number[], keepdims = false): Tensor => np.sum(t(a), axis, { keepdims }),
  mean: (a: Tensor, axis?: number | number[], keepdims = false): Tensor => np.mean(t(a), axis, { keepdims }),
  max: (a: Tensor, axis?: number | number[], keepdims = false): Tensor => np.max(t(a), axis, { keepdims }),
  /** sum(x * mask) / max(sum(mask), 1): the masked token mean ("token-mean" aggregation). */
  maskedMean: (a: Tensor, mask: Tensor, axis?: number | number[]): Tensor =>
    np.divide(np.sum(np.multiply(t(a), t(mask)), axis), np.maximum(np.sum(t(mask), axis), 1)),
  /** Treats `a` as a constant for differentiation (e.g. PPO's old log-probs, GRPO's advantages). */
  stopGradient: (a: Tensor): Tensor => lax.stopGradient(t(a)),
  reshape: (a: Tensor, shape: number[]): Tensor => np.reshape(t(a), shape),
  transpose: (a: Tensor, perm?: number[]): Tensor => np.transpose(t(a), perm),
  matmul: (a: Tensor, b: Tensor): Tensor => np.matmul(t(a), t(b)),
  softmax: (a: Tensor, axis = -1): Tensor => nn.softmax(t(a), axis),
  logSoftmax: (a: Tensor, axis = -1): Tensor => nn.logSoftmax(t(a), axis),
  oneHot: (ids: Tensor, n: number, dtype: DType = 'float32'): Tensor => nn.oneHot(t(ids), n).astype(toDType(dtype)),
  astype: (a: Tensor, dtype: DType): Tensor => t(a).astype(toDType(dtype)),
  flip: (a: Tensor, axis: number): Tensor => np.flip(t(a), axis),
  /**
   * Identity that makes jit materialise this tensor's gradient: (x + x) / 2 summed over a
   * broadcast axis of size 2 (exact in IEEE arithmetic). Without it, jax-js fuses elementwise
   * backward expressions (softmax, SiLU derivatives) into the loads of the backward matmuls and
   * recomputes them for every multiply-add (measured 10x slower for the LM head). Use on matmul
   * outputs that feed nonlinearities.
   */
  gradBarrier: (a: Tensor): Tensor => (gradBarriers ? np.multiply(np.sum(np.broadcastTo(t(a), [2, ...a.shape]), 0), 0.5) : t(a)),
};

let gradBarriers = true;

/**
 * Runs `trace` (the body of a function being jit-traced) with `ops.gradBarrier` as a plain
 * identity: forward-only programs (scoring, decoding) have no backward pass to protect, and each
 * barrier would cost an extra kernel.
 */
export function withoutGradBarriers<T>(trace: () => T): T {
  const saved = gradBarriers;
  gradBarriers = false;
  try {
    return trace();
  } finally {
    gradBarriers = saved;
  }
}

export function toDType(d: DType): np.DType {
  return d === 'float64' ? np.float64 : np.float32;
}

/** A concrete float array from host data (owned by the caller). */
export function fromHost(data: Float32Array | Float64Array | number[], shape: number[], dtype: DType = 'float32'): Tensor {
  const buf = dtype === 'float64' ? Float64Array.from(data) : data instanceof Float32Array ? data : Float32Array.from(data);
  return np.array(buf, { shape, dtype: toDType(dtype) });
}

/** A concrete int32 array from host data (token ids). */
export function intsFromHost(data: Int32Array | number[], shape: number[]): Tensor {
  return np.array(data instanceof Int32Array ? data : Int32Array.from(data), { shape, dtype: np.int32 });
}

/** Copies an array to the host as float32 and drops the reference passed in. */
export async function toHostF32(a: Tensor): Promise<Float32Array> {
  const d = await a.data();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/** Synchronous copy to the host, dropping the reference passed in. */
export function toHostSync(a: Tensor): Float32Array | Float64Array {
  const d = a.dataSync();
  return d instanceof Float32Array || d instanceof Float64Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/** Drops one reference of every array in a tree (object/array of arrays). */
export function disposeTree(x: unknown): void {
  tree.dispose(x as never);
}

/** Adds one reference to every array in a tree and returns it (to pass into a consuming call). */
export function refTree<T>(x: T): T {
  return tree.ref(x as never) as T;
}

/** A jit-compiled function; `dispose()` frees its compiled code and constants. */
export type Compiled<F extends (...args: never[]) => unknown> = F & { dispose(): void };

/**
 * Jit-compiles `f` (traced once per distinct input shape; keep shapes static). Arguments passed to
 * the compiled function are consumed: pass `.ref` (or refTree) to keep using them.
 */
export function compile<F extends (...args: any[]) => any>(f: F): Compiled<F> {
  return jit(f as never) as unknown as Compiled<F>;
}

/** Value and gradient of a scalar function w.r.t. its first argument; `[[value, aux], grads]`. */
export function valueAndGradWithAux<F extends (...args: any[]) => [Tensor, unknown]>(
  f: F,
): (...args: Parameters<F>) => [[Tensor, ReturnType<F>[1]], Parameters<F>[0]] {
  return valueAndGrad(f as never, { hasAux: true }) as never;
}

/** A 0-d float array holding `x` (for per-step scalars passed into compiled functions). */
export function scalar(x: number, dtype: DType = 'float32'): Tensor {
  return fromHost([x], [], dtype);
}

/** Copies a flat record of arrays to host float32 tensors (does not consume them). */
export function hostTree(t: Record<string, Tensor>): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, a] of Object.entries(t)) {
    const d = toHostSync(a.ref);
    out.set(name, { shape: [...a.shape], data: d instanceof Float32Array ? d.slice() : Float32Array.from(d) });
  }
  return out;
}
