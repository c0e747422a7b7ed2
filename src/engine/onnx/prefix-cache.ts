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
 *
 * Storage is paged (as vLLM's PagedAttention stores its KV cache): fixed blocks of BLOCK tokens in
 * a few large slabs, reused through a free list. A search stores thousands of short steps; one
 * typed array per step made the garbage collector a visible share of a search's time.
 */
import type { KvCache } from './kv-cache.js';

/** Tokens per block. Steps are short (a line of a solution, ~15 tokens in Game of 24), so one block holds a step; bigger blocks copied faster but waste more. */
export const BLOCK = 16;
/** Blocks per slab (one typed array), allocated as the cache fills. */
const SLAB_BLOCKS = 64;

/**
 * A stored sequence. Its first `shared` tokens are those of `parent` (whose chain holds their keys
 * and values); its `blocks` hold only its own tokens shared..n-1. So a step stored after its prompt
 * costs the step's tokens, not the whole prompt again (a tree of segments, as in RadixAttention).
 * A parent is evicted only with its descendants.
 */
interface Entry {
  tokens: Int32Array;
  parent: Entry | null;
  shared: number;
  /** Block ids, BLOCK own tokens each (the last one partly filled). */
  blocks: number[];
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
  /** Bytes held by the entries (blocks and token ids). */
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
  /** Floats of one block: [layer][key, value][head][BLOCK tokens][Dh]. */
  private readonly blockFloats: number;
  private readonly blockBytes: number;
  private slabs: Float32Array[] = [];
  private free: number[] = [];

  constructor(
    readonly maxBytes: number,
    readonly nLayers: number,
    readonly H: number,
    readonly Dh: number,
  ) {
    this.blockFloats = 2 * nLayers * H * BLOCK * Dh;
    this.blockBytes = 4 * this.blockFloats;
  }

  get stats(): PrefixCacheStats {
    return { ...this.counters, entries: this.entries.size, bytes: this.bytes };
  }

  /**
   * Forgets every entry. The slabs are kept for the entries to come (all blocks free again):
   * allocating them anew, zero-filled, cost a search that starts from an empty cache more than its
   * copies did. `release()` gives them back to the collector.
   */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.free = [];
    for (let b = this.slabs.length * SLAB_BLOCKS - 1; b >= 0; b--) this.free.push(b);
    this.counters = { lookups: 0, hits: 0, promptTokens: 0, reusedTokens: 0 };
  }

  /** Forgets every entry and gives the slabs back to the collector. */
  release(): void {
    this.clear();
    this.slabs = [];
    this.free = [];
  }

  private allocBlock(): number {
    if (this.free.length === 0) {
      const first = this.slabs.length * SLAB_BLOCKS;
      this.slabs.push(new Float32Array(SLAB_BLOCKS * this.blockFloats));
      for (let b = SLAB_BLOCKS - 1; b >= 0; b--) this.free.push(first + b);
    }
    return this.free.pop()!;
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
   * Copies own tokens [from, to) of entry e (positions e.shared + from ..) to or from slots
   * e.shared + from .. of row `row` of `cache`.
   */
  private copy(e: Entry, from: number, to: number, cache: KvCache, row: number, toCache: boolean): void {
    const { nLayers, H, Dh } = this;
    for (let j = from; j < to;) {
      const k = j % BLOCK;
      const floats = Math.min(BLOCK - k, to - j) * Dh;
      const block = e.blocks[Math.floor(j / BLOCK)];
      const slab = this.slabs[Math.floor(block / SLAB_BLOCKS)];
      const base = (block % SLAB_BLOCKS) * this.blockFloats + k * Dh;
      for (let l = 0; l < nLayers; l++) {
        const keys = cache.keys[l];
        const values = cache.values[l];
        for (let h = 0; h < H; h++) {
          const slot = ((row * H + h) * cache.capacity + e.shared + j) * Dh;
          const kOff = base + (2 * l * H + h) * BLOCK * Dh;
          const vOff = base + ((2 * l + 1) * H + h) * BLOCK * Dh;
          if (toCache) {
            keys.set(slab.subarray(kOff, kOff + floats), slot);
            values.set(slab.subarray(vOff, vOff + floats), slot);
          } else {
            slab.set(keys.subarray(slot, slot + floats), kOff);
            slab.set(values.subarray(slot, slot + floats), vOff);
          }
        }
      }
      j += floats / Dh;
    }
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
    // Walk up the chain: each entry supplies its own tokens below `end`, its parent the rest.
    let end = length;
    for (let e: Entry | null = found.entry; e && end > 0; e = e.parent) {
      if (end > e.shared) {
        this.copy(e, 0, end - e.shared, cache, row, true);
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
    const nBlocks = Math.ceil(own / BLOCK);
    const bytes = nBlocks * this.blockBytes + 4 * n;
    if (bytes > this.maxBytes) return;
    // Make room first, so that freed blocks are reused; the new entry's parent chain is kept.
    if (found.entry && shared > 0) this.touchChain(found.entry);
    for (const e of this.entries) {
      if (this.bytes + bytes <= this.maxBytes) break;
      if (found.entry && shared > 0 && isAncestor(e, found.entry)) continue;
      this.remove(e);
    }
    if (this.bytes + bytes > this.maxBytes) return;
    const entry: Entry = {
      tokens: Int32Array.from(tokens),
      parent: shared > 0 ? found.entry : null,
      shared,
      blocks: [],
      bytes,
      children: new Set(),
    };
    for (let b = 0; b < nBlocks; b++) entry.blocks.push(this.allocBlock());
    this.copy(entry, 0, own, cache, row, false);
    entry.parent?.children.add(entry);
    this.entries.add(entry);
    this.bytes += bytes;
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
    for (const b of e.blocks) this.free.push(b);
    e.parent?.children.delete(e);
    for (const c of e.children) this.remove(c);
  }
}

/** Whether `a` is `e` or one of its ancestors. */
function isAncestor(a: Entry, e: Entry | null): boolean {
  for (; e; e = e.parent) if (e === a) return true;
  return false;
}
