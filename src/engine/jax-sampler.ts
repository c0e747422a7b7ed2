/**
 * The jax-js reference sampler: batched autoregressive decoding with a KV cache.
 *
 * Prompts are left-padded to a common length P so that every row writes its next key/value into
 * the same cache slot s at step s; row b's real tokens start at slot pad_b = P - len_b, its
 * position at slot s is s - pad_b, and an additive mask hides slots < pad_b (padding) and > s
 * (the future). One jitted step (fixed shapes, compiled once per cache length) embeds one token
 * per row, writes k/v into slot s, attends over the cache and returns the logits; the prompt is
 * fed through the same step. The next token is chosen on the host (choose.ts).
 */
import { inputError, usageError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { type ModelConfig, headDim } from './config.js';
import { hasAdjustments } from './adjust.js';
import { chooseToken, validateSampleOptions } from './choose.js';
import {
  LlamaModel,
  MASKED,
  type Params,
  type RopeTables,
  addAttentionOutput,
  attend,
  embed,
  lmHead,
  mlpBlock,
  queryKeyValue,
  rmsNorm,
  ropeTables,
} from './model.js';
import type { HostWeights, SampleOptions, SampleResult, Sampler } from './sampler-types.js';
import { LogprobScorer, checkSequence, lengthBucket } from './logprob-scorer.js';
import { EOS } from './tokenizer.js';
import {
  type Compiled,
  type DType,
  type Tensor,
  compile,
  disposeTree,
  fromHost,
  intsFromHost,
  ops,
  refTree,
  toHostSync,
  withoutGradBarriers,
} from './tensor.js';

interface StepInputs {
  /** [B, 1] int32 */
  token: Tensor;
  /** RoPE tables for each row's position ([B, 1, 1, hd]) */
  rope: RopeTables;
  /** [B, 1, 1, L] additive attention mask */
  mask: Tensor;
  /** [1, 1, L, 1]: 1 at the slot written this step, else 0 */
  slot: Tensor;
}
type Cache = { k: Tensor[]; v: Tensor[] };
type StepFn = (p: Params, cache: Cache, inp: StepInputs) => [Tensor, Cache];

/** One decode step for all rows (traced; see the file comment). Returns logits [B, V] and the new cache. */
function decodeStep(cfg: ModelConfig, dtype: DType): StepFn {
  return (p, cache, inp) => {
    const [B] = inp.token.shape;
    let x = embed(inp.token, p['tok_embeddings.weight'], cfg.vocabSize, dtype); // [B, D]
    const k: Tensor[] = [];
    const v: Tensor[] = [];
    for (let i = 0; i < cfg.nLayers; i++) {
      const l = `layers.${i}.`;
      const h = rmsNorm(x, p[`${l}attention_norm.weight`], cfg.normEps); // [B, D]
      const { q, k: kNew, v: vNew } = queryKeyValue(p, l, cfg, h, B, 1, inp.rope); // [B, H, 1, hd] each
      const write = ops.greater(inp.slot, 0.5); // [1, 1, L, 1]
      k.push(ops.where(write, kNew, cache.k[i])); // [B, H, L, hd]
      v.push(ops.where(write, vNew, cache.v[i])); // [B, H, L, hd]
      x = addAttentionOutput(p, l, cfg, x, attend(q, k[i], v[i], inp.mask)); // [B, D]
      x = mlpBlock(p, l, cfg, x); // [B, D]
    }
    const logits = lmHead(p, cfg, rmsNorm(x, p['norm.weight'], cfg.normEps)); // [B, V]
    return [logits, { k, v }];
  };
}

export class JaxSampler implements Sampler {
  readonly kind = 'jax' as const;
  private readonly steps = new Map<string, Compiled<StepFn>>();
  private readonly scorer: LogprobScorer;
  private disposed = false;

  /** Samples from `model` (not owned: the caller disposes it). */
  constructor(private readonly model: LlamaModel) {
    this.scorer = new LogprobScorer(model);
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  async sample(prompts: number[][], o: SampleOptions): Promise<SampleResult[]> {
    this.assertAlive();
    validateSampleOptions(o);
    if (hasAdjustments(o) || o.topLogprobs)
      throw usageError(
        'logit bias, presence/frequency penalties and top log-probs need the onnx engine',
        'load the model with the default engine (onnx)',
      );
    const cfg = this.model.config;
    if (prompts.length === 0) return [];
    prompts.forEach((p, i) => {
      if (p.length === 0) throw inputError(`prompt ${i} is empty`, 'start every prompt with <bos> (id 1)');
      checkSequence(p, cfg, `prompt ${i}`);
    });
    const B = prompts.length;
    const P = Math.max(...prompts.map((p) => p.length));
    // Cache slots: P prompt slots plus the new tokens; a row's positions stay below maxSeqLen, so
    // the cache may exceed maxSeqLen by the largest left padding. Bucketed to reuse compiles.
    const maxPad = P - Math.min(...prompts.map((p) => p.length));
    const Lcap = cfg.maxSeqLen + maxPad;
    const L = Math.min(lengthBucket(P + o.maxNewTokens, Number.MAX_SAFE_INTEGER), Lcap);
    const hd = headDim(cfg);
    const dtype = this.model.dtype;
    const stopTokens = new Set(o.stopTokens ?? []);
    const rng = new Rng(o.seed ?? 0).fork('engine.sample');
    const results: SampleResult[] = prompts.map(() => ({ tokens: [], logprobs: [], finishReason: 'length' }));
    const done = prompts.map(() => o.maxNewTokens === 0);
    const pads = prompts.map((p) => P - p.length);
    const step = this.stepFn(B, L);

    const cacheShape = [B, cfg.nHeads, L, hd];
    const zeros = () => fromHost(new Float32Array(B * cfg.nHeads * L * hd), cacheShape, dtype);
    let cache: Cache = { k: Array.from({ length: cfg.nLayers }, zeros), v: Array.from({ length: cfg.nLayers }, zeros) };
    let current = prompts.map((p, b) => (pads[b] === 0 ? p[0] : 0));
    try {
      // The last slot that can be written is L-1; a token chosen there is returned but never fed.
      for (let s = 0; s < L && !done.every(Boolean); s++) {
        const positions = pads.map((pad) => [Math.max(0, s - pad)]);
        const rope = ropeTables(cfg, positions, dtype); // [B, 1, 1, hd]: one position per row
        const mask = new Float32Array(B * L);
        for (let b = 0; b < B; b++) for (let j = 0; j < L; j++) mask[b * L + j] = j >= pads[b] && j <= s ? 0 : MASKED;
        const slot = new Float32Array(L);
        slot[s] = 1;
        const inputs: StepInputs = {
          token: intsFromHost(current, [B, 1]),
          rope,
          mask: fromHost(mask, [B, 1, 1, L], dtype),
          slot: fromHost(slot, [1, 1, L, 1], dtype),
        };
        const [logitsT, next] = step(refTree(this.model.params), cache, inputs);
        cache = next;
        const logits = toHostSync(logitsT);
        const V = cfg.vocabSize;
        current = current.map((tok, b) => {
          const inPrompt = s + 1 < P; // slot s+1 still holds a prompt token for every row
          if (inPrompt) return prompts[b][s + 1 - pads[b]] ?? 0;
          if (done[b]) return 0;
          const c = chooseToken(logits.subarray(b * V, (b + 1) * V), o, rng);
          const r = results[b];
          r.tokens.push(c.token);
          r.logprobs.push(c.logprob);
          if (c.token === EOS) {
            r.finishReason = 'eos';
            done[b] = true;
          } else if (stopTokens.has(c.token)) {
            r.finishReason = 'stop';
            r.stopToken = c.token;
            done[b] = true;
          } else if (r.tokens.length >= o.maxNewTokens || prompts[b].length + r.tokens.length >= cfg.maxSeqLen || s + 1 >= L)
            done[b] = true;
          return c.token;
        });
      }
    } finally {
      disposeTree(cache);
    }
    return results;
  }

  scoreLogprobs(seqs: number[][], promptLens: number[]): Promise<number[][]> {
    this.assertAlive();
    return this.scorer.logprobs(seqs, promptLens);
  }

  values(seqs: number[][]): Promise<number[]> {
    this.assertAlive();
    return this.scorer.values(seqs);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const f of this.steps.values()) f.dispose();
    this.steps.clear();
    this.scorer.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('JaxSampler used after dispose()');
    this.model.assertAlive();
  }

  private stepFn(B: number, L: number): Compiled<StepFn> {
    const key = `${B}:${L}`;
    let f = this.steps.get(key);
    if (!f) {
      const step = decodeStep(this.model.config, this.model.dtype);
      f = compile((p: Params, cache: Cache, inp: StepInputs) => withoutGradBarriers(() => step(p, cache, inp)));
      this.steps.set(key, f);
    }
    return f;
  }
}

/** A jax-js sampler that owns its model, built from host weights (the counterpart of createOnnxSampler). */
export async function createJaxSampler(weights: HostWeights, config: ModelConfig): Promise<Sampler> {
  const { ensureRuntime } = await import('./runtime.js');
  await ensureRuntime();
  const model = LlamaModel.fromHostWeights(weights, config);
  const sampler = new JaxSampler(model);
  const dispose = sampler.dispose.bind(sampler);
  sampler.dispose = () => {
    dispose();
    model.dispose();
  };
  return sampler;
}
