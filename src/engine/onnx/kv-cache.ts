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

  constructor(readonly nLayers: number, readonly rows: number, readonly H: number, readonly Dh: number, readonly capacity: number) {
    this.rowStride = H * Dh * capacity;
    this.keys = Array.from({ length: nLayers }, () => new Float32Array(rows * this.rowStride));
    this.values = Array.from({ length: nLayers }, () => new Float32Array(rows * this.rowStride));
  }

  /**
   * Stores token `t` of row `srcRow` from a run's outputs (newKey and newValue [B, H, S, Dh]) into
   * slot `slot` of cache row `dstRow`.
   */
  write(layer: number, newKey: Float32Array, newValue: Float32Array, S: number, srcRow: number, t: number, dstRow: number, slot: number): void {
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

  /** Copies row `from` over row `to` in every layer (used to drop finished rows). */
  moveRow(from: number, to: number): void {
    if (from === to) return;
    const n = this.rowStride;
    for (let l = 0; l < this.nLayers; l++) {
      this.keys[l].copyWithin(to * n, from * n, (from + 1) * n);
      this.values[l].copyWithin(to * n, from * n, (from + 1) * n);
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

/** Empty cache feeds (P = 0) for a full forward or a prefill. */
export function emptyCacheFeeds(nLayers: number, rows: number, H: number, Dh: number, into: Record<string, ort.Tensor>): void {
  const empty = new Float32Array(0);
  for (let l = 0; l < nLayers; l++) {
    into[`past_key_${l}`] = new ort.Tensor('float32', empty, [rows, H, 0, Dh]);
    into[`past_value_${l}`] = new ort.Tensor('float32', empty, [rows, H, 0, Dh]);
  }
}
