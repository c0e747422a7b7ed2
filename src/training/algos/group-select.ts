/**
 * ReST-GRPO's data selection (Zhoubian, Zhang, Dong & Tang 2025, "ReST-RL: Achieving Accurate Code Reasoning
 * of LLMs with Optimized Self-Training and Decoding", section 3.1): GRPO learns nothing from a group
 * whose rewards are (nearly) equal, so ReST-GRPO samples more prompts than it trains on, filters out
 * groups whose reward standard deviation is below a threshold sigma_0, and assembles the training
 * batch from the groups with the most reward variance:
 *     keep g  iff  std({r_i : i in g}) >= min_std,   then the `keep` groups of largest std
 * (ties broken by the group's first row, so the selection is deterministic). DAPO's dynamic
 * sampling is the special case min_std -> 0, keep = all.
 */
import { groupRows } from './matrix.js';

export interface GroupSelection {
  /** Rows of the kept groups, ascending. */
  keepRows: number[];
  /** Groups left out (below min_std, or beyond `keep`). */
  droppedGroups: number;
  /** Mean reward std of the kept groups and of all groups (the variance gain of the selection). */
  keptMeanStd: number;
  allMeanStd: number;
}

/** Population std of the rewards of one group (0 for a single sample). */
export function groupStd(scores: ArrayLike<number>, rows: readonly number[]): number {
  if (rows.length < 2) return 0;
  let m = 0;
  for (const i of rows) m += scores[i];
  m /= rows.length;
  let ss = 0;
  for (const i of rows) ss += (scores[i] - m) ** 2;
  return Math.sqrt(ss / rows.length);
}

export function selectGroups(
  scores: ArrayLike<number>,
  groups: ArrayLike<number | string>,
  o: { minStd: number; keep: number | null },
): GroupSelection {
  if (scores.length !== groups.length) throw new RangeError(`selectGroups: ${scores.length} scores for ${groups.length} group ids`);
  if (!(o.minStd >= 0)) throw new RangeError(`selectGroups: min_std must be >= 0, got ${o.minStd}`);
  if (o.keep !== null && !(Number.isInteger(o.keep) && o.keep > 0))
    throw new RangeError(`selectGroups: keep must be a positive integer, got ${o.keep}`);
  const all = groupRows(groups).map((rows) => ({ rows, std: groupStd(scores, rows) }));
  const eligible = all.filter((g) => g.std >= o.minStd && g.std > 0);
  eligible.sort((a, b) => b.std - a.std || a.rows[0] - b.rows[0]);
  const kept = o.keep === null ? eligible : eligible.slice(0, o.keep);
  const mean = (xs: { std: number }[]) => (xs.length ? xs.reduce((s, g) => s + g.std, 0) / xs.length : 0);
  return {
    keepRows: kept.flatMap((g) => g.rows).sort((a, b) => a - b),
    droppedGroups: all.length - kept.length,
    keptMeanStd: mean(kept),
    allMeanStd: mean(all),
  };
}
