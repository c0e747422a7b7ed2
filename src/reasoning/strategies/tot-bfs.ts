/**
 * Tree of Thoughts, breadth-first (Yao et al. 2023, Alg. 1): at every depth, propose k thoughts
 * for each state of the frontier (one batched call), evaluate them, drop those whose value is
 * below the threshold and keep the best `breadth`. Finished solutions are collected on the way;
 * the best evaluated one is the answer.
 */
import { z } from 'zod';
import { evaluate } from '../operators/evaluate.js';
import { generate, live } from '../operators/generate.js';
import { keepTopK, pruneBelow, rankBy } from '../operators/prune.js';
import { ScorerSetting, bestSoFar, defineStrategy, estimate, resolveScorer } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const totBfs = defineStrategy({
  name: 'tot-bfs',
  summary: 'Tree of Thoughts BFS: k thoughts per state, keep the best b above a value threshold',
  structure: 'tree',
  settings: {
    /** b: states kept per depth. */
    breadth: z.number().int().min(1).max(1024).default(5),
    /** Thoughts proposed per state. */
    k: z.number().int().min(1).max(256).default(8),
    temperature: z.number().min(0).max(5).default(0.8),
    scorer: ScorerSetting.default('auto'),
    /** Thoughts whose estimate (on [-1, 1]) is below this are pruned. */
    threshold: z.number().min(-1).max(1).default(-1),
    dedupe: z.boolean().default(true),
  },
  async run(ctx, s) {
    const g = ctx.structure('tree');
    const scorer = resolveScorer(ctx, s.scorer);
    let frontier: ReasoningNode[] = [g.root];
    const finished: ReasoningNode[] = [];
    while (frontier.length > 0) {
      const thoughts = live((await generate(ctx, frontier, { k: s.k, temperature: s.temperature, dedupe: s.dedupe })).flat());
      await evaluate(ctx, thoughts, scorer);
      const score = (n: ReasoningNode) => estimate(n, scorer);
      const above = pruneBelow(ctx, thoughts, score, s.threshold);
      finished.push(...above.filter((n) => n.terminal && n.answer !== null));
      frontier = keepTopK(
        ctx,
        above.filter((n) => !n.terminal),
        score,
        s.breadth,
      );
      if (frontier.length > 0) ctx.record('select', frontier, undefined, { by: scorer, depth: frontier[0].depth });
    }
    const best = rankBy(finished, (n) => estimate(n, scorer))[0] ?? null;
    return best ? { node: best, answer: best.answer } : bestSoFar(ctx, scorer);
  },
  best(ctx, s) {
    return bestSoFar(ctx, resolveScorer(ctx, s.scorer));
  },
});
