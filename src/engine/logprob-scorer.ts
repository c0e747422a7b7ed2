/**
 * Gradient-free scoring on the host: per-token log-probs of given sequences and value-head
 * outputs, by a jitted full forward over right-padded batches (causal attention makes the padding
 * invisible to earlier positions). Shapes are bucketed (rows to `chunk`, length to a power of two)
 * so a handful of compiles serve every call.
 */
import { inputError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import { type LlamaModel, type Params, type RopeTables, causalMask, ropeTables } from './model.js';
import { type ForwardInputs, buildOutputs } from './outputs.js';
import { checkTokenId } from './grad.js';
import { type Compiled, type Tensor, compile, disposeTree, intsFromHost, refTree, toHostSync, withoutGradBarriers } from './tensor.js';

type ScoreFn = (p: Params, inp: ForwardInputs) => Tensor[];

interface ScoredRow {
  /** lp[t] = log P(seq[t+1] | seq[<=t]) (at the scorer's temperature); last entry unused. */
  lp: Float32Array;
  /** val[t] = value-head output at position t. */
  val?: Float32Array;
}

/** Smallest power of two >= n, at least 8, at most `cap`. */
export function lengthBucket(n: number, cap: number): number {
  let b = 8;
  while (b < n) b *= 2;
  return Math.min(b, cap);
}

export function checkSequence(seq: number[], cfg: ModelConfig, what = 'sequence'): void {
  if (seq.length > cfg.maxSeqLen) {
    throw inputError(
      `${what} is ${seq.length} tokens long, more than the model context of ${cfg.maxSeqLen}`,
      'shorten it or use a model with a longer maxSeqLen',
    );
  }
  for (const id of seq) checkTokenId(id, cfg.vocabSize);
}

export class LogprobScorer {
  private readonly fns = new Map<string, Compiled<ScoreFn>>();
  private readonly tables = new Map<number, { rope: RopeTables; mask: Tensor }>();

  constructor(
    private readonly model: LlamaModel,
    private readonly chunk = 16,
  ) {}

  /** log P(seq[t] | seq[<t]) for t in promptLen..len-1 of each sequence (temperature 1). */
  async logprobs(seqs: number[][], promptLens: number[]): Promise<number[][]> {
    if (promptLens.length !== seqs.length)
      throw inputError(`scoreLogprobs: ${seqs.length} sequences but ${promptLens.length} prompt lengths`);
    seqs.forEach((s, i) => {
      const p = promptLens[i];
      if (!Number.isInteger(p) || p < 1 || p > s.length)
        throw inputError(
          `scoreLogprobs: prompt length ${p} of sequence ${i} must be in 1..${s.length}`,
          'the first token (e.g. <bos>) has no log-prob; start prompts with <bos>',
        );
    });
    const rows = await this.run(seqs, false);
    return rows.map(({ lp }, i) => Array.from(lp.subarray(promptLens[i] - 1, seqs[i].length - 1)));
  }

  /**
   * Per-token log-probs of every sequence on the host: result[i][t] = log P(seq[t+1] | seq[<=t]),
   * length len-1, computed as log_softmax(logits / temperature) (default 1). No gradients.
   */
  async tokenLogprobs(seqs: number[][], temperature = 1): Promise<Float32Array[]> {
    const rows = await this.run(seqs, false, temperature);
    return rows.map(({ lp }, i) => lp.slice(0, Math.max(0, seqs[i].length - 1)));
  }

  /** Value-head output at every position of every sequence (length len each). No gradients. */
  async tokenValues(seqs: number[][]): Promise<Float32Array[]> {
    if (!this.model.config.valueHead) throw inputError('this model has no value head', 'use a value model checkpoint');
    const rows = await this.run(seqs, true);
    return rows.map(({ val }, i) => val!.slice(0, seqs[i].length));
  }

  /** Value-head output at the last position of each sequence. */
  async values(seqs: number[][]): Promise<number[]> {
    if (!this.model.config.valueHead) throw inputError('this model has no value head', 'use a value model checkpoint');
    seqs.forEach((s, i) => {
      if (s.length < 1) throw inputError(`values: sequence ${i} is empty`);
    });
    const rows = await this.run(seqs, true);
    return rows.map(({ val }, i) => val![seqs[i].length - 1]);
  }

  dispose(): void {
    for (const f of this.fns.values()) f.dispose();
    for (const t of this.tables.values()) disposeTree(t);
    this.fns.clear();
    this.tables.clear();
  }

  private async run(seqs: number[][], withValues: boolean, temperature = 1): Promise<ScoredRow[]> {
    if (!(temperature > 0)) throw inputError(`scoring temperature must be positive, got ${temperature}`);
    const cfg = this.model.config;
    seqs.forEach((s, i) => checkSequence(s, cfg, `sequence ${i}`));
    const out: ScoredRow[] = [];
    const T = lengthBucket(Math.max(1, ...seqs.map((s) => s.length)), cfg.maxSeqLen);
    const B = Math.min(this.chunk, Math.max(1, seqs.length));
    const fn = this.fn(withValues, B, T, temperature);
    const { rope, mask } = this.table(T);
    for (let start = 0; start < seqs.length; start += B) {
      const part = seqs.slice(start, start + B);
      const tok = new Int32Array(B * T);
      const tgt = new Int32Array(B * T);
      part.forEach((s, b) => {
        for (let t = 0; t < s.length; t++) {
          tok[b * T + t] = s[t];
          if (t + 1 < s.length) tgt[b * T + t] = s[t + 1];
        }
      });
      const res = fn(refTree(this.model.params), {
        tokens: intsFromHost(tok, [B, T]),
        targets: intsFromHost(tgt, [B, T]),
        rope: refTree(rope),
        mask: mask.ref,
      });
      const lp = toHostSync(res[0]);
      const val = withValues ? toHostSync(res[1]) : undefined;
      part.forEach((_, b) => {
        out.push({
          lp: Float32Array.from(lp.subarray(b * T, (b + 1) * T)),
          val: val ? Float32Array.from(val.subarray(b * T, (b + 1) * T)) : undefined,
        });
      });
    }
    return out;
  }

  private fn(withValues: boolean, B: number, T: number, temperature: number): Compiled<ScoreFn> {
    const key = `${withValues}:${B}:${T}:${temperature}`;
    let f = this.fns.get(key);
    if (!f) {
      const cfg = this.model.config;
      const dtype = this.model.dtype;
      f = compile((p: Params, inp: ForwardInputs) =>
        withoutGradBarriers(() => {
          const o = buildOutputs(p, cfg, inp, dtype, temperature);
          return withValues ? [o.logprobs(), o.values()] : [o.logprobs()];
        }),
      );
      this.fns.set(key, f);
    }
    return f;
  }

  private table(T: number): { rope: RopeTables; mask: Tensor } {
    let t = this.tables.get(T);
    if (!t) {
      const cfg = this.model.config;
      t = { rope: ropeTables(cfg, [Array.from({ length: T }, (_, i) => i)], this.model.dtype), mask: causalMask(T, this.model.dtype) };
      this.tables.set(T, t);
    }
    return t;
  }
}
