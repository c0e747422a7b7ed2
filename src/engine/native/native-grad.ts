/**
 * Gradients of a training step with native kernels: the model's forward and backward pass run as
 * one onnxruntime-node call over every chunk (micro-batch, in ../train.ts's words) of the step (./train-graph.ts), the loss and its
 * gradient with respect to the model outputs run in jax-js (./loss-eval.ts).
 *
 * A step over chunks c with weights w_c (gradient accumulation / row splitting, see ../train.ts)
 * needs sum_c w_c dL_c/dθ. By the chain rule dL_c/dθ = J_c^T u_c with u_c = dL_c/d(outputs_c), and
 * rows are independent in the model, so ONE graph call over all chunks' rows, fed with the
 * upstream gradients w_c u_c, returns the weighted sum directly.
 *
 * Two passes for a general loss: a forward-only call gives the outputs, jax-js gives u_c at them,
 * then the training call (which recomputes the forward). A loss declared `linear` (affine in the
 * outputs, e.g. masked cross-entropy: u = -mask / count) has the same u_c at every point, so u_c
 * is taken at zero outputs and the training call alone suffices; its outputs then give the loss
 * and metrics.
 */
import type * as ort from 'onnxruntime-node';
import { runtimeError } from '../../core/errors.js';
import type { ModelConfig } from '../config.js';
import { weightShapes } from '../config.js';
import { type PackedBatch, packBatch } from '../grad.js';
import type { LossFn, TrainBatch } from '../train-types.js';
import { type HostOutputs, LossEvaluator, type LossResult, OUTPUT_NAMES } from './loss-eval.js';
import { type HostTensor } from './adamw.js';
import { NativePool } from './native-pool.js';
import type { NativeJob } from './native-worker.js';
import { sessionOptions } from './session-options.js';
import { buildTrainGraph, gradientNames } from './train-graph.js';

export interface NativeGradOptions {
  /** Rows per chunk (the loss is evaluated per chunk of this many rows, padded). */
  rows: number;
  seqLen: number;
  lossFn: LossFn;
  /** The loss is affine in the model outputs (one graph call per step instead of two). */
  linear: boolean;
  temperature: number;
  /** onnxruntime intra-op threads. */
  threads: number;
}

export interface NativeChunk {
  batch: TrainBatch;
  /** Weight of this chunk's gradient in the step. */
  weight: number;
}

interface Sessions {
  train: ort.InferenceSession;
  forward: ort.InferenceSession;
}

interface Ready {
  loss: LossEvaluator;
  /** Sessions on `threads` intra-op threads, and on one (for concurrent calls); null when the loss reads no output. */
  wide: Sessions | null;
  single: Sessions | null;
  gradNames: string[];
  graphs: { train: Uint8Array; forward: Uint8Array };
}

type Feeds = NativeJob['feeds'];

export class NativeGrad {
  private ready?: Promise<Ready>;
  /** onnxruntime-node, loaded on first use (importing the engine does not load it). */
  private ort?: typeof ort;
  private pool?: Promise<NativePool>;
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    readonly o: NativeGradOptions,
  ) {}

  /**
   * Loss and metrics per chunk and the weighted sum of the chunks' gradients (by weight name).
   * One graph call per chunk, summed in chunk order, so the result does not depend on the thread
   * count: with several chunks, chunk j runs on thread j mod `threads` (this one, or a worker of
   * ./native-pool.ts), each on a one-thread session (data-parallel, which scales better than
   * intra-op threads on graphs of this size); a lone chunk runs on `threads` intra-op threads.
   */
  async step(weights: Map<string, HostTensor>, chunks: NativeChunk[]): Promise<{ losses: LossResult[]; grads: Map<string, Float32Array> }> {
    const { rows, seqLen: T } = this.o;
    const V = this.config.vocabSize;
    const packed = chunks.map((c) => packBatch(c.batch, rows, T, V));
    const r = await this.init(packed[0]);
    const outNames = OUTPUT_NAMES.filter((k) => r.loss.used[k]);
    // A loss that reads no model output has no gradient (and no graph to run).
    if (outNames.length === 0) return { losses: packed.map((b) => r.loss.value({}, b)), grads: new Map() };
    const feeds = packed.map((b) => this.feeds(weights, b));
    // Upstream gradients w_c u_c, at the real outputs (two passes) or anywhere (a linear loss).
    const twoPass = !this.o.linear && outNames.length > 0;
    const outs = twoPass ? await this.runAll(r, 'forward', feeds) : undefined;
    const losses: LossResult[] = new Array(chunks.length);
    packed.forEach((b, j) => {
      const at: HostOutputs = {};
      for (const k of outNames) at[k] = outs ? outs[j][k] : new Float32Array(r.loss.size(k));
      const res = r.loss.grad(at, b);
      if (outs) losses[j] = { loss: res.loss, metrics: res.metrics };
      const w = chunks[j].weight;
      for (const k of outNames) {
        const u = res.upstream[k]!;
        const d = new Float32Array(u.length);
        for (let i = 0; i < u.length; i++) d[i] = u[i] * w;
        feeds[j][`d_${k}`] = { type: 'float32', data: d, dims: k === 'logits' ? [rows, T, V] : [rows, T] };
      }
    });
    const results = await this.runAll(r, 'train', feeds);
    const grads = new Map<string, Float32Array>();
    results.forEach((res, j) => {
      for (const name of r.gradNames) {
        const g = res[`grad.${name}`];
        const acc = grads.get(name);
        if (!acc) grads.set(name, g);
        else for (let i = 0; i < g.length; i++) acc[i] += g[i];
      }
      if (!outs) {
        const at: HostOutputs = {};
        for (const k of outNames) at[k] = res[k];
        losses[j] = r.loss.value(at, packed[j]);
      }
    });
    return { losses, grads };
  }

  /** Runs `graph` on every chunk's feeds: chunk j on thread j mod lanes (0 = this thread). */
  private async runAll(r: Ready, graph: 'train' | 'forward', feeds: Feeds[]): Promise<Record<string, Float32Array>[]> {
    const lanes = Math.min(this.o.threads, feeds.length);
    if (lanes === 1) {
      const out: Record<string, Float32Array>[] = [];
      for (const f of feeds) out.push(await this.run(r.wide![graph], f));
      return out;
    }
    this.pool ??= NativePool.start(this.o.threads - 1, { train: r.graphs.train, forward: r.graphs.forward });
    const pool = await this.pool;
    const out: Record<string, Float32Array>[] = new Array(feeds.length);
    // Worker jobs first (posted now, computed while this thread runs its own share).
    const remote = feeds
      .map((f, j) => [f, j] as const)
      .filter(([, j]) => j % lanes !== 0)
      .map(([f, j]) =>
        pool.run((j % lanes) - 1, graph, f).then((o) => {
          out[j] = o;
        }),
      );
    let localError: unknown;
    try {
      for (let j = 0; j < feeds.length; j += lanes) out[j] = await this.run(r.single![graph], feeds[j]);
    } catch (e) {
      localError = e;
    }
    const failed = (await Promise.allSettled(remote)).find((x) => x.status === 'rejected');
    if (localError !== undefined || failed) throw localError ?? (failed as PromiseRejectedResult).reason;
    return out;
  }

  /** Loss and metrics of one batch (at most `rows` rows) without a gradient. */
  async evaluate(weights: Map<string, HostTensor>, batch: TrainBatch): Promise<LossResult> {
    const packed = packBatch(batch, this.o.rows, this.o.seqLen, this.config.vocabSize);
    const r = await this.init(packed);
    return r.loss.value(await this.outputs(weights, batch), packed);
  }

  /** The model outputs the loss reads (e.g. per-token log-probs [rows * T]) for one batch, padded to `rows`. */
  async outputs(weights: Map<string, HostTensor>, batch: TrainBatch): Promise<HostOutputs> {
    const packed = packBatch(batch, this.o.rows, this.o.seqLen, this.config.vocabSize);
    const r = await this.init(packed);
    return OUTPUT_NAMES.some((k) => r.loss.used[k]) ? this.run(r.wide!.forward, this.feeds(weights, packed)) : {};
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.ready
      ?.then(async (r) => {
        r.loss.dispose();
        if (r.wide && r.single)
          for (const x of new Set([r.wide.train, r.wide.forward, r.single.train, r.single.forward])) await x.release();
      })
      .catch(() => undefined);
    void this.pool?.then((p) => p.close()).catch(() => undefined);
  }

  private init(first: PackedBatch): Promise<Ready> {
    if (this.disposed) throw new Error('NativeGrad used after dispose()');
    // A failed first trace (e.g. a batch without the float the loss needs) must not stick.
    this.ready ??= this.start(first).catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async start(first: PackedBatch): Promise<Ready> {
    {
      const runtime = (this.ort = await import('onnxruntime-node'));
      const loss = new LossEvaluator(this.config, this.o.rows, this.o.seqLen, this.o.lossFn, first);
      const base = { seqLen: this.o.seqLen, used: loss.used, temperature: this.o.temperature };
      const graphs = {
        train: buildTrainGraph(this.config, { ...base, backward: true }),
        forward: buildTrainGraph(this.config, { ...base, backward: false }),
      };
      const load = async (graph: Uint8Array, threads: number) => {
        try {
          return await runtime.InferenceSession.create(graph, sessionOptions(threads));
        } catch (e) {
          throw runtimeError(
            `onnxruntime could not load the generated training graph: ${(e as Error).message}`,
            "this is a bug in rlmkit's native engine; train with engine: jax meanwhile",
            e,
          );
        }
      };
      if (!OUTPUT_NAMES.some((k) => loss.used[k])) return { loss, wide: null, single: null, graphs, gradNames: [] };
      const wide = { train: await load(graphs.train, this.o.threads), forward: await load(graphs.forward, this.o.threads) };
      const single = this.o.threads === 1 ? wide : { train: await load(graphs.train, 1), forward: await load(graphs.forward, 1) };
      return { loss, wide, single, graphs, gradNames: gradientNames(this.config, loss.used) };
    }
  }

  private feeds(weights: Map<string, HostTensor>, b: PackedBatch): Feeds {
    const { rows, seqLen: T } = this.o;
    const feeds: Feeds = {};
    for (const [name, shape] of weightShapes(this.config)) feeds[name] = { type: 'float32', data: weights.get(name)!.data, dims: shape };
    feeds.tokens = { type: 'int64', data: BigInt64Array.from(b.tokens, (x) => BigInt(x)), dims: [rows, T] };
    feeds.targets = { type: 'int64', data: BigInt64Array.from(b.targets, (x) => BigInt(x)), dims: [rows, T] };
    return feeds;
  }

  private async run(session: ort.InferenceSession, feeds: Feeds): Promise<Record<string, Float32Array>> {
    const wanted: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) wanted[name] = new this.ort!.Tensor(feeds[name].type, feeds[name].data, feeds[name].dims);
    const res = await session.run(wanted);
    const out: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(res)) out[k] = t.data as Float32Array;
    return out;
  }
}
