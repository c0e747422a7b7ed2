/**
 * Batch filters and reward shaping from DAPO (Yu et al. 2025, "DAPO: An Open-Source LLM
 * Reinforcement Learning System at Scale").
 */
import { type Matrix, groupRows, matrix } from './matrix.js';

/**
 * Dynamic sampling (DAPO section 3.2): a group whose responses all got the same reward has zero
 * group-relative advantage, so it only dilutes the batch. Keeps the rows of groups whose score
 * varies (by more than `tolerance`) and reports the share of groups that were dropped.
 */
export function dynamicSampling(
  scores: ArrayLike<number>,
  groups: ArrayLike<number | string>,
  tolerance = 1e-9,
): { keepRows: number[]; droppedGroups: number; zeroVarianceShare: number } {
  if (scores.length !== groups.length) throw new RangeError(`dynamicSampling: ${scores.length} scores for ${groups.length} group ids`);
  const all = groupRows(groups);
  const keepRows: number[] = [];
  let dropped = 0;
  for (const rows of all) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of rows) {
      lo = Math.min(lo, scores[i]);
      hi = Math.max(hi, scores[i]);
    }
    if (hi - lo > tolerance) keepRows.push(...rows);
    else dropped++;
  }
  keepRows.sort((a, b) => a - b);
  return { keepRows, droppedGroups: dropped, zeroVarianceShare: all.length ? dropped / all.length : 0 };
}

/**
 * Overlong filtering (DAPO section 3.4): responses cut off at the length limit have no real outcome,
 * so their tokens are masked out of the loss. Returns a new mask with those rows zeroed.
 */
export function overlongFilter(mask: Matrix, truncated: ArrayLike<boolean>): Matrix {
  if (truncated.length !== mask.rows) throw new RangeError(`overlongFilter: ${truncated.length} flags for ${mask.rows} rows`);
  const out = matrix(mask.rows, mask.cols, Float32Array.from(mask.data));
  for (let i = 0; i < mask.rows; i++) if (truncated[i]) out.data.fill(0, i * mask.cols, (i + 1) * mask.cols);
  return out;
}

/**
 * Soft overlong punishment (DAPO eq. 13): a length penalty added to the reward, zero up to
 * L_max - L_cache, then falling linearly to -1 at L_max, and -1 beyond:
 *   R_length(y) = 0                                  if |y| <= L_max - L_cache
 *               = ((L_max - L_cache) - |y|) / L_cache if L_max - L_cache < |y| <= L_max
 *               = -1                                 if |y| > L_max
 */
export function softOverlongPenalty(length: number, maxLength: number, cacheLength: number): number {
  if (!(cacheLength > 0) || !(maxLength > cacheLength))
    throw new RangeError(`soft overlong punishment needs 0 < cache (${cacheLength}) < max length (${maxLength})`);
  const expected = maxLength - cacheLength;
  if (length <= expected) return 0;
  if (length <= maxLength) return (expected - length) / cacheLength;
  return -1;
}
