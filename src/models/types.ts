/**
 * The model contracts every backend implements and every strategy/trainer uses. A strategy never
 * knows which backend it talks to (embedded, OpenAI-compatible HTTP, GGUF): it calls these.
 * Shape follows the Vercel AI SDK idea: one small provider specification, with its version
 * (`specificationVersion`, checked where a model enters: ./interface-version.ts).
 */
import type { ModelSpecificationVersion } from './interface-version.js';

/** One part of a multimodal message, as OpenAI clients send it (src/models/multimodal.ts). */
export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'input_image'; image_url: string | { url: string }; detail?: string };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  /** The message's text (its text parts joined, when it has parts). */
  content: string;
  /** The content parts as sent, images included; backends that take images send these unchanged, text-only ones refuse them. */
  parts?: ChatContentPart[];
}

/** One prompt: plain text (completion style) or a chat message list. */
export interface GenerateRequest {
  /** Completion-style prompt. Exactly one of `prompt` and `messages` is set. */
  prompt?: string;
  /** Chat-style prompt. Backends without chat render it with their template. */
  messages?: ChatMessage[];
}

export interface GenerateOptions {
  /** Completions per request (default 1). */
  n?: number;
  /** Maximum new tokens per completion. */
  maxTokens?: number;
  /** 0 = greedy. Default 1. */
  temperature?: number;
  topP?: number;
  topK?: number;
  /**
   * Stop sequences. A completion ends *before* the first stop sequence it produces; the
   * sequence that stopped it is reported in `Completion.stopSequence`. For embedded models the
   * end-of-intermediate-step token is the text "\n" (see src/engine tokenizer).
   */
  stop?: string[];
  /** Return per-token log-probabilities (under the sampling distribution at temperature 1). */
  logprobs?: boolean;
  /** Seed for reproducible sampling where the backend supports it. */
  seed?: number;
  /**
   * OpenAI's sampling controls, for backends whose capabilities list them (`capabilities.sampling`):
   * token id -> logit bias, presence and frequency penalties, and k top log-probs per token.
   */
  logitBias?: Record<number, number>;
  presencePenalty?: number;
  frequencyPenalty?: number;
  topLogprobs?: number;
  /** Who is asking: the scheduler accounts usage per caller. */
  caller?: string;
  /**
   * Who shares the backend fairly with whom (default: the caller). A server gives each HTTP
   * request its own flow, so one request's queue never holds another's back (Scheduler).
   */
  flow?: string;
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'eos' | 'length' | 'error';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface Completion {
  text: string;
  /** Token ids of the completion, where the backend exposes them. */
  tokenIds?: number[];
  /** Per-token log-probabilities of the sampled tokens, when asked for and supported. */
  logprobs?: number[];
  /**
   * The text of each completion token, aligned with `tokenIds`/`logprobs`, where the backend knows
   * it (used by the server for OpenAI `logprobs.tokens` and per-token streaming). Additive, optional.
   */
  tokens?: string[];
  /** With `topLogprobs`: per token (aligned with `tokens`), the k most likely token texts at temperature 1. */
  topLogprobs?: { token: string; logprob: number }[][];
  /** 'stop': hit a stop sequence; 'eos': the model ended the sequence; 'length': hit maxTokens. */
  finishReason: FinishReason;
  stopSequence?: string;
  usage: Usage;
  /**
   * Where `usage.completionTokens` comes from (remote backends): 'server' (the server's usage),
   * 'counted' (rlmkit's count of the tokens the server returned for this choice, used when the
   * server's usage is missing or low: llama-server with n > 1, llama-cpp-python leaving out the
   * end-of-sequence token), 'estimated' (from the text).
   */
  usageSource?: 'server' | 'counted' | 'estimated';
  /** Settings the backend changed or dropped for this request (e.g. stops past a server's limit). */
  warnings?: string[];
}

export interface PolicyCapabilities {
  logprobs: boolean;
  /** Native n>1 (otherwise the caller or scheduler repeats requests). */
  n: boolean;
  tokenIds: boolean;
  prefixCaching: boolean;
  chat: boolean;
  /** Largest batch the backend handles well in one call. */
  maxBatch: number;
  /** OpenAI sampling controls the backend implements (absent: none). */
  sampling?: { logitBias?: boolean; penalties?: boolean; topLogprobs?: boolean };
  /**
   * Tokens the model holds, prompt and completion together (absent: unknown). Searches use it to
   * end a chain whose prompt no longer fits, instead of sending a request the backend refuses.
   */
  contextTokens?: number;
  /** Takes image parts in chat messages (multimodal.ts); absent or false: text only. */
  images?: boolean;
}

export interface Policy {
  /** A stable identifier, used in cache keys, traces and `/v1/models`. */
  readonly id: string;
  /** The version of this contract the model implements (./interface-version.ts); absent: 'v1'. */
  readonly specificationVersion?: ModelSpecificationVersion;
  readonly capabilities: PolicyCapabilities;
  /** One array of `n` completions per request, in request order. */
  generate(requests: GenerateRequest[], options?: GenerateOptions): Promise<Completion[][]>;
  /** Counts tokens as this model does (for budgets); may be approximate for remote models. */
  countTokens?(text: string): number;
  close?(): Promise<void>;
}

/** V(s) (or Q(s,a) when the state ends with an action) in [-1, 1]. */
export interface ValueModel {
  readonly id: string;
  /** The version of this contract the model implements (./interface-version.ts); absent: 'v1'. */
  readonly specificationVersion?: ModelSpecificationVersion;
  /** States are prompt + partial solution texts, as the policy sees them. */
  value(states: string[], options?: { caller?: string; signal?: AbortSignal }): Promise<number[]>;
  close?(): Promise<void>;
}

/** A solution to score: the prompt, the steps so far, and the final answer when there is one. */
export interface ScoredSolution {
  prompt: string;
  steps: string[];
  answer?: string | null;
}

export interface RewardModel {
  readonly id: string;
  /** The version of this contract the model implements (./interface-version.ts); absent: 'v1'. */
  readonly specificationVersion?: ModelSpecificationVersion;
  /** 'process': one score per step; 'outcome': one score per solution. */
  readonly kind: 'process' | 'outcome';
  /** Outcome scores in [0, 1] (or [-1, 1] for value-style models; documented per model). */
  outcome(solutions: ScoredSolution[], options?: { caller?: string }): Promise<number[]>;
  /** Per-step scores; outcome-only models may return one score on the last step. */
  process?(solutions: ScoredSolution[], options?: { caller?: string }): Promise<number[][]>;
  close?(): Promise<void>;
}
