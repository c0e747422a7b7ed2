/**
 * Tree of Thoughts, depth-first (Yao et al. 2023, Alg. 2): propose k thoughts for the current
 * state, order them by value (or keep the proposal order without an evaluator), descend into the
 * best one whose value reaches the threshold, and backtrack when a state has no acceptable
 * thought left. The search stops at the first accepted solution.
 *
 * With `scorer: none` and the legal-uniform policy this is CALIBRATION.md's model-free DFS
 * baseline ("DFS-8 with validity check"): duplicates and rule-invalid steps dropped, depth first.
 *
 * A finished solution is accepted when: `verifier` — the task's verifier says it is correct
 * (allowed only when the verifier needs no reference answer, or ground truth is allowed);
 * `threshold` — its estimate reaches `acceptThreshold`; `any` — it has an answer. `auto` picks
 * `verifier` when allowed, else `any`.
 */
import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import type { SearchContext } from '../context.js';
import { backtrack } from '../operators/backtrack.js';
import { evaluate, type Scorer, Scorers } from '../operators/evaluate.js';
import { generate, live } from '../operators/generate.js';
import { pruneBelow, rankBy } from '../operators/prune.js';
import { bestSoFar, defineStrategy, estimate, resolveScorer, type StrategyResult } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const totDfs = defineStrategy({
  name: 'tot-dfs',
  summary: 'Tree of Thoughts DFS with backtracking and value-threshold pruning',
  structure: 'tree',
  settings: {
    k: z.number().int().min(1).max(256).default(8),
    temperature: z.number().min(0).max(5).default(1),
    /** Evaluator ordering the thoughts; none = proposal order. */
    scorer: z.enum(['auto', 'none', ...Scorers]).default('auto'),
    threshold: z.number().min(-1).max(1).default(-1),
    accept: z.enum(['auto', 'verifier', 'threshold', 'any']).default('auto'),
    acceptThreshold: z.number().min(-1).max(1).default(0.5),
    dedupe: z.boolean().default(true),
  },
  async run(ctx, s) {
    const g = ctx.structure('tree');
    const scorer: Scorer | null = s.scorer === 'none' ? null : resolveScorer(ctx, s.scorer);
    const accept = resolveAccept(ctx, s.accept);
    if (accept === 'verifier') ctx.checksUsed.add(ctx.env.task.verifierNeedsAnswer ? 'ground-truth-verifier' : 'rule-verifier');
    const found = await dfs(ctx, g.root, { ...s, scorer, accept });
    if (found) return { node: found, answer: found.answer };
    return notRejected(ctx, scorer);
  },
  best(ctx, s) {
    return notRejected(ctx, s.scorer === 'none' ? null : resolveScorer(ctx, s.scorer));
  },
});

type Accept = 'verifier' | 'threshold' | 'any';

/** The best answer so far, never one the verifier already rejected (no answer rather than a known-wrong one). */
function notRejected(ctx: SearchContext, scorer: Scorer | null): StrategyResult {
  const r = bestSoFar(ctx, scorer ?? undefined);
  return r.node && r.node.scores.verifier === 0 ? { node: null, answer: null } : r;
}

function resolveAccept(ctx: SearchContext, a: 'auto' | Accept): Accept {
  const verifierAllowed = !ctx.env.task.verifierNeedsAnswer || ctx.allowGroundTruth;
  if (a === 'auto') return verifierAllowed ? 'verifier' : 'any';
  if (a === 'verifier' && !verifierAllowed) {
    throw usageError(
      `accept=verifier needs the reference answer of task ${ctx.env.task.name}`,
      'use accept=threshold or accept=any for evaluation, or --allow-ground-truth for data generation',
    );
  }
  return a;
}

interface DfsSettings {
  k: number;
  temperature: number;
  threshold: number;
  acceptThreshold: number;
  dedupe: boolean;
  scorer: Scorer | null;
  accept: Accept;
}

async function accepted(ctx: SearchContext, n: ReasoningNode, s: DfsSettings): Promise<boolean> {
  if (n.answer === null || n.valid === false) return false;
  if (s.accept === 'any') return true;
  if (s.accept === 'threshold') return estimate(n, s.scorer ?? undefined) >= s.acceptThreshold;
  const v = await ctx.env.task.verify(n.answer, ctx.env.problem);
  n.scores.verifier = v.score;
  return v.correct;
}

/** Iterative DFS with an explicit stack of (node, remaining ordered children). */
async function dfs(ctx: SearchContext, root: ReasoningNode, s: DfsSettings): Promise<ReasoningNode | null> {
  const stack: { node: ReasoningNode; todo: ReasoningNode[] }[] = [];
  let node = root;
  for (;;) {
    if (node.terminal) {
      if (await accepted(ctx, node, s)) return node;
    } else if (!node.expanded) {
      let kids = live((await generate(ctx, [node], { k: s.k, temperature: s.temperature, dedupe: s.dedupe }))[0]);
      if (s.scorer) {
        await evaluate(ctx, kids, s.scorer);
        kids = rankBy(
          pruneBelow(ctx, kids, (n) => estimate(n, s.scorer!), s.threshold),
          (n) => estimate(n, s.scorer!),
        );
      }
      stack.push({ node, todo: kids });
    }
    // Descend into the next untried child of the deepest state that still has one.
    let next: ReasoningNode | undefined;
    while (stack.length > 0 && !next) {
      const top = stack[stack.length - 1];
      next = top.todo.shift();
      if (!next) stack.pop();
    }
    if (!next) return null;
    if (next.parents[0] !== node && node !== root)
      backtrack(ctx, node, next.parents[0], node.terminal ? 'solution not accepted' : 'dead end');
    ctx.record('select', [next], undefined, { by: s.scorer ?? 'order' });
    node = next;
  }
}
