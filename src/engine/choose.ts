/**
 * Choosing the next token from one row of logits on the host: temperature, top-k, top-p (nucleus,
 * Holtzman et al. 2020) and greedy. Shared by both samplers so that they differ only in how they
 * compute logits. The returned log-prob is log_softmax(logits / temperature)[token] before any
 * truncation (temperature 0, greedy, is scored at temperature 1), computed in float64.
 */
import { usageError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { SampleOptions } from './sampler-types.js';

export interface Choice {
  token: number;
  logprob: number;
}

export function validateSampleOptions(o: SampleOptions): void {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0)
    throw usageError(`maxNewTokens must be a non-negative integer, got ${o.maxNewTokens}`);
  const t = o.temperature ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw usageError(`temperature must be >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 0))
    throw usageError(`topK must be a non-negative integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw usageError(`topP must be in (0, 1], got ${o.topP}`);
  for (const [name, v] of [
    ['presencePenalty', o.presencePenalty],
    ['frequencyPenalty', o.frequencyPenalty],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && Math.abs(v) <= 2)) throw usageError(`${name} must be in [-2, 2], got ${v}`);
  }
  if (o.topLogprobs !== undefined && !(Number.isInteger(o.topLogprobs) && o.topLogprobs >= 0 && o.topLogprobs <= 20))
    throw usageError(`topLogprobs must be an integer in [0, 20], got ${o.topLogprobs}`);
  for (const [k, b] of Object.entries(o.logitBias ?? {})) {
    if (!/^\d+$/.test(k) || !(Number.isFinite(b) && Math.abs(b) <= 100))
      throw usageError(`logitBias: token ${k} -> ${b}; keys are token ids, biases in [-100, 100]`);
  }
}

/** log_softmax(x) in float64. */
export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - lse;
  return out;
}

export function chooseToken(logits: ArrayLike<number>, o: SampleOptions, rng: Rng): Choice {
  const temperature = o.temperature ?? 1;
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return { token: best, logprob: logSoftmax(logits)[best] };
  }
  const scaled = new Float64Array(V);
  for (let i = 0; i < V; i++) scaled[i] = logits[i] / temperature;
  const logp = logSoftmax(scaled);
  // Candidates by descending probability (ties: lower id first, so both engines agree).
  let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logp[b] - logp[a] || a - b);
  if (o.topK && o.topK > 0 && o.topK < V) order = order.slice(0, o.topK);
  const topP = o.topP ?? 1;
  if (topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < order.length) {
      cum += Math.exp(logp[order[keep]]);
      keep++;
      if (cum >= topP) break;
    }
    order = order.slice(0, keep);
  }
  const weights = order.map((i) => Math.exp(logp[i]));
  const token = order[rng.categorical(weights)];
  return { token, logprob: logp[token] };
}
