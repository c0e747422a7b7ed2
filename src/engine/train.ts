/**
 * The generic training step: a loss builder over the model outputs (ModelOutputs) and the batch
 * tensors, differentiated and jit-compiled once (./grad.ts), followed by a jitted AdamW update.
 * SFT, PPO, GRPO and value training are all this step with different loss builders (see
 * losses.ts and src/training).
 *
 * Vocabulary (verl's): a mini-batch is the rows of one optimiser step, a micro-batch the rows of
 * one forward/backward pass. `trainStep()` takes the step's mini-batch as one batch of at most
 * `miniBatchRows` rows, or as k such batches whose gradients it averages (gradient accumulation:
 * `rlmkit lm train --grad-accum k`). With `microBatchRows: r`, each batch is split into
 * micro-batches of r rows, combined as
 * the loss says (./loss-info.ts: summed for losses whose weights are normalised over the whole
 * batch, so the step equals the unsplit one; averaged otherwise). With `workers: n`, the micro-batches are
 * computed on this thread and n - 1 worker threads at once (./grad-pool.ts) and summed in order,
 * so the result does not depend on n: workers only change the speed.
 */
import * as os from 'node:os';
import { usageError } from '../core/errors.js';
import { type TrainEngine, scopedTrainEngine } from './engine-scope.js';
import type { ModelConfig } from './config.js';
import { weightShapes } from './config.js';
import { GradComputer } from './grad.js';
import { GradPool } from './grad-pool.js';
import { lossInfo, type LossInfo } from './loss-info.js';
import { NativeTrainer } from './native/native-trainer.js';
import { type LlamaModel, type Params, paramsFromHost } from './model.js';
import { type AdamWOptions, DEFAULT_ADAMW, type ScheduleOptions, learningRate, makeAdamWUpdate, validateAdamW } from './optim.js';
import type { HostWeights } from './host-weights.js';
import type { LossFn, OptimizerState, TrainBatch } from './train-types.js';

export type { LossFn, OptimizerState, TrainBatch };
import { type Compiled, type DType, type Tensor, compile, disposeTree, fromHost, hostTree, ops, scalar, toHostSync } from './tensor.js';

export interface TrainerOptions {
  /** Rows of one mini-batch, i.e. of one batch given to trainStep, at most (fewer is fine). */
  miniBatchRows: number;
  seqLen: number;
  lossFn: LossFn;
  optimizer?: Partial<AdamWOptions>;
  schedule?: Partial<ScheduleOptions>;
  /** Temperature applied to logits before log-probs/entropy (RL on tempered samples). Default 1. */
  temperature?: number;
  /**
   * Rows per micro-batch: every mini-batch passed to trainStep is split into micro-batches of at
   * most this many rows (see the top of this file), the compiled batch dimension. A mini-batch with
   * fewer rows runs fewer micro-batches, so a half-empty one (RL after dynamic sampling) costs half.
   * Default: miniBatchRows (no split). Recipes set it as `micro_batch_size`.
   */
  microBatchRows?: number;
  /**
   * Threads computing the micro-batches: this one plus workers - 1 worker threads (each with its own
   * copy of the model and activations). 'auto': one per CPU core, at most the micro-batches of a full mini-batch. Only
   * the speed depends on it. Needs a loss described with a source (./loss-info.ts). Default 1.
   */
  workers?: number | 'auto';
  /**
   * Which engine computes the step: 'onnx' (default for float32 models) runs the forward and
   * backward pass as an onnxruntime graph with native kernels (./native/), `workers` being its
   * intra-op threads; 'jax' (default for float64 models) the jit-compiled jax-js step. Both give the
   * same step up to float32 rounding (tested).
   */
  engine?: TrainEngine;
}

export type { TrainEngine };

export interface StepResult {
  /** Optimiser step just completed (1-based). */
  step: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  metrics: Record<string, number>;
}

/** Optimiser state as host tensors (m.<name>, v.<name>) plus the step count. */

export class Trainer {
  readonly config: ModelConfig;
  /** Rows of one mini-batch at most (one batch given to trainStep). */
  readonly miniBatchRows: number;
  readonly seqLen: number;
  /** Rows per micro-batch: the compiled batch dimension. */
  readonly microBatchRows: number;
  /** Threads that compute gradients (this one included). */
  readonly workers: number;
  readonly engine: TrainEngine;
  readonly adam: AdamWOptions;
  readonly schedule: ScheduleOptions;
  private readonly dtype: DType;
  private readonly loss: LossInfo;
  private readonly temperature: number;
  private stepCount = 0;
  private m!: Params;
  private v!: Params;
  private readonly computer!: GradComputer;
  private pool?: Promise<GradPool>;
  private readonly update!: ReturnType<typeof makeAdamWUpdate>;
  private readonly addGrads!: Compiled<(a: Params, b: Params) => Params>;
  private readonly native?: NativeTrainer;
  private disposed = false;

  constructor(
    readonly model: LlamaModel,
    o: TrainerOptions,
  ) {
    this.config = model.config;
    this.dtype = model.dtype;
    if (!Number.isInteger(o.miniBatchRows) || o.miniBatchRows < 1)
      throw usageError(`batch size must be a positive integer, got ${o.miniBatchRows}`);
    if (!Number.isInteger(o.seqLen) || o.seqLen < 1 || o.seqLen > this.config.maxSeqLen) {
      throw usageError(
        `training sequence length ${o.seqLen} is outside 1..${this.config.maxSeqLen} (the model's maxSeqLen)`,
        'shorten the sequences or use a model with a longer context',
      );
    }
    const rows = o.microBatchRows ?? o.miniBatchRows;
    if (!Number.isInteger(rows) || rows < 1) throw usageError(`micro-batch rows must be a positive integer, got ${rows}`);
    this.microBatchRows = Math.min(rows, o.miniBatchRows);
    const engine = o.engine ?? scopedTrainEngine() ?? (this.dtype === 'float32' ? 'onnx' : 'jax');
    if (engine !== 'onnx' && engine !== 'jax') throw usageError(`training engine must be "onnx" or "jax", got ${String(engine)}`);
    if (engine === 'onnx' && this.dtype !== 'float32')
      throw usageError('the onnx training engine runs float32 models only', 'use engine: "jax" for a float64 model');
    this.engine = engine;
    const cores = Math.max(1, os.availableParallelism());
    const workers =
      o.workers === 'auto'
        ? engine === 'onnx'
          ? cores
          : Math.min(Math.ceil(o.miniBatchRows / this.microBatchRows), cores)
        : (o.workers ?? 1);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64)
      throw usageError(`workers must be a whole number of threads in 1..64 or "auto", got ${o.workers}`);
    this.loss = lossInfo(o.lossFn);
    if (engine === 'jax' && workers > 1 && !this.loss.source)
      throw usageError(
        'training on several threads needs a loss with a source (describeLoss in src/engine/loss-info.ts)',
        'use workers: 1 with this loss',
      );
    this.miniBatchRows = o.miniBatchRows;
    this.seqLen = o.seqLen;
    this.workers = workers;
    this.temperature = o.temperature ?? 1;
    this.adam = validateAdamW({ ...DEFAULT_ADAMW, ...o.optimizer });
    this.schedule = { warmupSteps: 0, totalSteps: 1, minLrRatio: 0.1, ...o.schedule };
    if (engine === 'onnx') {
      this.native = new NativeTrainer(model, this.adam, {
        rows: this.microBatchRows,
        seqLen: o.seqLen,
        lossFn: o.lossFn,
        linear: this.loss.linear === true,
        temperature: this.temperature,
        threads: workers,
      });
      return;
    }
    const zeros = (p: Params): Params =>
      Object.fromEntries(Object.entries(p).map(([k, a]) => [k, fromHost(new Float32Array(a.size), a.shape, this.dtype)]));
    this.m = zeros(model.params);
    this.v = zeros(model.params);
    this.computer = new GradComputer(this.config, this.dtype, this.microBatchRows, o.seqLen, o.lossFn, this.temperature);
    this.update = makeAdamWUpdate(this.adam);
    this.addGrads = compile((a: Params, b: Params) => Object.fromEntries(Object.keys(a).map((k) => [k, ops.add(a[k], b[k])])));
  }

  /** Optimiser steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /** The learning rate the next step will use. */
  get nextLr(): number {
    return learningRate(this.stepCount, this.adam.lr, this.schedule);
  }

  /**
   * One optimiser step over k batches (their gradients averaged: gradient accumulation), each
   * split into micro-batches of at most `microBatchRows` rows.
   */
  async trainStep(batches: TrainBatch[]): Promise<StepResult> {
    this.assertAlive();
    if (batches.length === 0) throw usageError('trainStep needs at least one batch');
    for (const b of batches) {
      if (b.tokens.length > this.miniBatchRows)
        throw usageError(
          `batch has ${b.tokens.length} rows but the trainer's batch size is ${this.miniBatchRows}`,
          'split it into micro-batches',
        );
    }
    // Micro-batches in order, each with its weight in the step: summed within a batch for 'sum' losses,
    // averaged otherwise; averaged over the k batches.
    const microBatches: { batch: TrainBatch; weight: number; sums: number }[] = [];
    for (const b of batches) {
      const parts = splitRows(b, this.microBatchRows);
      // A mean loss: micro-batches weighted by their share of the batch's rows (equal for full batches).
      for (const part of parts)
        microBatches.push({
          batch: part,
          weight: (this.loss.rows === 'sum' || b.tokens.length === 0 ? 1 : part.tokens.length / b.tokens.length) / batches.length,
          sums: 1 / batches.length,
        });
    }
    if (this.native) {
      const t = this.stepCount + 1;
      const lr = learningRate(this.stepCount, this.adam.lr, this.schedule);
      const { losses, gradNorm } = await this.native.step(
        microBatches.map((c) => ({ batch: c.batch, weight: c.weight })),
        lr,
        t,
      );
      const { loss, metrics } = this.combine(losses, microBatches);
      this.stepCount = t;
      return { step: t, loss, lr, gradNorm, metrics };
    }
    const results = await this.gradients(microBatches.map((c) => c.batch));
    // Gradients summed in micro-batch order; a common weight is applied in the update (exact for the
    // usual equal weights), unequal weights scale each micro-batch first.
    const uniform = microBatches.every((c) => c.weight === microBatches[0].weight);
    let gradSum: Params | undefined;
    for (let i = 0; i < results.length; i++) {
      const g = uniform ? results[i].grads : this.scaled(results[i].grads, microBatches[i].weight);
      gradSum = gradSum ? this.addGrads(gradSum, g) : g;
    }
    const { loss, metrics } = this.combine(results, microBatches);
    const t = this.stepCount + 1;
    const lr = learningRate(this.stepCount, this.adam.lr, this.schedule);
    const scalars = {
      lr: scalar(lr, this.dtype),
      bc1: scalar(1 - Math.pow(this.adam.beta1, t), this.dtype),
      bc2: scalar(1 - Math.pow(this.adam.beta2, t), this.dtype),
      gradScale: scalar(uniform ? microBatches[0].weight : 1, this.dtype),
    };
    const [p, m, v, norm] = this.update(this.model.params, gradSum!, this.m, this.v, scalars);
    this.model.params = p;
    this.m = m;
    this.v = v;
    this.stepCount = t;
    const gradNorm = toHostSync(norm)[0];
    return { step: t, loss, lr, gradNorm, metrics };
  }

  /** The step's loss and metrics from the micro-batches (see the top of this file). */
  private combine(
    results: { loss: number; metrics: Record<string, number> }[],
    microBatches: { weight: number; sums: number }[],
  ): { loss: number; metrics: Record<string, number> } {
    let loss = 0;
    const metrics: Record<string, number> = {};
    const summed = new Set(this.loss.summedMetrics);
    results.forEach((r, i) => {
      loss += r.loss * microBatches[i].weight;
      const meanWeight = this.loss.rows === 'sum' ? 1 / results.length : microBatches[i].weight;
      for (const [k, x] of Object.entries(r.metrics))
        metrics[k] = (metrics[k] ?? 0) + x * (summed.has(k) ? microBatches[i].sums : meanWeight);
    });
    return { loss, metrics };
  }

  /** Loss and metrics of a batch (at most microBatchRows rows) without a gradient or an update. */
  async evaluate(batch: TrainBatch): Promise<{ loss: number; metrics: Record<string, number> }> {
    this.assertAlive();
    if (this.native) return this.native.evaluate(batch);
    return this.computer.evaluate(this.model.params, batch);
  }

  /** Optimiser moments and step, for checkpoints. */
  optimizerState(): OptimizerState {
    this.assertAlive();
    if (this.native) return { step: this.stepCount, moments: this.native.moments() };
    const moments: HostWeights = new Map();
    for (const [prefix, tree] of [
      ['m.', this.m],
      ['v.', this.v],
    ] as const) {
      for (const [name, w] of hostTree(tree)) moments.set(prefix + name, w);
    }
    return { step: this.stepCount, moments };
  }

  /** Restores optimiser moments and step saved by optimizerState() (exactly). */
  loadOptimizerState(s: OptimizerState): void {
    this.assertAlive();
    if (this.native) {
      this.native.loadMoments(s);
      this.stepCount = s.step;
      return;
    }
    const pick = (prefix: string): HostWeights => {
      const out: HostWeights = new Map();
      for (const [k, w] of s.moments) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), w);
      return out;
    };
    const m = paramsFromHost(pick('m.'), this.config, this.dtype);
    const v = paramsFromHost(pick('v.'), this.config, this.dtype);
    disposeTree(this.m);
    disposeTree(this.v);
    this.m = m;
    this.v = v;
    this.stepCount = s.step;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.native) {
      this.native.dispose();
      return;
    }
    disposeTree([this.m, this.v]);
    this.computer.dispose();
    this.update.dispose();
    this.addGrads.dispose();
    this.scaleGrads?.dispose();
    void this.pool?.then((p) => p.close()).catch(() => undefined);
  }

  private scaleGrads?: Compiled<(g: Params, w: Tensor) => Params>;

  /** g * w for every gradient (consumes g). */
  private scaled(g: Params, w: number): Params {
    this.scaleGrads ??= compile((a: Params, s: Tensor) => Object.fromEntries(Object.keys(a).map((k) => [k, ops.mul(a[k], s)])));
    return this.scaleGrads(g, scalar(w, this.dtype));
  }

  /**
   * Gradients of every micro-batch, in order: micro-batch i runs on thread i mod n (0 = this one). Worker
   * jobs are posted first, then this thread computes its share while they run.
   */
  private async gradients(microBatches: TrainBatch[]): Promise<{ loss: number; metrics: Record<string, number>; grads: Params }[]> {
    const threads = Math.min(this.workers, microBatches.length);
    const out: { loss: number; metrics: Record<string, number>; grads: Params }[] = new Array(microBatches.length);
    let remote: Promise<void>[] = [];
    if (threads > 1) {
      const pool = await this.startPool();
      const shapes = weightShapes(this.config);
      const host = hostTree(this.model.params);
      remote = Array.from({ length: threads - 1 }, (_, w) => {
        const mine = microBatches.map((c, i) => [c, i] as const).filter(([, i]) => i % threads === w + 1);
        // hostTree made fresh copies: the last worker takes them, the others their own copies
        // (the buffers are moved to the worker, not cloned).
        const params = shapes.map(([name]) => (w === threads - 2 ? host.get(name)!.data : host.get(name)!.data.slice()));
        return pool
          .run(
            w,
            params,
            mine.map(([c]) => c),
          )
          .then((res) => {
            res.forEach((r, j) => {
              const grads: Params = Object.fromEntries(shapes.map(([name, shape], k) => [name, fromHost(r.grads[k], shape, this.dtype)]));
              out[mine[j][1]] = { loss: r.loss, metrics: r.metrics, grads };
            });
          });
      });
    }
    let localError: unknown;
    try {
      for (let i = 0; i < microBatches.length; i += threads) out[i] = this.computer.grad(this.model.params, microBatches[i]);
    } catch (e) {
      localError = e;
    }
    // Even when this thread failed, wait for the workers so no job outlives the step.
    const failed = (await Promise.allSettled(remote)).find((s) => s.status === 'rejected');
    if (localError !== undefined || failed) {
      disposeTree(out.filter(Boolean).map((r) => r.grads));
      throw localError ?? (failed as PromiseRejectedResult).reason;
    }
    return out;
  }

  private startPool(): Promise<GradPool> {
    this.pool ??= GradPool.start(this.workers - 1, {
      config: this.config,
      dtype: this.dtype,
      microBatchRows: this.microBatchRows,
      seqLen: this.seqLen,
      temperature: this.temperature,
      loss: this.loss.source!,
    });
    return this.pool;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Trainer used after dispose()');
    this.model.assertAlive();
  }
}

/** Splits a mini-batch into micro-batches of at most `rows` rows (row-indexed floats split alike); none empty. */
export function splitRows(b: TrainBatch, rows: number): TrainBatch[] {
  if (b.tokens.length <= rows) return [b];
  const out: TrainBatch[] = [];
  for (let start = 0; start < b.tokens.length; start += rows) {
    const floats = b.floats ? Object.fromEntries(Object.entries(b.floats).map(([k, v]) => [k, v.slice(start, start + rows)])) : undefined;
    out.push({ tokens: b.tokens.slice(start, start + rows), targets: b.targets.slice(start, start + rows), ...(floats ? { floats } : {}) });
  }
  return out;
}

export { checkTokenId } from './grad.js';
