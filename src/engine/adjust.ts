/**
 * OpenAI's sampling controls on one row of logits, shared by the samplers: `logit_bias` (added to
 * a token's logit) and the presence and frequency penalties, applied before temperature as in
 * OpenAI's definition:
 *
 *   logit[j] += bias[j] - count[j] * frequencyPenalty - (count[j] > 0 ? presencePenalty : 0)
 *
 * where count[j] is how often token j was generated so far in this row (the prompt not counted).
 * Also the top-k log-probs of a row at temperature 1, from the model's own logits (as vLLM's raw
 * log-probs: the controls change what is sampled, not what the model's probabilities are).
 */
import type { SampleOptions } from './sampler-types.js';

export function hasAdjustments(o: SampleOptions): boolean {
  return (o.logitBias !== undefined && Object.keys(o.logitBias).length > 0) || !!o.presencePenalty || !!o.frequencyPenalty;
}

/** Writes the adjusted logits[offset .. offset + V) into `out` (length V). */
export function adjustRow(
  logits: ArrayLike<number>,
  offset: number,
  V: number,
  o: SampleOptions,
  generated: readonly number[],
  out: Float32Array,
): void {
  for (let i = 0; i < V; i++) out[i] = logits[offset + i];
  if (o.logitBias)
    for (const [k, b] of Object.entries(o.logitBias)) {
      const t = Number(k);
      if (t >= 0 && t < V) out[t] += b;
    }
  const fp = o.frequencyPenalty ?? 0;
  const pp = o.presencePenalty ?? 0;
  if (fp === 0 && pp === 0) return;
  const counts = new Map<number, number>();
  for (const t of generated) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [t, c] of counts) if (t >= 0 && t < V) out[t] -= c * fp + pp;
}

/** The k most likely tokens of logits[offset .. offset + V) at temperature 1, most likely first. */
export function topLogprobs(logits: ArrayLike<number>, offset: number, V: number, k: number): { token: number; logprob: number }[] {
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[offset + i] > max) max = logits[offset + i];
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[offset + i] - max);
  const lse = max + Math.log(sum);
  const best: { token: number; logprob: number }[] = [];
  for (let i = 0; i < V; i++) {
    const lp = logits[offset + i] - lse;
    if (best.length < k) {
      best.push({ token: i, logprob: lp });
      best.sort((a, b) => b.logprob - a.logprob || a.token - b.token);
    } else if (lp > best[k - 1].logprob) {
      best[k - 1] = { token: i, logprob: lp };
      best.sort((a, b) => b.logprob - a.logprob || a.token - b.token);
    }
  }
  return best;
}
