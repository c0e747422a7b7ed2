/**
 * Choosing the next token on the host from one row of logits: temperature, top-k (Fan et al. 2018),
 * nucleus / top-p (Holtzman et al. 2020), greedy when the temperature is 0. The log-prob returned is
 * log_softmax(logits / temperature) of the chosen token before truncation (temperature 0 is scored
 * at temperature 1), as ../sampler.ts specifies.
 */
import type { Rng } from '../../core/rng.js';

export interface TokenChoice {
  token: number;
  logprob: number;
}

export interface Truncation {
  temperature: number;
  topK: number;
  topP: number;
}

/** log_softmax(row / temperature) into `out` (float64), for row = logits[offset .. offset+V). */
export function logSoftmaxInto(logits: Float32Array, offset: number, V: number, temperature: number, out: Float64Array): void {
  let m = -Infinity;
  for (let i = 0; i < V; i++) {
    const z = logits[offset + i] / temperature;
    out[i] = z;
    if (z > m) m = z;
  }
  let s = 0;
  for (let i = 0; i < V; i++) s += Math.exp(out[i] - m);
  const lz = m + Math.log(s);
  for (let i = 0; i < V; i++) out[i] -= lz;
}

/** Reusable scratch buffers for one vocabulary size. */
export class TokenPicker {
  private readonly lp: Float64Array;
  private readonly weights: Float64Array;
  private readonly order: number[];

  constructor(private readonly V: number) {
    this.lp = new Float64Array(V);
    this.weights = new Float64Array(V);
    this.order = Array.from({ length: V }, (_, i) => i);
  }

  pick(logits: Float32Array, offset: number, t: Truncation, rng: Rng): TokenChoice {
    const { V, lp, weights } = this;
    if (t.temperature === 0) {
      let best = 0;
      for (let i = 1; i < V; i++) if (logits[offset + i] > logits[offset + best]) best = i;
      logSoftmaxInto(logits, offset, V, 1, lp);
      return { token: best, logprob: lp[best] };
    }
    logSoftmaxInto(logits, offset, V, t.temperature, lp);
    const truncate = (t.topK > 0 && t.topK < V) || t.topP < 1;
    if (!truncate) {
      for (let i = 0; i < V; i++) weights[i] = Math.exp(lp[i]);
    } else {
      // Sort by probability (ties: lower id first), keep the top k, then the smallest prefix whose
      // probability mass (renormalised over the kept k) reaches p.
      const order = this.order;
      for (let i = 0; i < V; i++) order[i] = i;
      order.sort((a, b) => lp[b] - lp[a] || a - b);
      const k = t.topK > 0 ? Math.min(t.topK, V) : V;
      let keep = k;
      if (t.topP < 1) {
        let mass = 0;
        for (let i = 0; i < k; i++) mass += Math.exp(lp[order[i]]);
        let cum = 0;
        for (let i = 0; i < k; i++) {
          cum += Math.exp(lp[order[i]]) / mass;
          if (cum >= t.topP) {
            keep = i + 1;
            break;
          }
        }
      }
      weights.fill(0);
      for (let i = 0; i < keep; i++) weights[order[i]] = Math.exp(lp[order[i]]);
    }
    const token = rng.categorical(weights);
    return { token, logprob: lp[token] };
  }
}
