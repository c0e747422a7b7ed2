/**
 * Backtrack (blueprint operator): abandons a dead end and returns to an ancestor with untried
 * alternatives. The move is recorded because trace-based supervision (and Journey Learning's
 * linearisation, see restructure.ts) needs the backtracks, not just the final path.
 */
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';

export function backtrack(ctx: SearchContext, from: ReasoningNode, to: ReasoningNode, reason: string): ReasoningNode {
  ctx.record('backtrack', [from], [to], { to: to.id, reason });
  return to;
}
