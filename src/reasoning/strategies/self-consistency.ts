/**
 * Self-consistency (Wang et al. 2023): sample N chains and vote over their answers. Answers are
 * clustered by the task's own equivalence (task.sameAnswer: "1/2" = "0.5" in math), not by raw
 * string equality. `majority` counts votes; `weighted` sums each chain's score from an evaluator
 * (mapped to [0, 1]), as in weighted best-of-N (Li et al. 2023). The clusters become merged graph
 * nodes (Aggregate), so the trace shows which chains voted for which answer.
 */
import { z } from 'zod';
import { aggregateByAnswer, clusterByAnswer } from '../operators/aggregate.js';
import { evaluate, unitScore } from '../operators/evaluate.js';
import { sampleRollouts } from '../operators/generate.js';
import type { SearchContext } from '../context.js';
import { ScorerSetting, bestSoFar, defineStrategy, resolveScorer, type StrategyResult } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const selfConsistency = defineStrategy({
  name: 'self-consistency',
  summary: 'N sampled chains, majority or score-weighted vote over task-equivalent answers',
  structure: 'graph',
  settings: {
    n: z.number().int().min(1).max(4096).default(8),
    temperature: z.number().min(0).max(5).default(0.8),
    vote: z.enum(['majority', 'weighted']).default('majority'),
    /** Evaluator for weighted votes. */
    scorer: ScorerSetting.default('auto'),
  },
  async run(ctx, s) {
    const g = ctx.structure('graph');
    const ends = await sampleRollouts(ctx, g.root, s.n, s.temperature);
    const voters = ends.filter((e) => e.terminal && e.answer !== null && !e.pruned);
    let weight: (n: ReasoningNode) => number = () => 1;
    if (s.vote === 'weighted') {
      const scorer = resolveScorer(ctx, s.scorer);
      await evaluate(ctx, voters, scorer);
      weight = (n) => ((unitScore(n, scorer) ?? 0) + 1) / 2;
    }
    if (voters.length === 0) return bestSoFar(ctx); // no chain stated an answer: the best chain, unvoted
    const merged = aggregateByAnswer(ctx, voters, weight);
    return pickWinner(ctx, merged, s.vote);
  },
  best(ctx) {
    // Votes among the chains finished so far (merged nodes do not exist yet).
    const voters = ctx.graph.nodes.filter((n) => n.terminal && n.answer !== null && !n.pruned && n.parents.length === 1);
    const classes = clusterByAnswer(ctx, voters);
    if (classes.length === 0) return { node: null, answer: null };
    const top = classes.reduce((a, b) => (b.votes > a.votes ? b : a));
    return { node: top.members[0], answer: top.answer };
  },
});

function pickWinner(ctx: SearchContext, merged: ReasoningNode[], vote: 'majority' | 'weighted'): StrategyResult {
  if (merged.length === 0) return { node: null, answer: null };
  const votes = (n: ReasoningNode) => n.scores.votes ?? 1;
  const weight = (n: ReasoningNode) => n.scores.weight ?? 1;
  // Majority: votes, then weight; weighted: weight, then votes. Remaining ties: first seen.
  const key = (n: ReasoningNode) => (vote === 'majority' ? [votes(n), weight(n)] : [weight(n), votes(n)]);
  let best = merged[0];
  for (const n of merged) {
    const [a1, a2] = key(n);
    const [b1, b2] = key(best);
    if (a1 > b1 || (a1 === b1 && a2 > b2)) best = n;
  }
  ctx.notes.votes = merged.map((n) => ({ answer: n.answer, votes: votes(n), weight: +weight(n).toFixed(6) }));
  ctx.record('select', [best], undefined, { by: vote });
  return { node: best, answer: best.answer };
}
