/**
 * Interruptible generation and the scoring that goes with it, shared by the rollout thread
 * (./rollout-worker.ts) and the queue's rollout jobs (src/distributed/rl-rollout.ts).
 *
 * Interruptible generation (AReaL, Fu et al. 2025, §4.1): a batch is decoded in segments of
 * `segmentTokens`; before each segment the caller's `policy()` may switch to newer weights, and
 * the remaining tokens come from the new policy. Every token records the policy version that
 * produced it (with its behaviour log-prob), so the decoupled objective knows its behaviour policy.
 */
import { type ModelConfig, type OnnxSampler, logSoftmax } from '../../engine/index.js';

/** One batch of rollouts to generate. */
export interface RolloutRequest {
  prompts: number[][];
  maxNewTokens: number;
  /** Tokens per segment; weights may change between segments. */
  segmentTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  /** Score the finished batch with this policy version (the trainer's version when it uses the batch). */
  proxVersion: number | null;
}

/** Where a batch's time went on the rollout side. */
export interface RolloutStats {
  /** Decoding, from taking the batch to its last token (weight loads included). */
  genMs: number;
  /** Building samplers from newly published weights during the batch. */
  loadMs: number;
  /** Reference and proximal forwards. */
  scoreMs: number;
  /** Waiting for the proximal version to be published. */
  waitMs: number;
}

export interface RolloutRow {
  tokens: number[];
  logprobs: number[];
  /** The policy version behind each token. */
  versions: number[];
  finishReason: 'eos' | 'stop' | 'length';
  /** log pi_ref of each token (when a reference policy was given). */
  refLogprobs?: number[];
  /** log pi_prox of each token: policy version `proxVersion` at the trainer's temperature (when it was scored). */
  proxLogprobs?: number[];
}

export interface RolloutBatch {
  rows: RolloutRow[];
  stats: RolloutStats;
}

/** The policy to decode the next segment with (newer weights may have arrived). */
export type PolicyNow = () => Promise<{ sampler: OnnxSampler; version: number }>;

/** Decodes `m` in segments, asking `policy()` before each one; the versions are recorded per token. */
export async function decodeSegments(policy: PolicyNow, m: RolloutRequest, config: ModelConfig): Promise<RolloutRow[]> {
  const rows: RolloutRow[] = m.prompts.map(() => ({ tokens: [], logprobs: [], versions: [], finishReason: 'length' }));
  let active = rows.map((_, i) => i);
  for (let seg = 0; active.length > 0; seg++) {
    const { sampler, version } = await policy();
    const left = m.maxNewTokens - rows[active[0]].tokens.length; // every active row has produced as many tokens
    const n = Math.min(m.segmentTokens, left, ...active.map((i) => config.maxSeqLen - m.prompts[i].length - rows[i].tokens.length));
    if (n < 1) break;
    const res = await sampler.sample(
      active.map((i) => [...m.prompts[i], ...rows[i].tokens]),
      { maxNewTokens: n, temperature: m.temperature, topP: m.topP, seed: (m.seed + Math.imul(seg, 0x9e3779b1)) >>> 0 },
    );
    const still: number[] = [];
    active.forEach((i, k) => {
      const r = rows[i];
      r.tokens.push(...res[k].tokens);
      r.logprobs.push(...res[k].logprobs);
      for (let t = 0; t < res[k].tokens.length; t++) r.versions.push(version);
      r.finishReason = res[k].finishReason;
      const roomLeft = r.tokens.length < m.maxNewTokens && m.prompts[i].length + r.tokens.length < config.maxSeqLen;
      if (res[k].finishReason === 'length' && roomLeft) still.push(i);
    });
    active = still;
  }
  return rows;
}

/** Log-probs of each row's response tokens under `s` at `temperature` (one forward over the batch). */
export async function responseLogprobs(
  s: OnnxSampler,
  prompts: readonly number[][],
  rows: readonly Pick<RolloutRow, 'tokens'>[],
  temperature: number,
): Promise<number[][]> {
  const seqs = rows.map((r, i) => [...prompts[i], ...r.tokens]);
  const { logits } = await s.forward(seqs);
  return seqs.map((seq, i) => {
    const V = logits[i].length / seq.length; // the forward's logits: one row of the vocabulary per position
    const out: number[] = [];
    for (let t = prompts[i].length; t < seq.length; t++) {
      const l = logits[i].subarray((t - 1) * V, t * V);
      out.push(logSoftmax(temperature === 1 ? l : Array.from(l, (x) => x / temperature))[seq[t]]);
    }
    return out;
  });
}
