/**
 * The embedded backend: rlmkit's own Llama-style models from an engine checkpoint, in-process.
 *
 * - Text <-> ids with the checkpoint's tokenizer; chat messages are rendered as plain text
 *   (src/models/text.ts), since a tiny character model has no chat template.
 * - Rollouts run on the onnxruntime sampler (fast, batched, KV cache); the jax-js sampler is the
 *   fallback (`engine: 'jax'`, or automatically when onnxruntime cannot load).
 * - Stop sequences that are one token (e.g. "\n" = `<eos_step>`, the x1 end-of-step marker) become
 *   sampler stop tokens, so generation ends right there. Longer stop sequences are applied to the
 *   decoded text afterwards (the sampler has no per-step text hook); the result is the same text,
 *   only the compute past the stop is wasted.
 * - Each completion returns its token ids, their log-probs at temperature 1 (the sampler's own at
 *   temperature 0 or 1, else a rescoring pass) and token texts. The token that ended a completion (`<eos_step>`, `<eos>` or the tokens of a stop
 *   sequence) is included in tokenIds/logprobs, because a trainer needs the probability of ending
 *   the step, but not in `text`.
 */
import { inputError, isRlmkitError, runtimeError, usageError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { loadCheckpoint } from '../engine/checkpoint.js';
import type { ModelConfig } from '../engine/config.js';
import type { HostWeights, Sampler } from '../engine/sampler-types.js';
import type { OnnxSampler } from '../engine/onnx/sampler.js';
import { tokenizerFromSpec, type Tokenizer } from '../engine/tokenizer.js';
import { requestText, truncateAtStop } from './text.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities, ValueModel } from './types.js';
import { validateGenerateOptions, validateRequests } from './validate.js';

export type EngineKind = 'onnx' | 'jax';

export interface EmbeddedOptions {
  /** Sampler: 'onnx' (default; falls back to jax when onnxruntime fails) or 'jax'. */
  engine?: EngineKind;
  /**
   * onnxruntime intra-op threads: a number, or 'auto' (default): 1 and 2 threads are timed while
   * running, separately for small and large batches, and the faster is used for each (a batch of
   * many rows gains from a second core; a single row's tiny kernels lose to the synchronisation).
   */
  threads?: number | 'auto';
  /** Rows per sampler call (default 64). */
  maxBatch?: number;
  /**
   * Prefix caching (onnx engine), in MiB (default 64; 0: off): keys and values of finished
   * completions are kept, so that the next step's prompt, which starts with the previous prompt and
   * step, runs only its new tokens (src/engine/onnx/prefix-cache.ts).
   */
  prefixCacheMiB?: number;
  /** Prepend `<bos>` to prompts (default: the checkpoint's `extra.bos`, else false). */
  bos?: boolean;
  /** Policy id (default `embedded:<file>`). */
  id?: string;
  /**
   * Run the model in a worker thread (`WorkerPolicy`) where the caller supports it: `rlmkit serve`
   * does by default, so that HTTP handling and model compute use different cores.
   */
  worker?: boolean;
}

/** A loaded model: config, weights and tokenizer, from a checkpoint or built in memory. */
export interface EmbeddedModelSource {
  config: ModelConfig;
  weights: HostWeights;
  tokenizer: Tokenizer;
  /** Where it came from (for ids and messages). */
  name: string;
  bos?: boolean;
}

export function readEmbeddedCheckpoint(file: string): EmbeddedModelSource {
  const ck = loadCheckpoint(file);
  return { config: ck.config, weights: ck.weights, tokenizer: tokenizerFromSpec(ck.tokenizer), name: file, bos: ck.extra?.bos === true };
}

/** The jax-js reference sampler, loaded lazily so that onnx-only users never start jax-js. */
async function createJaxSampler(weights: HostWeights, config: ModelConfig): Promise<Sampler> {
  const engine = await import('../engine/index.js');
  return engine.createJaxSampler(weights, config);
}

export async function createEngineSampler(src: EmbeddedModelSource, o: EmbeddedOptions = {}): Promise<Sampler> {
  const engine = o.engine ?? 'onnx';
  if (engine !== 'onnx' && engine !== 'jax') throw usageError(`unknown engine "${String(engine)}"`, 'use onnx or jax');
  if (engine === 'jax') return createJaxSampler(src.weights, src.config);
  try {
    // Loaded lazily: when onnxruntime's native binary cannot load, the import itself fails.
    const { createOnnxSampler } = await import('../engine/onnx/sampler.js');
    return await createOnnxSampler(src.weights, src.config, {
      threads: o.threads ?? 'auto',
      maxBatch: o.maxBatch ?? 64,
      prefixCacheMiB: o.prefixCacheMiB ?? 64,
    });
  } catch (e) {
    if (isRlmkitError(e) && (e.kind === 'usage' || e.kind === 'input')) throw e;
    logger.warn('onnxruntime sampler unavailable, falling back to jax-js', { model: src.name, error: (e as Error).message });
    return createJaxSampler(src.weights, src.config);
  }
}

export class EmbeddedPolicy implements Policy {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: PolicyCapabilities;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  private readonly bos: boolean;

  constructor(
    readonly sampler: Sampler,
    src: EmbeddedModelSource,
    o: EmbeddedOptions = {},
  ) {
    this.id = o.id ?? `embedded:${src.name}`;
    this.config = src.config;
    this.tokenizer = src.tokenizer;
    this.bos = o.bos ?? src.bos ?? false;
    const prefixCaching = 'clearPrefixCache' in sampler && (o.prefixCacheMiB ?? 64) > 0;
    this.capabilities = {
      logprobs: true,
      n: true,
      tokenIds: true,
      prefixCaching,
      chat: false,
      maxBatch: o.maxBatch ?? 64,
      contextTokens: this.config.maxSeqLen,
    };
    // OpenAI's logit_bias, penalties and top log-probs: the onnx sampler applies them (engine/adjust.ts).
    if (sampler.kind === 'onnx') this.capabilities.sampling = { logitBias: true, penalties: true, topLogprobs: true };
  }

  /** Forgets cached prompt prefixes (a no-op without prefix caching), e.g. before a timed run. */
  clearCaches(): void {
    (this.sampler as Partial<OnnxSampler>).clearPrefixCache?.();
  }

  static async load(file: string, o: EmbeddedOptions = {}): Promise<EmbeddedPolicy> {
    const src = readEmbeddedCheckpoint(file);
    return new EmbeddedPolicy(await createEngineSampler(src, o), src, o);
  }

  static async fromSource(src: EmbeddedModelSource, o: EmbeddedOptions = {}): Promise<EmbeddedPolicy> {
    return new EmbeddedPolicy(await createEngineSampler(src, o), src, o);
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  /** Prompt text -> ids, with a clear error when it does not fit the context. */
  encodePrompt(text: string): number[] {
    const ids = this.tokenizer.encode(text, { bos: this.bos });
    if (ids.length === 0) return [this.tokenizer.bos];
    if (ids.length >= this.config.maxSeqLen)
      throw inputError(`the prompt is ${ids.length} tokens, but this model's context is ${this.config.maxSeqLen}`, 'shorten the prompt');
    return ids;
  }

  /** Stop sequences that are a single token become sampler stop tokens. */
  private stopTokens(stop: readonly string[] | undefined): Map<number, string> {
    const out = new Map<number, string>();
    for (const s of stop ?? []) {
      let ids: number[];
      try {
        ids = this.tokenizer.encode(s);
      } catch {
        continue; // a stop the model cannot even write never triggers
      }
      if (ids.length === 1 && !out.has(ids[0])) out.set(ids[0], s);
    }
    return out;
  }

  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    validateRequests(requests);
    validateGenerateOptions(o);
    const n = o.n ?? 1;
    const prompts = requests.map((r) => this.encodePrompt(requestText(r)));
    const rows: number[][] = [];
    for (const p of prompts) for (let j = 0; j < n; j++) rows.push(p);
    const stopMap = this.stopTokens(o.stop);
    const longest = Math.max(...prompts.map((p) => p.length));
    const maxNewTokens = Math.max(1, Math.min(o.maxTokens ?? 256, this.config.maxSeqLen - longest));
    if (o.signal?.aborted) throw Object.assign(new Error('the request was cancelled'), { name: 'AbortError' });
    const results = await this.sampler.sample(rows, {
      maxNewTokens,
      temperature: o.temperature ?? 1,
      topK: o.topK ?? 0,
      topP: o.topP ?? 1,
      stopTokens: [...stopMap.keys()],
      seed: o.seed ?? 0,
      ...(o.logitBias ? { logitBias: o.logitBias } : {}),
      ...(o.presencePenalty ? { presencePenalty: o.presencePenalty } : {}),
      ...(o.frequencyPenalty ? { frequencyPenalty: o.frequencyPenalty } : {}),
      ...(o.topLogprobs ? { topLogprobs: o.topLogprobs } : {}),
    });
    const temperature = o.temperature ?? 1;
    const adjusted = (o.logitBias && Object.keys(o.logitBias).length > 0) || !!o.presencePenalty || !!o.frequencyPenalty;
    if (o.logprobs && (adjusted || (temperature !== 0 && temperature !== 1))) {
      // The sampler scores tokens at the sampling temperature (after logit bias and penalties); the
      // Policy contract promises the model's temperature-1 log-probs (what trainers recompute), so
      // rescore the sampled tokens.
      const rescored = await this.sampler.scoreLogprobs(
        results.map((r, k) => [...rows[k], ...r.tokens]),
        rows.map((r) => r.length),
      );
      results.forEach((r, k) => (r.logprobs = rescored[k]));
    }
    return prompts.map((p, i) => results.slice(i * n, (i + 1) * n).map((r) => this.toCompletion(p, r, stopMap, o)));
  }

  private toCompletion(
    prompt: number[],
    r: {
      tokens: number[];
      logprobs: number[];
      finishReason: 'eos' | 'stop' | 'length';
      stopToken?: number;
      topLogprobs?: { token: number; logprob: number }[][];
    },
    stopMap: Map<number, string>,
    o: GenerateOptions,
  ): Completion {
    const pieces = r.tokens.map((t) => (t === this.tokenizer.eos ? '' : this.tokenizer.decode([t])));
    let keep = r.tokens.length;
    let textEnd = keep;
    let finishReason: Completion['finishReason'] = r.finishReason;
    let stopSequence: string | undefined;
    if (r.finishReason === 'stop' || r.finishReason === 'eos') textEnd = keep - 1;
    if (r.finishReason === 'stop' && r.stopToken !== undefined) stopSequence = stopMap.get(r.stopToken);
    // Multi-token stop sequences, applied to the decoded text.
    const text = pieces.slice(0, textEnd).join('');
    const cut = truncateAtStop(text, o.stop);
    if (cut.stopSequence !== undefined) {
      const stopEnd = cut.text.length + cut.stopSequence.length;
      let len = 0;
      keep = 0;
      while (keep < textEnd && len < stopEnd) len += pieces[keep++].length;
      textEnd = keep;
      finishReason = 'stop';
      stopSequence = cut.stopSequence;
    }
    const c: Completion = {
      text: cut.text,
      tokenIds: r.tokens.slice(0, keep),
      tokens: pieces.slice(0, keep),
      finishReason,
      usage: { promptTokens: prompt.length, completionTokens: keep },
    };
    if (stopSequence !== undefined) c.stopSequence = stopSequence;
    if (o.logprobs) c.logprobs = r.logprobs.slice(0, keep);
    if (r.topLogprobs)
      c.topLogprobs = r.topLogprobs
        .slice(0, keep)
        .map((alts) =>
          alts.map((x) => ({ token: x.token === this.tokenizer.eos ? '' : this.tokenizer.decode([x.token]), logprob: x.logprob })),
        );
    return c;
  }

  async close(): Promise<void> {
    this.sampler.dispose();
  }
}

/** V(s) from a value-head checkpoint: the value at the last position of the encoded state. */
export class EmbeddedValueModel implements ValueModel {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  private readonly bos: boolean;

  constructor(
    readonly sampler: Sampler,
    readonly src: EmbeddedModelSource,
    o: EmbeddedOptions = {},
  ) {
    if (!src.config.valueHead)
      throw inputError(`${src.name} has no value head`, 'give a value-model checkpoint (trained with a value head)');
    if (!sampler.values) throw runtimeError(`the ${sampler.kind} sampler cannot compute values`, 'use engine onnx');
    this.id = o.id ?? `embedded-value:${src.name}`;
    this.bos = o.bos ?? src.bos ?? false;
  }

  static async load(file: string, o: EmbeddedOptions = {}): Promise<EmbeddedValueModel> {
    const src = readEmbeddedCheckpoint(file);
    if (!src.config.valueHead) throw inputError(`${file} has no value head`, 'give a value-model checkpoint (trained with a value head)');
    return new EmbeddedValueModel(await createEngineSampler(src, o), src, o);
  }

  async value(states: string[]): Promise<number[]> {
    if (states.length === 0) return [];
    const seqs = states.map((s) => {
      const ids = this.src.tokenizer.encode(s, { bos: this.bos });
      if (ids.length === 0) return [this.src.tokenizer.bos];
      // Keep the most recent context when a state is longer than the model's window.
      return ids.length > this.src.config.maxSeqLen ? ids.slice(ids.length - this.src.config.maxSeqLen) : ids;
    });
    const v = await this.sampler.values!(seqs);
    return v.map((x) => Math.max(-1, Math.min(1, x)));
  }

  /** Forgets cached state prefixes (a no-op without prefix caching), e.g. before a timed run. */
  clearCaches(): void {
    (this.sampler as Partial<OnnxSampler>).clearPrefixCache?.();
  }

  async close(): Promise<void> {
    this.sampler.dispose();
  }
}
