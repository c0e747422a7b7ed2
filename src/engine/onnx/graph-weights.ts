/**
 * Weight layouts shared by the ONNX graphs: PyTorch-layout matrices [out, in] become MatMul
 * right-hand sides [in, out] (y = x W^T), with projections that read the same input fused into one
 * matrix, and RoPE angle tables (RoFormer, Su et al. 2021, eq. 15; the Llama adjacent-pair form).
 */
import type { ModelConfig } from '../config.js';
import type { HostWeights } from '../host-weights.js';

export function weight(weights: HostWeights, name: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`ONNX graph: weight ${name} missing (validateHostWeights should have caught this)`);
  return w.data;
}

/**
 * Concatenates the transposes of several [rows_i, cols] matrices side by side into one row-major
 * [cols, sum(rows_i)] matrix. Each part may permute and scale its rows first.
 */
export function fuseTransposed(
  cols: number,
  parts: { w: Float32Array; rows: number; rowOf?: (r: number) => number; scale?: number }[],
): { data: Float32Array; dims: [number, number] } {
  const total = parts.reduce((n, p) => n + p.rows, 0);
  const data = new Float32Array(cols * total);
  let offset = 0;
  for (const { w, rows, rowOf = (r: number) => r, scale = 1 } of parts) {
    for (let r = 0; r < rows; r++) {
      const src = rowOf(r) * cols;
      for (let c = 0; c < cols; c++) data[c * total + offset + r] = w[src + c] * scale;
    }
    offset += rows;
  }
  return { data, dims: [cols, total] };
}

/** theta(pos, j) = pos * ropeTheta^(-2j / headDim), computed in float64. */
export function ropeAngle(cfg: ModelConfig, pos: number, j: number): number {
  const dh = cfg.dModel / cfg.nHeads;
  return pos * Math.pow(cfg.ropeTheta, (-2 * j) / dh);
}

/** cos and sin of every angle, [maxSeqLen, headDim / 2] (onnxruntime's rotary cache layout). */
export function ropeHalfTables(cfg: ModelConfig): { cos: Float32Array; sin: Float32Array } {
  const half = cfg.dModel / cfg.nHeads / 2;
  const cos = new Float32Array(cfg.maxSeqLen * half);
  const sin = new Float32Array(cfg.maxSeqLen * half);
  for (let p = 0; p < cfg.maxSeqLen; p++) {
    for (let j = 0; j < half; j++) {
      const a = ropeAngle(cfg, p, j);
      cos[p * half + j] = Math.cos(a);
      sin[p * half + j] = Math.sin(a);
    }
  }
  return { cos, sin };
}
