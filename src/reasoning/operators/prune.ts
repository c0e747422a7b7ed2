/**
 * Prune (blueprint operator): drops nodes from further search by a score threshold or by keeping
 * the top k. Pruned nodes stay in the structure (marked), so traces keep the dead ends.
 */
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';

/** Marks nodes scoring below `threshold` as pruned; returns the survivors in order. */
export function pruneBelow(
  ctx: SearchContext,
  nodes: readonly ReasoningNode[],
  score: (n: ReasoningNode) => number,
  threshold: number,
): ReasoningNode[] {
  const dropped = nodes.filter((n) => !n.pruned && score(n) < threshold);
  for (const n of dropped) n.pruned = true;
  if (dropped.length > 0) ctx.record('prune', dropped, undefined, { by: 'threshold', threshold });
  return nodes.filter((n) => !n.pruned);
}

/**
 * Keeps the k best nodes by `score` (stable: ties keep the earlier node) and marks the rest
 * pruned; returns the survivors, best first.
 */
export function keepTopK(
  ctx: SearchContext,
  nodes: readonly ReasoningNode[],
  score: (n: ReasoningNode) => number,
  k: number,
): ReasoningNode[] {
  const ranked = rankBy(
    nodes.filter((n) => !n.pruned),
    score,
  );
  const kept = ranked.slice(0, k);
  const dropped = ranked.slice(k);
  for (const n of dropped) n.pruned = true;
  if (dropped.length > 0) ctx.record('prune', dropped, undefined, { by: 'top-k', k });
  return kept;
}

/** Sorted best first; ties keep their input order. */
export function rankBy(nodes: readonly ReasoningNode[], score: (n: ReasoningNode) => number): ReasoningNode[] {
  return nodes
    .map((n, i) => ({ n, i, s: score(n) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.n);
}
