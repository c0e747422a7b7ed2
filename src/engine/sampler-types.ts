/**
 * The sampling contract shared by both engines: the jax-js reference (./jax-sampler.ts) and the
 * onnxruntime-node fast path (./onnx/). Both must return the same log-probs to 1e-4 for the same
 * weights (see README.md, "The model, exactly").
 */

import type { HostWeights } from './host-weights.js';

export type { HostWeights };

export interface SampleOptions {
  /** Tokens to generate at most per prompt (the stop token, when hit, counts as one). */
  maxNewTokens: number;
  /** Softmax temperature; 0 means greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: no limit). */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches p (default 1). */
  topP?: number;
  /** Tokens that end a sequence besides `<eos>` (e.g. `<eos_step>` = 3 to stop after one step). */
  stopTokens?: number[];
  /** Seed for the sampling random numbers (default 0). Same seed, same prompts: same tokens. */
  seed?: number;
  /** Token id -> bias added to its logit (OpenAI's logit_bias; ./adjust.ts). onnx engine only. */
  logitBias?: Record<number, number>;
  /** OpenAI's presence penalty (./adjust.ts). onnx engine only. */
  presencePenalty?: number;
  /** OpenAI's frequency penalty (./adjust.ts). onnx engine only. */
  frequencyPenalty?: number;
  /** Also return the k most likely tokens at each step, at temperature 1. onnx engine only. */
  topLogprobs?: number;
}

export interface SampleResult {
  /** The generated tokens (the prompt excluded), the final stop/eos token included when hit. */
  tokens: number[];
  /** log_softmax(logits / temperature) of each generated token, before top-k/top-p truncation
   * (temperature 0 is scored at temperature 1). */
  logprobs: number[];
  /** 'eos': emitted `<eos>`; 'stop': emitted one of `stopTokens`; 'length': hit maxNewTokens or the context. */
  finishReason: 'eos' | 'stop' | 'length';
  /** The stop token that ended the sequence when finishReason is 'stop'. */
  stopToken?: number;
  /** With `topLogprobs`: per generated token, the k most likely tokens at temperature 1. */
  topLogprobs?: { token: number; logprob: number }[][];
}

export interface Sampler {
  readonly kind: 'jax' | 'onnx';
  /** Batched autoregressive decoding with a KV cache; one result per prompt, in order. */
  sample(prompts: number[][], o: SampleOptions): Promise<SampleResult[]>;
  /**
   * Log-probs (temperature 1) of every token after the prompt: for each sequence `s` with prompt
   * length `p`, the result holds `log P(s[t] | s[<t])` for t in p..s.length-1.
   */
  scoreLogprobs(seqs: number[][], promptLens: number[]): Promise<number[][]>;
  /** Value-head output at the last position of each sequence (only for models with a value head). */
  values?(seqs: number[][]): Promise<number[]>;
  /** Frees native/device memory; the sampler must not be used afterwards. */
  dispose(): void;
}

/** The eos token id of every rlmkit tokenizer (see tokenizer.ts). */
export const EOS_TOKEN = 2;
