/**
 * The generic training step: a loss builder over the model outputs (ModelOutputs) and the batch
 * tensors, differentiated and jit-compiled once, followed by a jitted AdamW update. SFT, PPO, GRPO
 * and value training are all this step with different loss builders (see losses.ts and
 * src/training). Gradient accumulation: `step()` takes k micro-batches and averages their gradients.
 */
import { usageError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import { type LlamaModel, type Params, type RopeTables, causalMask, paramsFromHost, ropeTables } from './model.js';
import { type AdamWOptions, DEFAULT_ADAMW, type ScheduleOptions, learningRate, makeAdamWUpdate, validateAdamW } from './optim.js';
import { type ForwardInputs, type ModelOutputs, buildOutputs } from './outputs.js';
import type { HostWeights } from './sampler.js';
import {
  type Compiled, type DType, type Tensor, compile, disposeTree, fromHost, hostTree, intsFromHost, ops, refTree, scalar, toHostSync, valueAndGradWithAux,
} from './tensor.js';

/** One (micro-)batch on the host. Rows shorter than the trainer's seqLen are padded. */
export interface TrainBatch {
  /** Input token ids per row. */
  tokens: number[][];
  /** Target ids per row (usually tokens shifted by one), same lengths as `tokens`. */
  targets: number[][];
  /**
   * Extra float inputs for the loss builder, by name: per-token [B][T] (padded with 0) or per-row
   * [B]. Missing rows (fewer rows than batchSize) are 0, so a loss must weight tokens by a mask.
   */
  floats?: Record<string, number[][] | number[]>;
}

/** A loss builder: runs traced inside the jitted step; use `ops` (src/engine/tensor.ts). */
export type LossFn = (out: ModelOutputs, batch: Record<string, Tensor>) => { loss: Tensor; metrics?: Record<string, Tensor> };

export interface TrainerOptions {
  batchSize: number;
  seqLen: number;
  lossFn: LossFn;
  optimizer?: Partial<AdamWOptions>;
  schedule?: Partial<ScheduleOptions>;
  /** Temperature applied to logits before log-probs/entropy (RL on tempered samples). Default 1. */
  temperature?: number;
}

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
export interface OptimizerState {
  step: number;
  moments: HostWeights;
}

type GradFn = (p: Params, inp: ForwardInputs, floats: Record<string, Tensor>) => [[Tensor, Record<string, Tensor>], Params];
type LossOnly = (p: Params, inp: ForwardInputs, floats: Record<string, Tensor>) => [Tensor, Record<string, Tensor>];

export class Trainer {
  readonly config: ModelConfig;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly adam: AdamWOptions;
  readonly schedule: ScheduleOptions;
  private readonly dtype: DType;
  private stepCount = 0;
  private m: Params;
  private v: Params;
  private readonly rope: RopeTables;
  private readonly mask: Tensor;
  private readonly gradFn: Compiled<GradFn>;
  private readonly lossOnly: Compiled<LossOnly>;
  private readonly update: ReturnType<typeof makeAdamWUpdate>;
  private readonly addGrads: Compiled<(a: Params, b: Params) => Params>;
  private disposed = false;

  constructor(readonly model: LlamaModel, o: TrainerOptions) {
    this.config = model.config;
    this.dtype = model.dtype;
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw usageError(`batch size must be a positive integer, got ${o.batchSize}`);
    if (!Number.isInteger(o.seqLen) || o.seqLen < 1 || o.seqLen > this.config.maxSeqLen) {
      throw usageError(`training sequence length ${o.seqLen} is outside 1..${this.config.maxSeqLen} (the model's maxSeqLen)`, 'shorten the sequences or use a model with a longer context');
    }
    this.batchSize = o.batchSize;
    this.seqLen = o.seqLen;
    this.adam = validateAdamW({ ...DEFAULT_ADAMW, ...o.optimizer });
    this.schedule = { warmupSteps: 0, totalSteps: 1, minLrRatio: 0.1, ...o.schedule };
    const zeros = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, a]) => [k, fromHost(new Float32Array(a.size), a.shape, this.dtype)]));
    this.m = zeros(model.params);
    this.v = zeros(model.params);
    const positions = [Array.from({ length: o.seqLen }, (_, t) => t)];
    this.rope = ropeTables(this.config, positions, this.dtype);
    this.mask = causalMask(o.seqLen, this.dtype);
    const cfg = this.config;
    const dtype = this.dtype;
    const temperature = o.temperature ?? 1;
    const lossFn = o.lossFn;
    const objective: LossOnly = (p, inp, floats) => {
      const out = buildOutputs(p, cfg, inp, dtype, temperature);
      const { loss, metrics } = lossFn(out, { ...floats, tokens: inp.tokens, targets: inp.targets });
      return [loss, metrics ?? {}];
    };
    this.gradFn = compile(valueAndGradWithAux(objective) as GradFn);
    this.lossOnly = compile(objective);
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

  /** One optimiser step over k micro-batches (their gradients averaged: gradient accumulation). */
  async trainStep(microBatches: TrainBatch[]): Promise<StepResult> {
    this.assertAlive();
    if (microBatches.length === 0) throw usageError('trainStep needs at least one batch');
    let gradSum: Params | undefined;
    let lossSum = 0;
    const metricSums: Record<string, number> = {};
    for (const mb of microBatches) {
      const [inp, floats] = this.inputs(mb);
      const [[loss, metrics], grads] = this.gradFn(refTree(this.model.params), inp, floats);
      gradSum = gradSum ? this.addGrads(gradSum, grads) : grads;
      lossSum += toHostSync(loss)[0];
      for (const [k, t] of Object.entries(metrics)) metricSums[k] = (metricSums[k] ?? 0) + toHostSync(t)[0];
    }
    const k = microBatches.length;
    const t = this.stepCount + 1;
    const lr = learningRate(this.stepCount, this.adam.lr, this.schedule);
    const scalars = {
      lr: scalar(lr, this.dtype),
      bc1: scalar(1 - Math.pow(this.adam.beta1, t), this.dtype),
      bc2: scalar(1 - Math.pow(this.adam.beta2, t), this.dtype),
      gradScale: scalar(1 / k, this.dtype),
    };
    const [p, m, v, norm] = this.update(this.model.params, gradSum!, this.m, this.v, scalars);
    this.model.params = p;
    this.m = m;
    this.v = v;
    this.stepCount = t;
    const gradNorm = toHostSync(norm)[0];
    const metrics: Record<string, number> = {};
    for (const [name, s] of Object.entries(metricSums)) metrics[name] = s / k;
    return { step: t, loss: lossSum / k, lr, gradNorm, metrics };
  }

  /** Loss and metrics of a batch without a gradient or an update. */
  async evaluate(batch: TrainBatch): Promise<{ loss: number; metrics: Record<string, number> }> {
    this.assertAlive();
    const [inp, floats] = this.inputs(batch);
    const [loss, metrics] = this.lossOnly(refTree(this.model.params), inp, floats);
    const out: Record<string, number> = {};
    for (const [k, t] of Object.entries(metrics)) out[k] = toHostSync(t)[0];
    return { loss: toHostSync(loss)[0], metrics: out };
  }

  /** Optimiser moments and step, for checkpoints. */
  optimizerState(): OptimizerState {
    this.assertAlive();
    const moments: HostWeights = new Map();
    for (const [prefix, tree] of [['m.', this.m], ['v.', this.v]] as const) {
      for (const [name, w] of hostTree(tree)) moments.set(prefix + name, w);
    }
    return { step: this.stepCount, moments };
  }

  /** Restores optimiser moments and step saved by optimizerState() (exactly). */
  loadOptimizerState(s: OptimizerState): void {
    this.assertAlive();
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
    disposeTree([this.m, this.v, this.rope, this.mask]);
    this.gradFn.dispose();
    this.lossOnly.dispose();
    this.update.dispose();
    this.addGrads.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Trainer used after dispose()');
    this.model.assertAlive();
  }

  /** Pads a host batch to [batchSize, seqLen] and uploads it (the arrays are consumed by the call). */
  private inputs(b: TrainBatch): [ForwardInputs, Record<string, Tensor>] {
    const B = this.batchSize;
    const T = this.seqLen;
    if (b.tokens.length > B) throw usageError(`batch has ${b.tokens.length} rows but the trainer's batch size is ${B}`, 'split it into micro-batches');
    if (b.targets.length !== b.tokens.length) throw usageError(`batch has ${b.tokens.length} token rows but ${b.targets.length} target rows`);
    const V = this.config.vocabSize;
    const tok = new Int32Array(B * T);
    const tgt = new Int32Array(B * T);
    for (let i = 0; i < b.tokens.length; i++) {
      const row = b.tokens[i];
      const trow = b.targets[i];
      if (row.length > T) throw usageError(`sequence ${i} has ${row.length} tokens, more than the training length ${T}`, 'truncate sequences to the context length');
      if (trow.length !== row.length) throw usageError(`sequence ${i}: ${row.length} tokens but ${trow.length} targets`);
      for (let j = 0; j < row.length; j++) {
        checkTokenId(row[j], V);
        checkTokenId(trow[j], V);
        tok[i * T + j] = row[j];
        tgt[i * T + j] = trow[j];
      }
    }
    const floats: Record<string, Tensor> = {};
    for (const [name, rows] of Object.entries(b.floats ?? {})) {
      if (name === 'tokens' || name === 'targets') throw usageError(`batch float "${name}" clashes with a built-in batch input`);
      if (rows.length > B) throw usageError(`batch float "${name}" has ${rows.length} rows, more than the batch size ${B}`);
      const perToken = rows.some((r) => Array.isArray(r));
      if (perToken) {
        const data = new Float64Array(B * T);
        rows.forEach((r, i) => {
          const row = r as number[];
          if (row.length > T) throw usageError(`batch float "${name}" row ${i} is longer than ${T}`);
          for (let j = 0; j < row.length; j++) data[i * T + j] = row[j];
        });
        floats[name] = fromHost(data, [B, T], this.dtype);
      } else {
        const data = new Float64Array(B);
        (rows as number[]).forEach((x, i) => { data[i] = x; });
        floats[name] = fromHost(data, [B], this.dtype);
      }
    }
    const inp: ForwardInputs = {
      tokens: intsFromHost(tok, [B, T]),
      targets: intsFromHost(tgt, [B, T]),
      rope: refTree(this.rope),
      mask: this.mask.ref,
    };
    return [inp, floats];
  }
}

/** A token id outside the vocabulary is a user-visible error, not a silent zero embedding. */
export function checkTokenId(id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw usageError(`token id ${id} is outside the model vocabulary (0..${vocabSize - 1})`, 'encode text with the tokenizer the model was trained with');
  }
}
