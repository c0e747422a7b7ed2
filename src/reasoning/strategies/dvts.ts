/**
 * Diverse Verifier Tree Search (Beeching, Tunstall & Rush 2024, "Scaling test-time compute with
 * open models"): split N into N/M independent subtrees so that beams cannot collapse onto one
 * prefix. Each subtree keeps a single path; every round each path gets M candidate next steps
 * (all subtrees in one batched call) and the verifier/PRM keeps the best one. The answer is the
 * best-scored finished path over the subtrees.
 */
import { z } from 'zod';
import { evaluate } from '../operators/evaluate.js';
import { generate, live } from '../operators/generate.js';
import { rankBy } from '../operators/prune.js';
import { selectGreedy } from '../operators/select.js';
import { ScorerSetting, bestSoFar, defineStrategy, estimate, resolveScorer } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const dvts = defineStrategy({
  name: 'dvts',
  summary: 'diverse verifier tree search: N/M independent greedy subtrees, M candidates per step',
  structure: 'tree',
  settings: {
    /** Total candidates per round over all subtrees. */
    n: z.number().int().min(1).max(4096).default(16),
    /** Candidates per subtree per round; N/M subtrees. */
    m: z.number().int().min(1).max(256).default(4),
    temperature: z.number().min(0).max(5).default(0.8),
    scorer: ScorerSetting.default('auto'),
    prmAggregate: z.enum(['last', 'min', 'prod']).default('last'),
  },
  async run(ctx, s) {
    const g = ctx.structure('tree');
    const scorer = resolveScorer(ctx, s.scorer);
    const subtrees = Math.max(1, Math.floor(s.n / s.m));
    // Diverse first steps: one root expansion with one child per subtree.
    let paths: ReasoningNode[] = live((await generate(ctx, [g.root], { k: subtrees, temperature: s.temperature }))[0]);
    await evaluate(ctx, paths, scorer, { prmAggregate: s.prmAggregate });
    paths.forEach((p, i) => (p.meta.subtree = i));
    const finished: ReasoningNode[] = paths.filter((p) => p.terminal);
    paths = paths.filter((p) => !p.terminal);
    while (paths.length > 0) {
      const kids = await generate(ctx, paths, { k: s.m, temperature: s.temperature, dedupe: true });
      await evaluate(ctx, live(kids.flat()), scorer, { prmAggregate: s.prmAggregate });
      const next: ReasoningNode[] = [];
      paths.forEach((p, i) => {
        const pick = selectGreedy(live(kids[i]), (n) => estimate(n, scorer));
        if (!pick) return; // every candidate broke the rules: this subtree is dead
        pick.meta.subtree = p.meta.subtree;
        ctx.record('select', [pick], undefined, { by: scorer, subtree: p.meta.subtree });
        if (pick.terminal) finished.push(pick);
        else next.push(pick);
      });
      paths = next;
    }
    const answered = finished.filter((n) => n.answer !== null);
    const best = rankBy(answered, (n) => estimate(n, scorer))[0] ?? null;
    return best ? { node: best, answer: best.answer } : bestSoFar(ctx, scorer);
  },
  best(ctx, s) {
    return bestSoFar(ctx, resolveScorer(ctx, s.scorer));
  },
});
