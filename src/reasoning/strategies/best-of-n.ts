/**
 * Best-of-N (rejection sampling, e.g. Cobbe et al. 2021; Lightman et al. 2023): N independent
 * chains, each scored by an outcome reward model, a verifier, a value model or a PRM; the highest
 * scored answer wins.
 */
import { z } from 'zod';
import { evaluate } from '../operators/evaluate.js';
import { sampleRollouts } from '../operators/generate.js';
import { rankBy } from '../operators/prune.js';
import { ScorerSetting, bestSoFar, defineStrategy, estimate, resolveScorer } from '../strategy.js';

export const bestOfN = defineStrategy({
  name: 'best-of-n',
  summary: 'N sampled chains, the best by ORM, verifier, value model or PRM',
  structure: 'tree',
  settings: {
    n: z.number().int().min(1).max(4096).default(8),
    temperature: z.number().min(0).max(5).default(0.8),
    scorer: ScorerSetting.default('auto'),
    prmAggregate: z.enum(['last', 'min', 'prod']).default('min'),
  },
  async run(ctx, s) {
    const g = ctx.structure('tree');
    const scorer = resolveScorer(ctx, s.scorer);
    const ends = await sampleRollouts(ctx, g.root, s.n, s.temperature);
    const finished = ends.filter((e) => e.terminal && !e.pruned);
    await evaluate(ctx, finished, scorer, { prmAggregate: s.prmAggregate });
    // Answers first, then the score; a chain without an answer can never win over one with.
    const ranked = rankBy(finished, (n) => (n.answer === null ? -10 : 0) + estimate(n, scorer));
    const best = ranked[0] ?? null;
    if (best) ctx.record('select', [best], undefined, { by: scorer });
    return { node: best, answer: best?.answer ?? null };
  },
  best(ctx, s) {
    return bestSoFar(ctx, resolveScorer(ctx, s.scorer));
  },
});
