/**
 * Select (blueprint operator): which child to follow. Pure functions over node statistics, so a
 * strategy can swap its selection rule without touching its search loop (llm-reasoners style).
 */
import type { Rng } from '../../core/rng.js';
import type { ReasoningNode } from '../structure.js';

export interface PuctConstants {
  c1: number;
  c2: number;
}

/**
 * x1's PUCT without a prior (docs/design.md; the MuZero constants c1, c2 of Schrittwieser et al. 2020):
 *   q(c) + sqrt(N(s) - 1) / (1 + N(c)) * (c1 + log((N(s) + c2) / c2))
 * With N(s) = 1 the exploration term vanishes and the best q wins.
 */
export function puctScore(child: ReasoningNode, parentVisits: number, k: PuctConstants): number {
  const explore = (Math.sqrt(Math.max(0, parentVisits - 1)) / (1 + child.visits)) * (k.c1 + Math.log((parentVisits + k.c2) / k.c2));
  return (child.q ?? 0) + explore;
}

/** UCT (Kocsis & Szepesvári 2006): mean value + c * sqrt(ln N(s) / N(c)); unvisited children first. */
export function uctScore(child: ReasoningNode, parentVisits: number, c: number): number {
  if (child.visits === 0) return Infinity;
  return (child.q ?? 0) + c * Math.sqrt(Math.log(Math.max(1, parentVisits)) / child.visits);
}

/** Index of the highest score; ties go to the earliest (deterministic). */
export function argmax(xs: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (best < 0 || xs[i] > xs[best]) best = i;
  return best;
}

export function selectPuct(children: readonly ReasoningNode[], parentVisits: number, k: PuctConstants): ReasoningNode | null {
  if (children.length === 0) return null;
  return children[argmax(children.map((c) => puctScore(c, parentVisits, k)))];
}

export function selectUct(children: readonly ReasoningNode[], parentVisits: number, c: number): ReasoningNode | null {
  if (children.length === 0) return null;
  return children[argmax(children.map((ch) => uctScore(ch, parentVisits, c)))];
}

/** The child with the highest `score` (greedy). */
export function selectGreedy(children: readonly ReasoningNode[], score: (n: ReasoningNode) => number): ReasoningNode | null {
  if (children.length === 0) return null;
  return children[argmax(children.map(score))];
}

/** A child sampled with probability softmax(score / temperature). */
export function selectSample(
  children: readonly ReasoningNode[],
  score: (n: ReasoningNode) => number,
  temperature: number,
  rng: Rng,
): ReasoningNode | null {
  if (children.length === 0) return null;
  if (temperature <= 0) return selectGreedy(children, score);
  const s = children.map(score);
  const m = Math.max(...s);
  return children[rng.categorical(s.map((x) => Math.exp((x - m) / temperature)))];
}
