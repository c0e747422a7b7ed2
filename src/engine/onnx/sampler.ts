/**
 * `createOnnxSampler`: the fast sampling path of the engine. Builds two ONNX graphs from host
 * weights (./decoder-graphs.ts: a sequence graph for prefill and scoring, a one-token decode graph),
 * runs them in onnxruntime-node over a host KV cache (./kv-cache.ts), and chooses tokens on the host
 * exactly as the jax-js sampler does (../choose.ts, via ./token-chooser.ts), consuming random
 * numbers in the same order, so both engines draw the same tokens from the same seed (up to float
 * rounding of the logits).
 *
 * Batching: prompts of different lengths run together. Prefill right-pads them to the longest and
 * masks the padding; every token carries its own position, so no row is shifted. Decode then feeds
 * one token per active row; rows that finish leave the batch.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { inputError, runtimeError, usageError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { adjustRow, hasAdjustments, topLogprobs } from '../adjust.js';
import { logSoftmax, validateSampleOptions } from '../choose.js';
import type { ModelConfig } from '../config.js';
import { EOS_TOKEN, type HostWeights, type SampleOptions, type SampleResult, type Sampler } from '../sampler-types.js';
import { MASKED, type OpSet } from './decoder-graphs.js';
import { buildOnnxModels } from './models.js';
import { AdaptiveSession } from './adaptive-session.js';
import { KvCache, KvStoragePool, emptyCacheFeeds } from './kv-cache.js';
import { PrefixCache, type PrefixCacheStats } from './prefix-cache.js';
import { TokenChooser } from './token-chooser.js';
import { validateHostWeights } from './weights.js';

export interface OnnxSamplerOptions {
  /**
   * onnxruntime intra-op threads: a number, or 'auto' (default) to measure 1 and 2 threads while
   * running and use the faster (./adaptive-session.ts). Two threads win on an idle 2-core machine
   * and lose badly on a busy one; the results are the same either way.
   */
  threads?: number | 'auto';
  /**
   * Most rows decoded together (default 256; see also cacheMiB). More prompts run in successive
   * batches; then the random numbers are consumed batch by batch, so the tokens drawn differ from
   * those of one big batch (and of the jax-js sampler, which always uses one batch).
   */
  maxBatch?: number;
  /** Operators: 'onnxruntime' (default, uses onnxruntime's fused kernels) or 'standard' ONNX only. */
  ops?: OpSet;
  /** Most memory for one batch's KV cache, in MiB (default 256); fewer rows per batch beyond it. */
  cacheMiB?: number;
  /**
   * Memory for prefix caching, in MiB (default 0: off). The keys and values of finished rows are
   * kept (least recently used dropped first), and a prompt that starts with cached tokens runs
   * only the rest (./prefix-cache.ts). Results match an uncached run up to float rounding.
   */
  prefixCacheMiB?: number;
}

export interface OnnxSampler extends Sampler {
  readonly kind: 'onnx';
  readonly config: ModelConfig;
  /** Sizes of the generated ONNX models in bytes. */
  readonly modelBytes: { sequence: number; decode: number };
  /** Full forward: logits [T * V] and values [T] (when valueHead) of each sequence. */
  forward(seqs: number[][]): Promise<{ logits: Float32Array[]; values: Float32Array[] | null }>;
  values(seqs: number[][]): Promise<number[]>;
  /** Counters for profiling: onnxruntime calls and the wall time spent in them (reset freely). */
  readonly stats: { runs: number; runMs: number };
  /** The intra-op thread count the decode graph currently runs with. */
  readonly decodeThreads: number;
  /** Prefix-cache counters (null when prefix caching is off). */
  readonly prefixCacheStats: PrefixCacheStats | null;
  /** Forgets every cached prefix (e.g. between timed runs that must start cold). */
  clearPrefixCache(): void;
}

export async function createOnnxSampler(weights: HostWeights, config: ModelConfig, opts: OnnxSamplerOptions = {}): Promise<OnnxSampler> {
  const cfg = validateHostWeights(weights, config);
  const threads = opts.threads ?? 'auto';
  const maxBatch = opts.maxBatch ?? 256;
  const ops = opts.ops ?? 'onnxruntime';
  const cacheMiB = opts.cacheMiB ?? 256;
  const prefixCacheMiB = opts.prefixCacheMiB ?? 0;
  if (!(cacheMiB > 0)) throw usageError(`onnx sampler: cacheMiB must be positive, got ${cacheMiB}`);
  if (!(prefixCacheMiB >= 0)) throw usageError(`onnx sampler: prefixCacheMiB must be 0 (off) or positive, got ${prefixCacheMiB}`);
  if (threads !== 'auto' && (!Number.isInteger(threads) || threads < 1))
    throw usageError(`onnx sampler: threads must be a positive integer or 'auto', got ${threads}`);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw usageError(`onnx sampler: maxBatch must be a positive integer, got ${maxBatch}`);
  if (ops !== 'onnxruntime' && ops !== 'standard') throw usageError(`onnx sampler: ops must be 'onnxruntime' or 'standard', got ${ops}`);
  const models = buildOnnxModels(weights, cfg, ops);
  const threadCounts = threads === 'auto' ? (availableParallelism() >= 2 ? [1, 2] : [1]) : [threads];
  const load = async (bytes: Uint8Array, n: number) => {
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: n,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Spinning worker threads burn the core another job needs and stall when it is busy.
      ...(n > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    };
    try {
      return { session: await ort.InferenceSession.create(bytes, options), threads: n };
    } catch (e) {
      throw runtimeError(
        `onnxruntime could not load the generated model: ${(e as Error).message}`,
        "this is a bug in rlmkit's ONNX export; use the jax engine meanwhile",
        e,
      );
    }
  };
  const sequence: { session: ort.InferenceSession; threads: number }[] = [];
  const decode: { session: ort.InferenceSession; threads: number }[] = [];
  for (const n of threadCounts) {
    sequence.push(await load(models.sequence, n));
    decode.push(await load(models.decode, n));
  }
  const prefix = prefixCacheMiB > 0 ? new PrefixCache(prefixCacheMiB * 2 ** 20, cfg.nLayers, cfg.nHeads, cfg.dModel / cfg.nHeads) : null;
  return new OnnxSamplerImpl(
    new AdaptiveSession(sequence),
    new AdaptiveSession(decode),
    cfg,
    maxBatch,
    cacheMiB,
    { sequence: models.sequence.length, decode: models.decode.length },
    prefix,
  );
}

function longestLength(seqs: number[][]): number {
  return seqs.reduce((n, s) => Math.max(n, s.length), 0);
}

interface RunOutputs {
  logits: Float32Array;
  newKeys: Float32Array[];
  newValues: Float32Array[];
  values: Float32Array | null;
}

class OnnxSamplerImpl implements OnnxSampler {
  readonly kind = 'onnx' as const;
  readonly stats = { runs: 0, runMs: 0 };
  private disposed = false;
  private readonly cachePool = new KvStoragePool();
  private readonly H: number;
  private readonly Dh: number;

  constructor(
    private readonly sequenceSession: AdaptiveSession,
    private readonly decodeSession: AdaptiveSession,
    readonly config: ModelConfig,
    private readonly maxBatch: number,
    private readonly cacheMiB: number,
    readonly modelBytes: { sequence: number; decode: number },
    private readonly prefix: PrefixCache | null,
  ) {
    this.H = config.nHeads;
    this.Dh = config.dModel / config.nHeads;
    this.big = Array.from({ length: Math.max(config.vocabSize, config.maxSeqLen) + 1 }, (_, i) => BigInt(i));
  }

  /** BigInt(i) for every token id and position: int64 inputs take BigInts, and each BigInt(i) call allocates. */
  private readonly big: bigint[];

  get decodeThreads(): number {
    return this.decodeSession.threads;
  }

  get prefixCacheStats(): PrefixCacheStats | null {
    return this.prefix ? this.prefix.stats : null;
  }

  clearPrefixCache(): void {
    this.prefix?.clear();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.prefix?.release();
    this.sequenceSession.release().catch(() => undefined);
    this.decodeSession.release().catch(() => undefined);
  }

  // ---- input checks -------------------------------------------------------------------------

  private checkAlive(): void {
    if (this.disposed) throw usageError('the ONNX sampler was used after dispose()', 'create a new sampler');
  }

  private checkSequences(seqs: number[][], what: string): void {
    const { vocabSize, maxSeqLen } = this.config;
    if (!Array.isArray(seqs)) throw usageError(`${what}s: expected an array of token-id arrays`);
    seqs.forEach((s, i) => {
      if (!Array.isArray(s) || s.length === 0) throw inputError(`${what} ${i} is empty`, 'start every sequence with <bos> (id 1)');
      if (s.length > maxSeqLen)
        throw inputError(
          `${what} ${i} is ${s.length} tokens long, more than the model context of ${maxSeqLen}`,
          'shorten it or use a model with a longer maxSeqLen',
        );
      for (let t = 0; t < s.length; t++) {
        const id = s[t];
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw inputError(
            `${what} ${i} has token id ${id} at position ${t}, outside the model vocabulary (0..${vocabSize - 1})`,
            'encode text with the tokenizer the model was trained with',
          );
        }
      }
    });
  }

  // ---- running the graphs -----------------------------------------------------------------

  /** Runs a graph; `units` (rows x new tokens) normalises the timing the thread choice uses. */
  private async run(
    session: AdaptiveSession,
    feeds: Record<string, ort.Tensor>,
    units: number,
    fetches?: string[],
  ): Promise<ort.InferenceSession.ReturnType> {
    const t0 = performance.now();
    try {
      const out = await session.run(feeds, units, fetches);
      this.stats.runs++;
      this.stats.runMs += performance.now() - t0;
      return out;
    } catch (e) {
      throw runtimeError(
        `onnxruntime failed: ${(e as Error).message}`,
        "this is a bug in rlmkit's ONNX sampler; use the jax engine meanwhile",
        e,
      );
    }
  }

  /**
   * All tokens of each row over an empty cache: right-padded ids, positions 0..S-1, a causal mask
   * that also hides each row's padding (a padded query still sees key 0, so no row is fully masked).
   * With `withCache` false only logits and values are copied back (scoring needs no keys).
   *
   * With `past`, row b continues after `past.lengths[b]` tokens already in slots 0.. of row b of
   * `past.cache` (which then has at least B rows): its tokens take positions lengths[b].., attend
   * to those slots (the rest of the capacity is masked) and to themselves causally.
   */
  private async runSequences(
    seqs: number[][],
    withCache: boolean,
    past?: { cache: KvCache; lengths: Int32Array },
  ): Promise<{ out: RunOutputs; S: number }> {
    const B = seqs.length;
    const S = longestLength(seqs);
    const P = past ? past.cache.capacity : 0;
    const W = P + S;
    const ids = new BigInt64Array(B * S);
    const pos = new BigInt64Array(B * S);
    const bias = new Float32Array(B * S * W);
    for (let b = 0; b < B; b++) {
      const s = seqs[b];
      const start = past ? past.lengths[b] : 0;
      for (let t = 0; t < S; t++) {
        ids[b * S + t] = this.big[t < s.length ? s[t] : 0];
        // Padding takes a valid position: past the context, the rotary tables give NaN keys, and a
        // masked NaN score still poisons the softmax of every real query in the row.
        pos[b * S + t] = this.big[t < s.length ? start + t : start];
        const row = (b * S + t) * W;
        if (P > 0) bias.fill(MASKED, row + start, row + P); // cached slots 0..start-1 stay 0
        for (let u = 0; u < S; u++) bias[row + P + u] = u <= t && u < s.length ? 0 : MASKED;
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      position_ids: new ort.Tensor('int64', pos, [B, S]),
      attention_bias: new ort.Tensor('float32', bias, [B, 1, S, W]),
    };
    if (past) past.cache.feeds(B, feeds);
    else emptyCacheFeeds(this.config.nLayers, B, this.H, this.Dh, feeds);
    const layers = Array.from({ length: this.config.nLayers }, (_, l) => l);
    // onnxruntime-node 1.23.2 labels a subset of fetched outputs with the first output names of the
    // graph, whatever was asked; scoring therefore fetches a prefix of the outputs (logits, values).
    const fetches = withCache ? undefined : ['logits', ...(this.config.valueHead ? ['values'] : [])];
    const out = await this.run(this.sequenceSession, feeds, B * S, fetches);
    const data = (name: string) => out[name].data as Float32Array;
    return {
      out: {
        logits: data('logits'),
        newKeys: withCache ? layers.map((l) => data(`new_key_${l}`)) : [],
        newValues: withCache ? layers.map((l) => data(`new_value_${l}`)) : [],
        values: this.config.valueHead ? data('values') : null,
      },
      S,
    };
  }

  async forward(seqs: number[][]): Promise<{ logits: Float32Array[]; values: Float32Array[] | null }> {
    this.checkAlive();
    this.checkSequences(seqs, 'sequence');
    const { vocabSize: V, dModel: D, dFF: F } = this.config;
    const logits: Float32Array[] = [];
    const values: Float32Array[] | null = this.config.valueHead ? [] : null;
    // Rows per run: maxBatch, fewer when the mask, logits and activations would exceed cacheMiB.
    const S = Math.max(1, longestLength(seqs));
    const rows = Math.max(1, Math.min(this.maxBatch, Math.floor((this.cacheMiB * 2 ** 20) / (4 * S * (S + V + 6 * D + 2 * F)))));
    for (let start = 0; start < seqs.length; start += rows) {
      const chunk = seqs.slice(start, start + rows);
      const { out, S: width } = await this.runSequences(chunk, false);
      chunk.forEach((s, b) => {
        logits.push(out.logits.slice(b * width * V, (b * width + s.length) * V));
        if (values && out.values) values.push(out.values.slice(b * width, b * width + s.length));
      });
    }
    return { logits, values };
  }

  async scoreLogprobs(seqs: number[][], promptLens: number[]): Promise<number[][]> {
    this.checkAlive();
    if (!Array.isArray(promptLens) || promptLens.length !== seqs?.length)
      throw inputError(
        `scoreLogprobs: ${seqs?.length} sequences but ${promptLens?.length} prompt lengths`,
        'pass one prompt length per sequence',
      );
    promptLens.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 1 || p > seqs[i].length)
        throw inputError(
          `scoreLogprobs: prompt length ${p} of sequence ${i} must be in 1..${seqs[i].length}`,
          'the first token (e.g. <bos>) has no log-prob; start prompts with <bos>',
        );
    });
    const { logits } = await this.forward(seqs);
    const V = this.config.vocabSize;
    return seqs.map((s, i) => {
      const res: number[] = [];
      for (let t = promptLens[i]; t < s.length; t++) res.push(logSoftmax(logits[i].subarray((t - 1) * V, t * V))[s[t]]);
      return res;
    });
  }

  async values(seqs: number[][]): Promise<number[]> {
    this.checkAlive();
    if (!this.config.valueHead) throw inputError('this model has no value head', 'use a value model checkpoint');
    if (!this.prefix) {
      const { values } = await this.forward(seqs);
      return values!.map((v) => v[v.length - 1]);
    }
    // With prefix caching: a search scores states that extend states it scored before (a child
    // is its parent and one step), so each row runs only the tokens past its longest cached prefix.
    this.checkSequences(seqs, 'sequence');
    const { nLayers, dModel } = this.config;
    const bytesPerRow = 2 * nLayers * dModel * Math.max(1, longestLength(seqs)) * 4;
    const rows = Math.max(1, Math.min(this.maxBatch, Math.floor((this.cacheMiB * 2 ** 20) / bytesPerRow)));
    const out: number[] = [];
    for (let start = 0; start < seqs.length; start += rows)
      out.push(...(await this.cachedValues(seqs.slice(start, start + rows), this.prefix)));
    return out;
  }

  /** Values at the last position, reusing and then storing cached prefixes (see `values`). */
  private async cachedValues(seqs: number[][], prefix: PrefixCache): Promise<number[]> {
    const n = seqs.length;
    const cache = this.cachePool.take(this.config.nLayers, n, this.H, this.Dh, longestLength(seqs));
    try {
      const reused = Int32Array.from(seqs, (s, a) => prefix.restore(s, s.length - 1, cache, a));
      const rest = seqs.map((s, a) => s.slice(reused[a]));
      const { out, S } = await this.runSequences(rest, true, reused.some((c) => c > 0) ? { cache, lengths: reused } : undefined);
      const values = rest.map((r, a) => out.values![a * S + r.length - 1]);
      if (values.some((v) => Number.isNaN(v))) cache.poisoned = true; // a model fault: cache nothing
      for (let a = 0; a < n && !cache.poisoned; a++) {
        for (let l = 0; l < this.config.nLayers; l++)
          for (let t = 0; t < rest[a].length; t++) cache.write(l, out.newKeys[l], out.newValues[l], S, a, t, a, reused[a] + t);
        prefix.store(seqs[a], cache, a);
      }
      return values;
    } finally {
      this.cachePool.give(cache);
    }
  }

  async sample(prompts: number[][], o: SampleOptions): Promise<SampleResult[]> {
    this.checkAlive();
    validateSampleOptions(o);
    this.checkSequences(prompts, 'prompt');
    for (const s of o.stopTokens ?? []) {
      if (!Number.isInteger(s) || s < 0 || s >= this.config.vocabSize)
        throw usageError(`stop token ${s} is outside the model vocabulary (0..${this.config.vocabSize - 1})`);
    }
    // One stream for the whole call, consumed row by row in prompt order at each step (as ../jax-sampler.ts does).
    const rng = new Rng(o.seed ?? 0).fork('engine.sample');
    // Rows per batch: maxBatch, fewer when their KV cache would exceed cacheMiB.
    const { nLayers, maxSeqLen, dModel } = this.config;
    const longest = Math.min(maxSeqLen, longestLength(prompts) + o.maxNewTokens);
    const bytesPerRow = 2 * nLayers * dModel * longest * 4;
    const rows = Math.max(1, Math.min(this.maxBatch, Math.floor((this.cacheMiB * 2 ** 20) / bytesPerRow)));
    const results: SampleResult[] = [];
    for (let start = 0; start < prompts.length; start += rows) {
      results.push(...(await this.sampleBatch(prompts.slice(start, start + rows), o, rng)));
    }
    return results;
  }

  private async sampleBatch(prompts: number[][], o: SampleOptions, rng: Rng): Promise<SampleResult[]> {
    const results: SampleResult[] = prompts.map(() => ({ tokens: [], logprobs: [], finishReason: 'length' }));
    if (o.maxNewTokens === 0 || prompts.length === 0) return results;
    const { nLayers, maxSeqLen } = this.config;
    const n = prompts.length;
    // A row stops at maxNewTokens or when prompt + generated reaches the context; the last token
    // chosen is never fed back, so the cache needs one slot less than the longest row.
    const rowBudget = prompts.map((p) => Math.max(1, Math.min(o.maxNewTokens, maxSeqLen - p.length)));
    const capacity = prompts.reduce((c, p, i) => Math.max(c, p.length + rowBudget[i] - 1), 1);
    const cache = this.cachePool.take(nLayers, n, this.H, this.Dh, capacity);
    try {
      return await this.decodeBatch(prompts, o, rng, results, rowBudget, cache);
    } finally {
      this.cachePool.give(cache);
    }
  }

  private async decodeBatch(
    prompts: number[][],
    o: SampleOptions,
    rng: Rng,
    results: SampleResult[],
    rowBudget: number[],
    cache: KvCache,
  ): Promise<SampleResult[]> {
    const { vocabSize: V, nLayers } = this.config;
    const { capacity } = cache;
    const stops = new Set(o.stopTokens ?? []);
    const n = prompts.length;
    const chooser = new TokenChooser(V);

    // Active rows: slot a of the batch holds prompt rowOf[a], with len[a] tokens in the cache and
    // last[a] the token to feed next. Tokens are chosen in prompt order (the RNG order).
    // Slots 0..U-1 hold the distinct prompts and are prefilled; a prompt repeated (n > 1 samples of
    // one prompt) takes a later slot and copies its keys and values from its first occurrence.
    const rowOf: number[] = [];
    const copyFrom: number[] = []; // slot a >= U copies slot copyFrom[a - U]
    const repeats: number[] = [];
    const firstSlot = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const key = n > 1 ? prompts[i].join(',') : '';
      const s = firstSlot.get(key);
      if (s === undefined) {
        firstSlot.set(key, rowOf.length);
        rowOf.push(i);
      } else {
        repeats.push(i);
        copyFrom.push(s);
      }
    }
    const U = rowOf.length;
    rowOf.push(...repeats);
    const len = new Int32Array(n);
    const last = new Int32Array(n);
    const finished: boolean[] = new Array(n).fill(false);
    let active = n;
    const prefix = this.prefix;

    /** Chooses slot a's next token from a logit row; marks the slot finished when the row ends. */
    const adjusted = hasAdjustments(o) ? new Float32Array(V) : undefined;
    const choose = (a: number, logits: Float32Array, offset: number): void => {
      const r = rowOf[a];
      const res = results[r];
      if (o.topLogprobs) (res.topLogprobs ??= []).push(topLogprobs(logits, offset, V, o.topLogprobs));
      if (adjusted) adjustRow(logits, offset, V, o, res.tokens, adjusted);
      const c = adjusted ? chooser.choose(adjusted, 0, o, rng) : chooser.choose(logits, offset, o, rng);
      if (Number.isNaN(c.logprob)) cache.poisoned = true; // a model fault: keep it out of every cache
      res.tokens.push(c.token);
      res.logprobs.push(c.logprob);
      last[a] = c.token;
      if (c.token === EOS_TOKEN) res.finishReason = 'eos';
      else if (stops.has(c.token)) {
        res.finishReason = 'stop';
        res.stopToken = c.token;
      } else if (res.tokens.length >= rowBudget[r]) res.finishReason = 'length';
      else return;
      finished[a] = true;
      // The slot holds the prompt and every chosen token but this last one (never fed back).
      if (prefix && !cache.poisoned) prefix.store(prompts[r].concat(res.tokens.slice(0, len[a] - prompts[r].length)), cache, a);
    };
    // Slots in prompt order without sorting: slotOfRow[r] is the slot of prompt r, -1 once finished.
    const slotOfRow = new Int32Array(n);
    const chooseAll = (logits: Float32Array, offsetOf: (a: number) => number): void => {
      slotOfRow.fill(-1);
      for (let a = 0; a < active; a++) slotOfRow[rowOf[a]] = a;
      for (let r = 0; r < n; r++) {
        const a = slotOfRow[r];
        if (a >= 0) choose(a, logits, offsetOf(a));
      }
    };
    /** Drops finished rows by moving the last active row into their slot. */
    const compact = (): void => {
      for (let a = active - 1; a >= 0; a--) {
        if (!finished[a]) continue;
        const lastSlot = active - 1;
        if (a !== lastSlot) {
          cache.moveRow(lastSlot, a, len[lastSlot]);
          rowOf[a] = rowOf[lastSlot];
          len[a] = len[lastSlot];
          last[a] = last[lastSlot];
        }
        finished[a] = finished[lastSlot];
        finished[lastSlot] = false;
        active--;
      }
    };

    // One decode-graph run: token[a] for slot a < B after len[a] cached tokens; its key and value
    // go into slot len[a]. Buffers are views refilled in place, rebuilt only when B changes.
    const ids = new BigInt64Array(n);
    const pos = new BigInt64Array(n);
    const width = capacity + 1;
    const bias = new Float32Array(n * width);
    let feeds: Record<string, ort.Tensor> = {};
    let feedsRows = -1;
    const decodeRun = async (B: number, token: Int32Array, at: Int32Array): Promise<Float32Array> => {
      for (let a = 0; a < B; a++) {
        ids[a] = this.big[token[a]];
        pos[a] = this.big[at[a]];
        const row = a * width;
        bias.fill(0, row, row + at[a]);
        bias.fill(MASKED, row + at[a], row + capacity);
        bias[row + capacity] = 0; // the new token attends to itself
      }
      if (feedsRows !== B) {
        feeds = {
          input_ids: new ort.Tensor('int64', ids.subarray(0, B), [B]),
          position_ids: new ort.Tensor('int64', pos.subarray(0, B), [B]),
          attention_bias: new ort.Tensor('float32', bias.subarray(0, B * width), [B, 1, 1, width]),
        };
        cache.feeds(B, feeds);
        feedsRows = B;
      }
      const step = await this.run(this.decodeSession, feeds, B);
      cache.writeStep(step.new_kv.data as Float32Array, B, at); // new_kv: [2 L B, H, 1, Dh]
      return step.logits.data as Float32Array;
    };

    // Prefill: the prompt tokens of the distinct prompts at once, each row's real tokens into its
    // cache slots. With prefix caching a row first takes its longest cached prefix (at most all but
    // the last prompt token, whose logits start the decoding) and runs only the rest; when that is
    // one token for every row (the usual case in step-by-step search), it is one decode-graph run.
    const reused = new Int32Array(U);
    if (prefix) for (let a = 0; a < U; a++) reused[a] = prefix.restore(prompts[rowOf[a]], prompts[rowOf[a]].length - 1, cache, a);
    const rest = Array.from({ length: U }, (_, a) => prompts[rowOf[a]].slice(reused[a]));
    const prefillRow = (a: number) => (a < U ? a : copyFrom[a - U]);
    let logits: Float32Array;
    let logitOffset: (a: number) => number;
    if (rest.every((r) => r.length === 1)) {
      logits = await decodeRun(
        U,
        Int32Array.from(rest, (r) => r[0]),
        reused,
      );
      logitOffset = (a) => prefillRow(a) * V;
    } else {
      const anyReused = reused.some((c) => c > 0);
      const { out, S } = await this.runSequences(rest, true, anyReused ? { cache, lengths: reused } : undefined);
      for (let a = 0; a < U; a++) {
        const T = rest[a].length;
        for (let l = 0; l < nLayers; l++)
          for (let t = 0; t < T; t++) cache.write(l, out.newKeys[l], out.newValues[l], S, a, t, a, reused[a] + t);
      }
      logits = out.logits;
      logitOffset = (a) => (prefillRow(a) * S + rest[prefillRow(a)].length - 1) * V;
    }
    for (let a = U; a < n; a++) cache.copyRow(copyFrom[a - U], a, prompts[rowOf[a]].length);
    for (let a = 0; a < n; a++) len[a] = prompts[rowOf[a]].length;
    chooseAll(logits, logitOffset);
    compact();

    // Decode: one token per active row per step.
    while (active > 0) {
      const logits = await decodeRun(active, last, len);
      for (let a = 0; a < active; a++) len[a]++;
      chooseAll(logits, (a) => a * V);
      compact();
    }
    return results;
  }
}
