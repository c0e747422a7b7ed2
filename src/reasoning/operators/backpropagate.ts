/**
 * Backpropagate (blueprint operator): pushes what a simulation learned up the path it took.
 */
import type { ReasoningNode } from '../structure.js';

export interface X1Backup {
  /** Discount γ. */
  gamma: number;
  /** Step size α of the moving update. */
  alpha: number;
}

/**
 * x1's backup (docs/design.md) for one node s:
 *   q(s) <- (1 - α) q(s) + α γ Σ_c N(c) q(c) / Σ_c N(c)
 * over the children c of s with N(c) > 0. A node whose q was never set takes the target directly.
 */
export function x1Target(node: ReasoningNode, gamma: number): number | null {
  let num = 0;
  let den = 0;
  for (const c of node.children) {
    if (c.pruned && c.visits === 0) continue;
    if (c.visits > 0 && c.q !== null) {
      num += c.visits * c.q;
      den += c.visits;
    }
  }
  return den > 0 ? (gamma * num) / den : null;
}

/**
 * Adds one visit to every node of `path` (root first) and applies the x1 update from the bottom
 * up; the last node of the path (the simulated leaf) keeps its own value.
 */
export function backupX1(path: readonly ReasoningNode[], k: X1Backup): void {
  path[path.length - 1].visits += 1;
  for (let i = path.length - 2; i >= 0; i--) {
    const s = path[i];
    s.visits += 1;
    const target = x1Target(s, k.gamma);
    if (target === null) continue;
    s.q = s.q === null ? target : (1 - k.alpha) * s.q + k.alpha * target;
  }
}

/** Classic Monte Carlo backup: every node on the path averages in the leaf's value. */
export function backupMean(path: readonly ReasoningNode[], value: number): void {
  for (const s of path) {
    s.visits += 1;
    s.q = s.q === null ? value : s.q + (value - s.q) / s.visits;
  }
}
