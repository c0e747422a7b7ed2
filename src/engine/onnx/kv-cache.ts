/**
 * The host-side KV cache of the ONNX sampler: one fixed-capacity buffer per layer for keys and one
 * for values, both [rows, H, capacity, Dh], so writing a slot is contiguous (a transposed key
 * layout made the per-step scattered writes cost as much as a third of the graph's run). A row's
 * token at position p lives in slot p; slots a row has not filled yet are masked out by the
 * attention bias. The graph reads the buffers in place (no copy
 * into onnxruntime) and returns only the new tokens' keys and values, which `write` stores.
 * Rows that finish are removed by moving the last active row into their place, so the batch
 * shrinks and finished rows cost nothing.
 */
import * as ort from 'onnxruntime-node';

export class KvCache {
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  /** Floats per row in one layer's buffer. */
  readonly rowStride: number;

  /**
   * `storage`: buffers of an earlier cache to reuse (each at least rows * H * capacity * Dh long),
   * see `CacheStorePool`. Their stale contents are harmless: a slot is read only after it is
   * written, and unwritten slots are masked (their attention weight is exactly 0).
   */
  constructor(
    readonly nLayers: number,
    readonly rows: number,
    readonly H: number,
    readonly Dh: number,
    readonly capacity: number,
    storage?: KvStorage,
  ) {
    this.rowStride = H * Dh * capacity;
    const n = rows * this.rowStride;
    if (storage && storage.floats >= n) {
      this.keys = storage.keys.map((b) => b.subarray(0, n));
      this.values = storage.values.map((b) => b.subarray(0, n));
      this.storage = storage;
    } else {
      this.keys = Array.from({ length: nLayers }, () => new Float32Array(n));
      this.values = Array.from({ length: nLayers }, () => new Float32Array(n));
      this.storage = { keys: this.keys, values: this.values, floats: n };
    }
  }

  /** The whole buffers behind this cache (to hand back to a pool). */
  readonly storage: KvStorage;
  /**
   * Set when a run over this cache produced NaN: its buffers may hold NaN keys, which even a masked
   * slot turns into NaN attention, so they are not reused.
   */
  poisoned = false;

  /**
   * Stores token `t` of row `srcRow` from a run's outputs (newKey and newValue [B, H, S, Dh]) into
   * slot `slot` of cache row `dstRow`.
   */
  write(
    layer: number,
    newKey: Float32Array,
    newValue: Float32Array,
    S: number,
    srcRow: number,
    t: number,
    dstRow: number,
    slot: number,
  ): void {
    const { H, Dh, capacity } = this;
    const keys = this.keys[layer];
    const values = this.values[layer];
    for (let h = 0; h < H; h++) {
      const src = ((srcRow * H + h) * S + t) * Dh;
      const dst = ((dstRow * H + h) * capacity + slot) * Dh;
      for (let d = 0; d < Dh; d++) {
        keys[dst + d] = newKey[src + d];
        values[dst + d] = newValue[src + d];
      }
    }
  }

  /**
   * Stores one decode step's new keys and values, newKv [2 L B, H, 1, Dh] (B rows of keys of layer
   * 0, then of values of layer 0, then layer 1, ...), into slot at[a] of row a, a < B. One loop
   * over everything, with the offsets kept in locals: 100 us for a 50-row step of the Game of 24
   * model (51,200 floats), against 136 us for a `write` call per row and layer.
   */
  writeStep(newKv: Float32Array, B: number, at: Int32Array): void {
    const H = this.H;
    const Dh = this.Dh;
    const headStride = this.capacity * Dh;
    const rowStride = H * headStride;
    const block = B * H * Dh;
    for (let l = 0; l < this.nLayers; l++) {
      const keys = this.keys[l];
      const values = this.values[l];
      const kBase = 2 * l * block;
      const vBase = kBase + block;
      for (let a = 0; a < B; a++) {
        let src = a * H * Dh;
        let dst = a * rowStride + at[a] * Dh;
        for (let h = 0; h < H; h++) {
          const k0 = kBase + src;
          const v0 = vBase + src;
          for (let d = 0; d < Dh; d++) {
            keys[dst + d] = newKv[k0 + d];
            values[dst + d] = newKv[v0 + d];
          }
          src += Dh;
          dst += headStride;
        }
      }
    }
  }

  /**
   * Copies the first `slots` slots (default: all) of row `from` over row `to` in every layer, e.g.
   * to drop a finished row by moving the last active one into its place. Only filled slots need
   * copying: the rest are masked.
   */
  moveRow(from: number, to: number, slots = this.capacity): void {
    this.copyRow(from, to, slots);
  }

  /** Copies the first `slots` slots (default: all) of row `from` over row `to` in every layer. */
  copyRow(from: number, to: number, slots = this.capacity): void {
    if (from === to) return;
    const { H, Dh, capacity } = this;
    const count = Math.min(slots, capacity) * Dh;
    for (let l = 0; l < this.nLayers; l++) {
      const keys = this.keys[l];
      const values = this.values[l];
      for (let h = 0; h < H; h++) {
        const src = (from * H + h) * capacity * Dh;
        const dst = (to * H + h) * capacity * Dh;
        keys.copyWithin(dst, src, src + count);
        values.copyWithin(dst, src, src + count);
      }
    }
  }

  /** Feeds `past_key_i` / `past_value_i` viewing the first `rows` rows (no copy). */
  feeds(rows: number, into: Record<string, ort.Tensor>): void {
    const { H, Dh, capacity } = this;
    const n = rows * this.rowStride;
    for (let l = 0; l < this.nLayers; l++) {
      into[`past_key_${l}`] = new ort.Tensor('float32', this.keys[l].subarray(0, n), [rows, H, capacity, Dh]);
      into[`past_value_${l}`] = new ort.Tensor('float32', this.values[l].subarray(0, n), [rows, H, capacity, Dh]);
    }
  }
}

export interface KvStorage {
  keys: Float32Array[];
  values: Float32Array[];
  /** Length of every buffer. */
  floats: number;
}

/**
 * Keeps the buffers of finished batches for the next one: a sampler runs many short calls (one per
 * search step), and allocating a fresh zeroed cache for each cost page faults and garbage
 * collection. Holds at most `keep` storages of at most `maxFloats` floats each (all buffers:
 * 16 MiB by default), so small caches are reused and big ones are left to the collector.
 */
export class KvStoragePool {
  private readonly free: KvStorage[] = [];

  constructor(
    readonly keep = 2,
    readonly maxFloats = 2 ** 22,
  ) {}

  /** A cache over pooled buffers when one is large enough, else over new ones. */
  take(nLayers: number, rows: number, H: number, Dh: number, capacity: number): KvCache {
    const need = rows * H * Dh * capacity;
    const i = this.free.findIndex((s) => s.floats >= need && s.keys.length === nLayers);
    const storage = i >= 0 ? this.free.splice(i, 1)[0] : undefined;
    return new KvCache(nLayers, rows, H, Dh, capacity, storage);
  }

  give(cache: KvCache): void {
    const s = cache.storage;
    if (cache.poisoned || 2 * s.keys.length * s.floats > this.maxFloats) return;
    this.free.push(s);
    // Keep the largest ones.
    this.free.sort((a, b) => b.floats - a.floats);
    this.free.length = Math.min(this.free.length, this.keep);
  }
}

/** Empty cache feeds (P = 0) for a full forward or a prefill. */
export function emptyCacheFeeds(nLayers: number, rows: number, H: number, Dh: number, into: Record<string, ort.Tensor>): void {
  const empty = new Float32Array(0);
  for (let l = 0; l < nLayers; l++) {
    into[`past_key_${l}`] = new ort.Tensor('float32', empty, [rows, H, 0, Dh]);
    into[`past_value_${l}`] = new ort.Tensor('float32', empty, [rows, H, 0, Dh]);
  }
}
