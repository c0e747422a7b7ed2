/**
 * Step-level beam search guided by a value model or a process reward model (Snell et al. 2024;
 * Xie et al. 2023). Each round expands every beam with k sampled next steps (one batched call for
 * all beams), scores the candidates and keeps the best `beamWidth`. Finished candidates leave the
 * beam; the search ends when `beamWidth` solutions are finished or no beam is left.
 *
 * Lookahead (Snell et al.'s "lookahead search"): a candidate is scored by the state reached after
 * `lookahead` more greedy steps, which sees a dead end before committing to it. The lookahead
 * steps stay in the tree as the candidate's children (marked meta.lookahead).
 */
import { z } from 'zod';
import type { SearchContext } from '../context.js';
import { evaluate, type Scorer } from '../operators/evaluate.js';
import { generate, live } from '../operators/generate.js';
import { keepTopK, rankBy } from '../operators/prune.js';
import { ScorerSetting, bestSoFar, defineStrategy, estimate, resolveScorer } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const beam = defineStrategy({
  name: 'beam',
  summary: 'step-level beam search scored by a value model or PRM, optional lookahead',
  structure: 'tree',
  settings: {
    beamWidth: z.number().int().min(1).max(1024).default(4),
    /** Candidates sampled per beam per round. */
    k: z.number().int().min(1).max(256).default(4),
    temperature: z.number().min(0).max(5).default(0.8),
    scorer: ScorerSetting.default('auto'),
    prmAggregate: z.enum(['last', 'min', 'prod']).default('min'),
    /** Greedy steps looked ahead before scoring a candidate (0 = none). */
    lookahead: z.number().int().min(0).max(64).default(0),
    dedupe: z.boolean().default(true),
  },
  async run(ctx, s) {
    const g = ctx.structure('tree');
    const scorer = resolveScorer(ctx, s.scorer);
    let beams: ReasoningNode[] = [g.root];
    const finished: ReasoningNode[] = [];
    while (beams.length > 0 && finished.length < s.beamWidth) {
      await generate(ctx, beams, { k: s.k, temperature: s.temperature, dedupe: s.dedupe });
      // All live children count, including steps a lookahead already took from these beams.
      const candidates = beams.flatMap((b) => live(b.children));
      if (candidates.length === 0) break;
      await scoreCandidates(ctx, candidates, scorer, s.lookahead, s.prmAggregate);
      const score = (n: ReasoningNode) => n.scores.lookahead ?? estimate(n, scorer);
      const kept = keepTopK(ctx, candidates, score, s.beamWidth - finished.length);
      finished.push(...kept.filter((n) => n.terminal));
      beams = kept.filter((n) => !n.terminal);
      ctx.record('select', kept, undefined, { by: scorer, round: kept[0]?.depth });
    }
    const answered = finished.filter((n) => n.answer !== null);
    const best = rankBy(answered.length > 0 ? answered : finished, (n) => n.scores.lookahead ?? estimate(n, scorer))[0] ?? null;
    return best ? { node: best, answer: best.answer } : bestSoFar(ctx, scorer);
  },
  best(ctx, s) {
    return bestSoFar(ctx, resolveScorer(ctx, s.scorer));
  },
});

async function scoreCandidates(
  ctx: SearchContext,
  candidates: ReasoningNode[],
  scorer: Scorer,
  lookahead: number,
  prmAggregate: 'last' | 'min' | 'prod',
): Promise<void> {
  await evaluate(ctx, candidates, scorer, { prmAggregate });
  if (lookahead === 0) return;
  // Roll every open candidate `lookahead` greedy steps forward, batched, and score where it lands.
  const fronts = candidates.map((c) => c);
  for (let step = 0; step < lookahead; step++) {
    const open = fronts.map((f, i) => [f, i] as const).filter(([f]) => !f.terminal);
    if (open.length === 0) break;
    const kids = await generate(
      ctx,
      open.map(([f]) => f),
      { k: 1, temperature: 0 },
    );
    open.forEach(([, i], j) => {
      const kid = kids[j][0];
      if (kid) {
        kid.meta.lookahead = true;
        fronts[i] = kid;
      }
    });
  }
  const ends = fronts.filter((f, i) => f !== candidates[i]);
  await evaluate(ctx, ends, scorer, { prmAggregate });
  candidates.forEach((c, i) => {
    const f = fronts[i];
    c.scores.lookahead = f === c ? estimate(c, scorer) : f.valid === false ? -1 : estimate(f, scorer);
  });
}
