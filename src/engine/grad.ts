/**
 * The gradient of one micro-batch: the loss builder over the model outputs (ModelOutputs) and the
 * batch tensors, differentiated and jit-compiled once for a static [microBatchRows, seqLen]. The Trainer
 * owns one for its own thread; data-parallel training (./grad-pool.ts) runs one more per worker
 * thread, on the same code, so every thread computes bit-identical gradients for the same input.
 */
import { usageError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import { type Params, type RopeTables, causalMask, ropeTables } from './model.js';
import { type ForwardInputs, buildOutputs } from './outputs.js';
import {
  type Compiled,
  type DType,
  type Tensor,
  compile,
  disposeTree,
  fromHost,
  intsFromHost,
  refTree,
  toHostSync,
  valueAndGradWithAux,
} from './tensor.js';
import type { LossFn, TrainBatch } from './train-types.js';

type GradFn = (p: Params, inp: ForwardInputs, floats: Record<string, Tensor>) => [[Tensor, Record<string, Tensor>], Params];
type LossOnly = (p: Params, inp: ForwardInputs, floats: Record<string, Tensor>) => [Tensor, Record<string, Tensor>];

/** Loss and metrics of one micro-batch, on the host. */
export interface HostLoss {
  loss: number;
  metrics: Record<string, number>;
}

export class GradComputer {
  private readonly rope: RopeTables;
  private readonly mask: Tensor;
  private readonly gradFn: Compiled<GradFn>;
  private readonly lossOnly: Compiled<LossOnly>;

  constructor(
    readonly config: ModelConfig,
    readonly dtype: DType,
    readonly microBatchRows: number,
    readonly seqLen: number,
    lossFn: LossFn,
    temperature = 1,
  ) {
    const positions = [Array.from({ length: seqLen }, (_, t) => t)];
    this.rope = ropeTables(config, positions, dtype);
    this.mask = causalMask(seqLen, dtype);
    const objective: LossOnly = (p, inp, floats) => {
      const out = buildOutputs(p, config, inp, dtype, temperature);
      const { loss, metrics } = lossFn(out, { ...floats, tokens: inp.tokens, targets: inp.targets });
      return [loss, metrics ?? {}];
    };
    this.gradFn = compile(valueAndGradWithAux(objective) as GradFn);
    this.lossOnly = compile(objective);
  }

  /** Loss, metrics and gradients (owned by the caller) of `b` at `params` (borrowed). */
  grad(params: Params, b: TrainBatch): HostLoss & { grads: Params } {
    const [inp, floats] = this.inputs(b);
    const [[loss, metrics], grads] = this.gradFn(refTree(params), inp, floats);
    return { ...hostLoss(loss, metrics), grads };
  }

  /** Loss and metrics of `b` at `params` (borrowed), without a gradient. */
  evaluate(params: Params, b: TrainBatch): HostLoss {
    const [inp, floats] = this.inputs(b);
    const [loss, metrics] = this.lossOnly(refTree(params), inp, floats);
    return hostLoss(loss, metrics);
  }

  dispose(): void {
    disposeTree([this.rope, this.mask]);
    this.gradFn.dispose();
    this.lossOnly.dispose();
  }

  /** Pads a host batch to [microBatchRows, seqLen] and uploads it (the arrays are consumed by the call). */
  private inputs(b: TrainBatch): [ForwardInputs, Record<string, Tensor>] {
    const B = this.microBatchRows;
    const T = this.seqLen;
    const packed = packBatch(b, B, T, this.config.vocabSize);
    const floats: Record<string, Tensor> = {};
    for (const [name, f] of Object.entries(packed.floats)) floats[name] = fromHost(f.data, f.shape, this.dtype);
    const inp: ForwardInputs = {
      tokens: intsFromHost(packed.tokens, [B, T]),
      targets: intsFromHost(packed.targets, [B, T]),
      rope: refTree(this.rope),
      mask: this.mask.ref,
    };
    return [inp, floats];
  }
}

/** A batch validated and padded to [B, T] on the host (rows and positions past the data are 0). */
export interface PackedBatch {
  tokens: Int32Array;
  targets: Int32Array;
  floats: Record<string, { data: Float64Array; shape: number[] }>;
}

/** Validates a host batch and pads it to [B, T] (token ids checked against the vocabulary). */
export function packBatch(b: TrainBatch, B: number, T: number, V: number): PackedBatch {
  if (b.tokens.length > B)
    throw usageError(`batch has ${b.tokens.length} rows but the trainer's batch size is ${B}`, 'split it into micro-batches');
  if (b.targets.length !== b.tokens.length) throw usageError(`batch has ${b.tokens.length} token rows but ${b.targets.length} target rows`);
  const tok = new Int32Array(B * T);
  const tgt = new Int32Array(B * T);
  for (let i = 0; i < b.tokens.length; i++) {
    const row = b.tokens[i];
    const trow = b.targets[i];
    if (row.length > T)
      throw usageError(
        `sequence ${i} has ${row.length} tokens, more than the training length ${T}`,
        'truncate sequences to the context length',
      );
    if (trow.length !== row.length) throw usageError(`sequence ${i}: ${row.length} tokens but ${trow.length} targets`);
    for (let j = 0; j < row.length; j++) {
      checkTokenId(row[j], V);
      checkTokenId(trow[j], V);
      tok[i * T + j] = row[j];
      tgt[i * T + j] = trow[j];
    }
  }
  const floats: PackedBatch['floats'] = {};
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
      floats[name] = { data, shape: [B, T] };
    } else {
      const data = new Float64Array(B);
      (rows as number[]).forEach((x, i) => {
        data[i] = x;
      });
      floats[name] = { data, shape: [B] };
    }
  }
  return { tokens: tok, targets: tgt, floats };
}

function hostLoss(loss: Tensor, metrics: Record<string, Tensor>): HostLoss {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(metrics)) out[k] = toHostSync(t)[0];
  return { loss: toHostSync(loss)[0], metrics: out };
}

/** A token id outside the vocabulary is a user-visible error, not a silent zero embedding. */
export function checkTokenId(id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw usageError(
      `token id ${id} is outside the model vocabulary (0..${vocabSize - 1})`,
      'encode text with the tokenizer the model was trained with',
    );
  }
}
