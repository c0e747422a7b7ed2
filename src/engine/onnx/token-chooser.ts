/**
 * The token choice of ../choose.ts (`chooseToken`: temperature, top-k, top-p, greedy; log-prob
 * before truncation) reimplemented over preallocated buffers. The ONNX sampler chooses tokens for
 * every row at every step, and the allocations and comparator sort of the shared version cost about
 * a fifth of its decode time. Every arithmetic step is done in the same order, so both give the same
 * token and the same log-prob bits for the same logits and random stream (a test checks this).
 */
import type { Rng } from '../../core/rng.js';
import type { Choice } from '../choose.js';
import type { SampleOptions } from '../sampler-types.js';

export class TokenChooser {
  private readonly scaled: Float64Array;
  private readonly logp: Float64Array;
  private readonly weights: Float64Array;
  private readonly order: Int32Array;
  private readonly sortedKeys: Float64Array;
  private readonly taken: Uint8Array;

  constructor(private readonly V: number) {
    this.scaled = new Float64Array(V);
    this.logp = new Float64Array(V);
    this.weights = new Float64Array(V);
    this.order = new Int32Array(V);
    this.sortedKeys = new Float64Array(V);
    this.taken = new Uint8Array(V);
  }

  /**
   * order = token ids by descending log-prob, ties to the lower id: the unique order the comparator
   * sort of ../choose.ts produces. Sorts the keys -logp natively (no comparator calls), then places
   * each id, in increasing id order, at the first free rank of its key (binary search).
   */
  private sortByLogprob(): void {
    const { V, logp, order, sortedKeys, taken } = this;
    for (let i = 0; i < V; i++) sortedKeys[i] = -logp[i];
    sortedKeys.sort();
    taken.fill(0);
    for (let i = 0; i < V; i++) {
      const key = -logp[i];
      let lo = 0;
      let hi = V;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedKeys[mid] < key) lo = mid + 1;
        else hi = mid;
      }
      while (taken[lo]) lo++;
      taken[lo] = 1;
      order[lo] = i;
    }
  }

  /** log_softmax(x) into `out`, exactly as ../choose.ts computes it. */
  private logSoftmaxInto(x: ArrayLike<number>, offset: number, out: Float64Array): void {
    const V = this.V;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (x[offset + i] > max) max = x[offset + i];
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(x[offset + i] - max);
    const lse = max + Math.log(sum);
    for (let i = 0; i < V; i++) out[i] = x[offset + i] - lse;
  }

  /** Chooses from logits[offset .. offset + V). */
  choose(logits: Float32Array, offset: number, o: SampleOptions, rng: Rng): Choice {
    const { V, logp, scaled, order, weights } = this;
    const temperature = o.temperature ?? 1;
    if (temperature === 0) {
      let best = 0;
      for (let i = 1; i < V; i++) if (logits[offset + i] > logits[offset + best]) best = i;
      this.logSoftmaxInto(logits, offset, logp);
      return { token: best, logprob: logp[best] };
    }
    for (let i = 0; i < V; i++) scaled[i] = logits[offset + i] / temperature;
    this.logSoftmaxInto(scaled, 0, logp);
    this.sortByLogprob();
    let keep = o.topK && o.topK > 0 && o.topK < V ? o.topK : V;
    const topP = o.topP ?? 1;
    if (topP < 1) {
      let cum = 0;
      let n = 0;
      while (n < keep) {
        cum += Math.exp(logp[order[n]]);
        n++;
        if (cum >= topP) break;
      }
      keep = n;
    }
    for (let k = 0; k < keep; k++) weights[k] = Math.exp(logp[order[k]]);
    const token = order[rng.categorical(keep === V ? weights : weights.subarray(0, keep))];
    return { token, logprob: logp[token] };
  }
}
