/**
 * Prefix caching for the ONNX sampler (the idea of vLLM's automatic prefix caching and SGLang's
 * RadixAttention, Zheng et al. 2024, in its simplest form): the keys and values of finished rows
 * are kept, and a later prompt that starts with the same tokens reuses them instead of running its
 * prefix through the model again.
 *
 * Step-level search calls the model with prompts that grow by one step at a time: the prompt for
 * step k+1 is the prompt for step k, the step the model just wrote and the end-of-step marker. The
 * rows of the call for step k end with exactly those tokens in their cache (all but the last one
 * chosen, which is never fed back), so the prefill for step k+1 only has to run the end-of-step
 * marker. Without the cache every step runs the whole growing prompt again, and that prefill,
 * unlike decoding, gains almost nothing from batching (it is already a big matrix product per row).
 *
 * The keys and values of a token depend only on the tokens up to it, so ANY common prefix of a
 * prompt and a stored sequence can be reused, not only a whole stored sequence. Entries are kept
 * in least-recently-used order within a memory bound. A reused prefix gives the same logits up to
 * float rounding (the attention sums are split differently), like a different batch does.
 */
import type { KvCache } from './kv-cache.js';

/**
 * A stored sequence. Its first `shared` tokens are those of `parent` (whose chain holds their keys
 * and values); `kv` holds only its own tokens shared..n-1, as [layer][key, value][head][token][Dh].
 * So a step stored after its prompt costs the step's tokens, not the whole prompt again (a tree of
 * segments, as in RadixAttention). A parent is evicted only with its descendants.
 */
interface Entry {
  tokens: Int32Array;
  parent: Entry | null;
  shared: number;
  kv: Float32Array;
  bytes: number;
  children: Set<Entry>;
}

export interface PrefixCacheStats {
  /** Prompts looked up, and how many reused a prefix. */
  lookups: number;
  hits: number;
  /** Prompt tokens looked up, and how many of them came from the cache (not run again). */
  promptTokens: number;
  reusedTokens: number;
  entries: number;
  bytes: number;
}

/** Length of the common prefix of a and b. */
function commonPrefix(a: ArrayLike<number>, b: Int32Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class PrefixCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly entries = new Set<Entry>();
  private bytes = 0;
  private counters = { lookups: 0, hits: 0, promptTokens: 0, reusedTokens: 0 };

  constructor(readonly maxBytes: number, readonly nLayers: number, readonly H: number, readonly Dh: number) {}

  get stats(): PrefixCacheStats {
    return { ...this.counters, entries: this.entries.size, bytes: this.bytes };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.counters = { lookups: 0, hits: 0, promptTokens: 0, reusedTokens: 0 };
  }

  /** The entry sharing the longest prefix with `tokens`, and that length. */
  private longest(tokens: ArrayLike<number>): { entry: Entry | null; length: number } {
    let entry: Entry | null = null;
    let length = 0;
    for (const e of this.entries) {
      if (e.tokens[0] !== tokens[0]) continue;
      const n = commonPrefix(tokens, e.tokens);
      if (n > length) {
        entry = e;
        length = n;
      }
    }
    return { entry, length };
  }

  /**
   * Copies the longest cached prefix of `prompt` (at most `limit` tokens) into slots 0.. of row
   * `row` of `cache`, and returns its length (0: nothing reused).
   */
  restore(prompt: readonly number[], limit: number, cache: KvCache, row: number): number {
    this.counters.lookups++;
    this.counters.promptTokens += prompt.length;
    const found = this.longest(prompt);
    const length = Math.min(found.length, limit);
    if (!found.entry || length === 0) return 0;
    this.counters.hits++;
    this.counters.reusedTokens += length;
    this.touchChain(found.entry);
    const { nLayers, H, Dh } = this;
    // Walk up the chain: each entry supplies its own tokens below `end`, its parent the rest.
    let end = length;
    for (let e: Entry | null = found.entry; e && end > 0; e = e.parent) {
      const own = e.tokens.length - e.shared;
      if (end > e.shared) {
        const count = (end - e.shared) * Dh;
        for (let l = 0; l < nLayers; l++) {
          for (let h = 0; h < H; h++) {
            const dst = ((row * H + h) * cache.capacity + e.shared) * Dh;
            const k = ((2 * l * H + h) * own) * Dh;
            const v = (((2 * l + 1) * H + h) * own) * Dh;
            cache.keys[l].set(e.kv.subarray(k, k + count), dst);
            cache.values[l].set(e.kv.subarray(v, v + count), dst);
          }
        }
        end = e.shared;
      }
    }
    return length;
  }

  /**
   * Keeps the first `tokens.length` slots of row `row` of `cache`, which hold the keys and values
   * of `tokens`: only the tokens past the longest prefix already stored are copied. A sequence
   * already contained in an entry is not stored again.
   */
  store(tokens: readonly number[], cache: KvCache, row: number): void {
    const n = tokens.length;
    if (n === 0) return;
    const found = this.longest(tokens);
    if (found.entry && found.length === n) {
      this.touchChain(found.entry);
      return;
    }
    const shared = found.entry ? found.length : 0;
    const own = n - shared;
    const { nLayers, H, Dh } = this;
    const bytes = 2 * nLayers * H * own * Dh * 4 + 4 * n;
    if (bytes > this.maxBytes) return;
    const kv = new Float32Array(2 * nLayers * H * own * Dh);
    for (let l = 0; l < nLayers; l++) {
      for (let h = 0; h < H; h++) {
        const src = ((row * H + h) * cache.capacity + shared) * Dh;
        kv.set(cache.keys[l].subarray(src, src + own * Dh), ((2 * l * H + h) * own) * Dh);
        kv.set(cache.values[l].subarray(src, src + own * Dh), (((2 * l + 1) * H + h) * own) * Dh);
      }
    }
    const entry: Entry = { tokens: Int32Array.from(tokens), parent: shared > 0 ? found.entry : null, shared, kv, bytes, children: new Set() };
    if (entry.parent) {
      this.touchChain(entry.parent);
      entry.parent.children.add(entry);
    }
    this.entries.add(entry);
    this.bytes += bytes;
    for (const e of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(e);
    }
  }

  /** Marks an entry and its ancestors used, ancestors last (most recent), so leaves go first. */
  private touchChain(e: Entry | null): void {
    for (; e; e = e.parent) {
      this.entries.delete(e);
      this.entries.add(e);
    }
  }

  /** Drops an entry and its descendants (they need its keys and values). */
  private remove(e: Entry): void {
    if (!this.entries.delete(e)) return;
    this.bytes -= e.bytes;
    e.parent?.children.delete(e);
    for (const c of e.children) this.remove(c);
  }
}
