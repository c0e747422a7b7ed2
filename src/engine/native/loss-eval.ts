/**
 * The loss side of the native engine: any LossFn (written with `ops` over ModelOutputs) evaluated
 * by jax-js on the model outputs the ONNX graph produced, and differentiated with respect to those
 * outputs only ([B, T] log-probs, entropy, values; [B, T, V] logits). These are small tensors, so
 * this part costs little next to the model's forward and backward pass, which run natively
 * (./train-graph.ts); the chain rule joins the two: the upstream gradients computed here are
 * inputs of the training graph.
 */
import { usageError } from '../../core/errors.js';
import type { ModelConfig } from '../config.js';
import type { PackedBatch } from '../grad.js';
import type { ModelOutputs } from '../outputs.js';
import { type Compiled, type Tensor, compile, fromHost, intsFromHost, ops, toHostSync, valueAndGradWithAux } from '../tensor.js';
import type { LossFn } from '../train-types.js';
import type { UsedOutputs } from './train-graph.js';

export const OUTPUT_NAMES = ['logprobs', 'entropy', 'values', 'logits'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];
export type HostOutputs = Partial<Record<OutputName, Float32Array>>;

type Outs = Partial<Record<OutputName, Tensor>>;
type Rest = Record<string, Tensor>;

function tensorOutputs(o: Outs, cfg: ModelConfig, B: number, T: number, seen?: Set<OutputName>): ModelOutputs {
  const get = (k: OutputName, shape: number[]): Tensor => {
    seen?.add(k);
    const t = o[k];
    if (!t) throw new Error(`native engine: output ${k} was not computed (loss usage changed after the first step)`);
    return ops.reshape(t, shape);
  };
  return {
    batchSize: B,
    seqLen: T,
    logprobs: () => get('logprobs', [B, T]),
    entropy: () => get('entropy', [B, T]),
    logits: () => get('logits', [B, T, cfg.vocabSize]),
    values: () => {
      if (!cfg.valueHead)
        throw usageError('this loss needs values, but the model has no value head', 'create the model with valueHead: true');
      return get('values', [B, T]);
    },
  };
}

export interface LossResult {
  loss: number;
  metrics: Record<string, number>;
}

/** Evaluates and differentiates a LossFn over host model outputs of one chunk of [rows, T]. */
export class LossEvaluator {
  readonly used: UsedOutputs;
  private readonly gradFn: Compiled<(o: Outs, rest: Rest) => [[Tensor, Record<string, Tensor>], Outs]>;
  private readonly valueFn: Compiled<(o: Outs, rest: Rest) => [Tensor, Record<string, Tensor>]>;

  /** Traces the loss once on `first` to learn which outputs it reads. */
  constructor(
    readonly cfg: ModelConfig,
    readonly rows: number,
    readonly seqLen: number,
    lossFn: LossFn,
    first: PackedBatch,
  ) {
    const B = rows;
    const T = seqLen;
    const seen = new Set<OutputName>();
    const probe = compile((o: Outs, rest: Rest) => lossFn(tensorOutputs(o, cfg, B, T, seen), rest).loss);
    const all: HostOutputs = {};
    for (const k of OUTPUT_NAMES) all[k] = new Float32Array(this.size(k));
    try {
      toHostSync(probe(this.upload(all), this.rest(first)));
    } finally {
      probe.dispose();
    }
    this.used = { logprobs: seen.has('logprobs'), entropy: seen.has('entropy'), values: seen.has('values'), logits: seen.has('logits') };
    const objective = (o: Outs, rest: Rest): [Tensor, Record<string, Tensor>] => {
      const { loss, metrics } = lossFn(tensorOutputs(o, cfg, B, T), rest);
      return [loss, metrics ?? {}];
    };
    this.gradFn = compile(valueAndGradWithAux(objective));
    this.valueFn = compile(objective);
  }

  /** Number of floats of output `k` for one chunk. */
  size(k: OutputName): number {
    return this.rows * this.seqLen * (k === 'logits' ? this.cfg.vocabSize : 1);
  }

  /** Loss, metrics and d loss / d output for every used output. */
  grad(outs: HostOutputs, batch: PackedBatch): LossResult & { upstream: HostOutputs } {
    const [[loss, metrics], grads] = this.gradFn(this.upload(outs), this.rest(batch));
    const upstream: HostOutputs = {};
    for (const k of OUTPUT_NAMES) {
      const g = grads[k];
      if (!g) continue;
      const d = toHostSync(g);
      upstream[k] = d instanceof Float32Array ? d : Float32Array.from(d);
    }
    return { ...hostLoss(loss, metrics), upstream };
  }

  /** Loss and metrics without a gradient. */
  value(outs: HostOutputs, batch: PackedBatch): LossResult {
    const [loss, metrics] = this.valueFn(this.upload(outs), this.rest(batch));
    return hostLoss(loss, metrics);
  }

  dispose(): void {
    this.gradFn.dispose();
    this.valueFn.dispose();
  }

  private upload(outs: HostOutputs): Outs {
    const o: Outs = {};
    for (const k of OUTPUT_NAMES) {
      const d = outs[k];
      if (!d) continue;
      o[k] = fromHost(d, k === 'logits' ? [this.rows, this.seqLen, this.cfg.vocabSize] : [this.rows, this.seqLen]);
    }
    return o;
  }

  private rest(b: PackedBatch): Rest {
    const r: Rest = {};
    for (const [name, f] of Object.entries(b.floats)) r[name] = fromHost(f.data, f.shape);
    r.tokens = intsFromHost(b.tokens, [this.rows, this.seqLen]);
    r.targets = intsFromHost(b.targets, [this.rows, this.seqLen]);
    return r;
  }
}

function hostLoss(loss: Tensor, metrics: Record<string, Tensor>): LossResult {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(metrics)) out[k] = toHostSync(t)[0];
  return { loss: toHostSync(loss)[0], metrics: out };
}
