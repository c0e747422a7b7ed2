/**
 * LLaMA-Berry (Zhang et al. 2024): search over whole solutions rather than steps.
 *
 * - Self-Refine MCTS (SR-MCTS): every tree node is a complete solution (holding its chain of steps:
 *   a nested structure); expanding a node means refining its solution (critique and rewrite), so
 *   children are improved versions of their parent. Selection is UCT over the solution tree.
 * - Pairwise Preference Reward Model (PPRM): solutions are compared two at a time,
 *   P(a ≻ b). With a chat model the policy judges (ordering both ways to cancel position bias);
 *   otherwise P comes from a pointwise evaluator through a Bradley–Terry link,
 *   P(a ≻ b) = σ((u(a) − u(b)) / τ).
 * - Enhanced Borda Count (EBC): the preferences form a directed win graph; its transitive closure
 *   ranks every solution by how many others it beats, which gives a global quality in [0, 1]
 *   (mapped to q in [-1, 1]) without comparing every pair.
 *
 * The answer is the solution with the highest global quality.
 */
import { z } from 'zod';
import type { SearchContext } from '../context.js';
import { evaluate, Scorers, unitScore, type Scorer } from '../operators/evaluate.js';
import { backupMean } from '../operators/backpropagate.js';
import { refine } from '../operators/refine.js';
import { selectUct } from '../operators/select.js';
import { addSolutionNode, sampleChains } from '../operators/solutions.js';
import { defineStrategy, resolveScorer, type StrategyResult } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const llamaBerry = defineStrategy({
  name: 'llama-berry',
  summary: 'LLaMA-Berry: SR-MCTS over whole solutions, refined, ranked by pairwise preferences (EBC)',
  structure: 'nested',
  settings: {
    /** Solutions sampled before the tree search. */
    initial: z.number().int().min(1).max(256).default(4),
    /** Refinement rollouts. */
    rollouts: z.number().int().min(0).max(10000).default(8),
    /** Children a solution may get before UCT must descend past it. */
    maxChildren: z.number().int().min(1).max(64).default(3),
    c: z.number().min(0).default(1.4),
    temperature: z.number().min(0).max(5).default(0.8),
    refine: z.enum(['auto', 'model', 'resample']).default('auto'),
    /** Preference source: judge (the policy compares two solutions) or a pointwise evaluator. */
    preference: z.enum(['auto', 'judge', ...Scorers]).default('auto'),
    /** Bradley–Terry temperature τ for pointwise preferences. */
    tau: z.number().positive().default(0.1),
    /** Opponents each new solution is compared with (the current best ones). */
    comparisons: z.number().int().min(1).max(64).default(3),
  },
  async run(ctx, s) {
    const g = ctx.structure('nested');
    const prefs = new Preferences();
    const source = resolvePreference(ctx, s.preference);
    const initial = (
      await sampleChains(
        ctx,
        Array.from({ length: s.initial }, () => [] as string[]),
        s.temperature,
      )
    ).map((c) => addSolutionNode(g.root, c));
    ctx.record('generate', [g.root], initial, { level: 'solution', k: s.initial });
    await compare(ctx, prefs, pairsAmong(initial), source, s.tau);
    rank(ctx, prefs);
    for (const n of initial) backupMean([g.root, n], quality(n));
    const mode = s.refine === 'auto' ? (ctx.env.style === 'chat' ? 'model' : 'resample') : s.refine;
    for (let r = 0; r < s.rollouts && ctx.meter.ok(); r++) {
      // Select a solution to refine by UCT, descending through solutions that have enough children.
      const path: ReasoningNode[] = [g.root];
      let node = selectUct(g.root.children, g.root.visits, s.c)!;
      path.push(node);
      while (node.children.length >= s.maxChildren) {
        node = selectUct(node.children, node.visits, s.c)!;
        path.push(node);
      }
      ctx.record('select', [node], undefined, { by: 'uct' });
      const [child] = await refine(ctx, [node], {
        mode,
        temperature: s.temperature,
        maxTokens: ctx.env.options.stepMaxTokens * ctx.env.options.maxDepth,
        stepScorer: null,
      });
      // Compare the new solution with its parent and the current leaders.
      const leaders = solutions(ctx)
        .filter((n) => n !== child && n !== node)
        .sort((a, b) => quality(b) - quality(a))
        .slice(0, s.comparisons - 1);
      await compare(
        ctx,
        prefs,
        [node, ...leaders].map((o) => [child, o] as [ReasoningNode, ReasoningNode]),
        source,
        s.tau,
      );
      rank(ctx, prefs);
      backupMean([...path, child], quality(child));
      ctx.record('backpropagate', [...path, child], undefined, { rollout: r + 1 });
    }
    return bestSolution(ctx);
  },
  best(ctx) {
    return bestSolution(ctx);
  },
});

type PreferenceSource = { kind: 'judge' } | { kind: 'scorer'; scorer: Scorer };

function resolvePreference(ctx: SearchContext, p: string): PreferenceSource {
  if (p === 'judge') return { kind: 'judge' };
  if (p !== 'auto') return { kind: 'scorer', scorer: p as Scorer };
  if (ctx.env.style === 'chat' && !ctx.models.reward && !ctx.models.value) return { kind: 'judge' };
  return { kind: 'scorer', scorer: resolveScorer(ctx, 'auto') };
}

/** Global quality on [-1, 1]. */
function quality(n: ReasoningNode): number {
  return 2 * (n.scores.preference ?? 0.5) - 1;
}

function solutions(ctx: SearchContext): ReasoningNode[] {
  return ctx.graph.nodes.filter((n) => n !== ctx.graph.root);
}

function pairsAmong(nodes: readonly ReasoningNode[]): [ReasoningNode, ReasoningNode][] {
  const out: [ReasoningNode, ReasoningNode][] = [];
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) out.push([nodes[i], nodes[j]]);
  return out;
}

/** Observed pairwise preferences: P(a ≻ b) by node id pair. */
export class Preferences {
  readonly p = new Map<string, number>();
  set(a: ReasoningNode, b: ReasoningNode, pab: number): void {
    this.p.set(`${a.id}>${b.id}`, pab);
    this.p.set(`${b.id}>${a.id}`, 1 - pab);
  }
  get(a: ReasoningNode, b: ReasoningNode): number | undefined {
    return this.p.get(`${a.id}>${b.id}`);
  }
}

async function compare(
  ctx: SearchContext,
  prefs: Preferences,
  pairs: [ReasoningNode, ReasoningNode][],
  source: PreferenceSource,
  tau: number,
): Promise<void> {
  if (pairs.length === 0) return;
  if (source.kind === 'scorer') {
    const nodes = [...new Set(pairs.flat())];
    await evaluate(ctx, nodes, source.scorer);
    for (const [a, b] of pairs) {
      const ua = a.answer === null ? -1 : (unitScore(a, source.scorer) ?? 0);
      const ub = b.answer === null ? -1 : (unitScore(b, source.scorer) ?? 0);
      prefs.set(a, b, 1 / (1 + Math.exp(-(ua - ub) / tau)));
    }
  } else {
    // Both orders in one batched call; the average cancels the judge's position bias.
    const env = ctx.env;
    const ask = (x: ReasoningNode, y: ReasoningNode) => {
      const body = `Problem:\n${env.problem.question}\n\nSolution A:\n${x.steps.join('\n')}\n\nSolution B:\n${y.steps.join('\n')}\n\nWhich solution is more likely correct? Answer with the single letter A or B.`;
      return env.style === 'chat' ? { messages: [{ role: 'user' as const, content: body }] } : { prompt: `${body}\nAnswer:` };
    };
    const requests = pairs.flatMap(([a, b]) => [ask(a, b), ask(b, a)]);
    const out = await ctx.generate(requests, { n: 1, temperature: 0, maxTokens: 4 });
    pairs.forEach(([a, b], i) => {
      const first = verdict(out[2 * i]?.[0]?.text);
      const second = verdict(out[2 * i + 1]?.[0]?.text);
      prefs.set(a, b, ((first === 'A' ? 1 : first === 'B' ? 0 : 0.5) + (second === 'B' ? 1 : second === 'A' ? 0 : 0.5)) / 2);
    });
  }
  ctx.record('evaluate', [...new Set(pairs.flat())], undefined, {
    scorer: source.kind === 'judge' ? 'pairwise-judge' : `pairwise-${source.scorer}`,
    pairs: pairs.length,
  });
}

function verdict(text: string | undefined): 'A' | 'B' | null {
  const m = /\b([AB])\b/.exec((text ?? '').toUpperCase());
  return m ? (m[1] as 'A' | 'B') : null;
}

/**
 * Enhanced Borda Count: a beats b when P(a ≻ b) > 0.5 was observed; the transitive closure of
 * "beats" (Warshall) fills unobserved pairs; quality = share of other solutions beaten.
 * Sets scores.preference (quality in [0, 1]) on every solution; the tree's q backs up 2·quality − 1.
 */
export function rank(ctx: SearchContext, prefs: Preferences): void {
  const nodes = solutions(ctx);
  const n = nodes.length;
  const beats: boolean[][] = nodes.map((a) => nodes.map((b) => a !== b && (prefs.get(a, b) ?? 0.5) > 0.5));
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) if (beats[i][k]) for (let j = 0; j < n; j++) if (beats[k][j] && i !== j) beats[i][j] = true;
  nodes.forEach((node, i) => {
    // A pair that beats each other through a cycle cancels out.
    let wins = 0;
    for (let j = 0; j < n; j++) if (beats[i][j] && !beats[j][i]) wins++;
    const quality = n > 1 ? wins / (n - 1) : 0.5;
    node.scores.preference = quality;
  });
}

function bestSolution(ctx: SearchContext): StrategyResult {
  const answered = solutions(ctx).filter((n) => n.answer !== null && n.valid !== false);
  if (answered.length === 0) return { node: null, answer: null };
  const best = answered.reduce((a, b) => ((b.scores.preference ?? 0) > (a.scores.preference ?? 0) ? b : a));
  return { node: best, answer: best.answer };
}
