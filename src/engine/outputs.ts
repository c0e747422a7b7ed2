/**
 * What a loss builder sees of a forward pass: per-token log-probs of the targets, entropy, values
 * and logits, each computed only when asked for (and once per trace). Everything here runs inside
 * a jitted function.
 */
import { usageError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import { type Params, type RopeTables, lmHead, trunk, valueHead } from './model.js';
import { type DType, type Tensor, ops } from './tensor.js';

export interface ModelOutputs {
  /** Batch size and sequence length of this (padded) batch. */
  readonly batchSize: number;
  readonly seqLen: number;
  /** Logits / temperature, [B, T, V]. */
  logits(): Tensor;
  /** log_softmax(logits / temperature)[target] for every position, [B, T]. */
  logprobs(): Tensor;
  /** Entropy of the softmax(logits / temperature) distribution at every position, [B, T]. */
  entropy(): Tensor;
  /** Value-head output tanh(.) in [-1, 1] at every position, [B, T] (models with a value head). */
  values(): Tensor;
}

/** Model inputs as jit arguments: token ids and targets [B, T] int32, RoPE tables, causal mask. */
export interface ForwardInputs {
  tokens: Tensor;
  targets: Tensor;
  rope: RopeTables;
  mask: Tensor;
}

export function buildOutputs(p: Params, cfg: ModelConfig, inp: ForwardInputs, dtype: DType, temperature = 1): ModelOutputs {
  const [B, T] = inp.tokens.shape;
  const V = cfg.vocabSize;
  let hidden: Tensor | undefined;
  let logitsFlat: Tensor | undefined;
  let logp: Tensor | undefined;
  const getHidden = () => (hidden ??= trunk(p, cfg, inp.tokens, inp.rope, inp.mask, dtype));
  const getLogits = () => {
    if (!logitsFlat) {
      const raw = lmHead(p, cfg, getHidden());
      logitsFlat = temperature === 1 ? raw : ops.div(raw, temperature);
    }
    return logitsFlat;
  };
  const getLogp = () => (logp ??= ops.logSoftmax(getLogits(), -1));
  return {
    batchSize: B,
    seqLen: T,
    logits: () => ops.reshape(getLogits(), [B, T, V]),
    logprobs: () => {
      const picked = ops.sum(ops.mul(getLogp(), ops.oneHot(ops.reshape(inp.targets, [B * T]), V, dtype)), -1);
      return ops.reshape(picked, [B, T]);
    },
    entropy: () => {
      const lp = getLogp();
      return ops.reshape(ops.neg(ops.sum(ops.mul(ops.exp(lp), lp), -1)), [B, T]);
    },
    values: () => {
      if (!cfg.valueHead)
        throw usageError('this loss needs values, but the model has no value head', 'create the model with valueHead: true');
      return ops.reshape(valueHead(p, getHidden()), [B, T]);
    },
  };
}
