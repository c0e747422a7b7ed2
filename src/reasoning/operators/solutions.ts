/**
 * Whole-solution nodes, the unit of solution-level searches (Graph of Thoughts, LLaMA-Berry):
 * each such node holds a nested chain of steps (the nested structure of the blueprint), sampled
 * step by step with all chains batched together.
 */
import type { SearchContext } from '../context.js';
import { ReasoningGraph, type ReasoningNode } from '../structure.js';
import { rollout } from './generate.js';

export interface SampledChain {
  chain: ReasoningGraph;
  end: ReasoningNode;
}

/** Samples one complete chain per prefix (a prefix may be empty), all chains batched per step. */
export async function sampleChains(
  ctx: SearchContext,
  prefixes: readonly (readonly string[])[],
  temperature: number,
): Promise<SampledChain[]> {
  const chains = prefixes.map((p, i) => new ReasoningGraph('chain', p, `c${ctx.graph.nodes.length}_${i}_`));
  const ends = await rollout(
    ctx,
    chains.map((c) => c.root),
    temperature,
  );
  return chains.map((chain, i) => ({ chain, end: ends[i] }));
}

/**
 * Adds a whole-solution node for a sampled chain under `parent` in the outer structure. Its step
 * is the solution text (the steps after the parent's prefix), its state the full step list.
 */
export function addSolutionNode(parent: ReasoningNode, sampled: SampledChain): ReasoningNode {
  const end = sampled.end;
  const node = parent.owner.addDerived(parent, end.steps.join('\n'), end.steps);
  node.terminal = true;
  node.valid = chainValid(sampled.chain, end);
  node.answer = end.answer;
  node.finishReason = end.finishReason;
  node.nested = sampled.chain;
  return node;
}

/** False when any step on the chain broke the rules; null when no rule check ran. */
function chainValid(chain: ReasoningGraph, end: ReasoningNode): boolean | null {
  const path = chain.pathTo(end).slice(1);
  if (path.some((n) => n.valid === false)) return false;
  return path.every((n) => n.valid === true) && path.length > 0 ? true : null;
}
