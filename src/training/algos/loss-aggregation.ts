/**
 * Loss aggregation: how per-token losses L[i,t] become one number. The choice changes how much
 * long responses weigh, which is why verl makes it a knob of its own (`loss_agg_mode`).
 *
 *   token-mean               sum_{i,t} L m / sum_{i,t} m                every token weighs the same (DAPO eq. 8)
 *   seq-mean-token-sum       1/B sum_i sum_t L m                        long responses weigh more
 *   seq-mean-token-mean      1/B sum_i (sum_t L m / sum_t m)            every response weighs the same (GRPO eq. 3)
 *   seq-mean-token-sum-norm  1/(B * L_norm) sum_{i,t} L m               a constant normaliser (Dr.GRPO, Liu et al. 2025)
 *
 * Responses with no tokens count as 0 in the seq-mean modes (their 1/B share stays).
 */
import { type Matrix, assertSameShape, rowLength, rowMaskedSum } from './matrix.js';

export const LossAggModes = ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'] as const;
export type LossAggMode = (typeof LossAggModes)[number];

export interface LossAggOptions {
  /** The constant L_norm of seq-mean-token-sum-norm; default: the number of columns (max response length). */
  normLength?: number;
}

export function aggregateLoss(loss: Matrix, mask: Matrix, mode: LossAggMode, options: LossAggOptions = {}): number {
  assertSameShape({ loss, mask });
  const B = mask.rows;
  if (B === 0) return 0;
  switch (mode) {
    case 'token-mean': {
      let s = 0;
      let n = 0;
      for (let k = 0; k < loss.data.length; k++) {
        s += loss.data[k] * mask.data[k];
        n += mask.data[k];
      }
      return n > 0 ? s / n : 0;
    }
    case 'seq-mean-token-sum': {
      let s = 0;
      for (let i = 0; i < B; i++) s += rowMaskedSum(loss, mask, i);
      return s / B;
    }
    case 'seq-mean-token-mean': {
      let s = 0;
      for (let i = 0; i < B; i++) {
        const n = rowLength(mask, i);
        if (n > 0) s += rowMaskedSum(loss, mask, i) / n;
      }
      return s / B;
    }
    case 'seq-mean-token-sum-norm': {
      const norm = options.normLength ?? mask.cols;
      if (!(norm > 0)) throw new RangeError(`seq-mean-token-sum-norm needs a positive normLength, got ${norm}`);
      let s = 0;
      for (let i = 0; i < B; i++) s += rowMaskedSum(loss, mask, i);
      return s / (B * norm);
    }
    default:
      throw new RangeError(`unknown loss aggregation "${mode as string}" (known: ${LossAggModes.join(', ')})`);
  }
}

/**
 * The per-token weights w[i,t] such that aggregateLoss(L) = sum_{i,t} w[i,t] L[i,t]. Every mode is
 * linear in L, so a trainer can turn any aggregation into one weighted sum (this is how the tensor
 * versions apply it).
 */
export function aggregationWeights(mask: Matrix, mode: LossAggMode, options: LossAggOptions = {}): Float32Array {
  const B = mask.rows;
  const w = new Float32Array(mask.data.length);
  if (B === 0) return w;
  let total = 0;
  for (let k = 0; k < mask.data.length; k++) total += mask.data[k];
  const norm = options.normLength ?? mask.cols;
  for (let i = 0; i < B; i++) {
    const n = rowLength(mask, i);
    const o = i * mask.cols;
    let scale: number;
    switch (mode) {
      case 'token-mean':
        scale = total > 0 ? 1 / total : 0;
        break;
      case 'seq-mean-token-sum':
        scale = 1 / B;
        break;
      case 'seq-mean-token-mean':
        scale = n > 0 ? 1 / (B * n) : 0;
        break;
      case 'seq-mean-token-sum-norm':
        if (!(norm > 0)) throw new RangeError(`seq-mean-token-sum-norm needs a positive normLength, got ${norm}`);
        scale = 1 / (B * norm);
        break;
      default:
        throw new RangeError(`unknown loss aggregation "${mode as string}" (known: ${LossAggModes.join(', ')})`);
    }
    for (let t = 0; t < mask.cols; t++) w[o + t] = scale * mask.data[o + t];
  }
  return w;
}
