/**
 * Refine (blueprint operator): self-critique and rewrite of a whole solution.
 *
 * - `model`: the policy critiques the solution and writes a corrected one (Self-Refine, Madaan et
 *   al. 2023; LLaMA-Berry's SR-MCTS expansion). For chat models.
 * - `resample`: a critique without a prompt, for any model (also character-level ones): find the
 *   weakest step (the first rule-invalid step; else the lowest process-reward or value step when
 *   such a scorer is given; else a random step), keep the steps before it and sample the rest
 *   again. The rewrite is a new nested chain.
 */
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';
import { readSolution } from './aggregate.js';
import { evaluate, type Scorer } from './evaluate.js';
import { addSolutionNode, sampleChains } from './solutions.js';

export type RefineMode = 'model' | 'resample';

export interface RefineSettings {
  mode: RefineMode;
  temperature: number;
  /** Scorer used to locate the weakest step in `resample` mode (optional). */
  stepScorer?: Scorer | null;
  maxTokens: number;
}

/** Refines each node; returns the new nodes (children of the refined ones), in order. */
export async function refine(ctx: SearchContext, nodes: readonly ReasoningNode[], s: RefineSettings): Promise<ReasoningNode[]> {
  if (nodes.length === 0) return [];
  const out = s.mode === 'model' ? await refineWithModel(ctx, nodes, s) : await refineByResampling(ctx, nodes, s);
  out.forEach((n, i) => ctx.record('refine', [nodes[i]], [n], { mode: s.mode }));
  return out;
}

async function refineByResampling(ctx: SearchContext, nodes: readonly ReasoningNode[], s: RefineSettings): Promise<ReasoningNode[]> {
  const cuts = await Promise.all(nodes.map((n) => weakestStep(ctx, n, s.stepScorer ?? null)));
  const sampled = await sampleChains(
    ctx,
    nodes.map((n, i) => n.steps.slice(0, cuts[i])),
    s.temperature,
  );
  return sampled.map((c, i) => {
    const child = addSolutionNode(nodes[i], c);
    child.meta.refinedFrom = cuts[i];
    return child;
  });
}

/** Index of the step to rewrite (0 = rewrite everything). */
async function weakestStep(ctx: SearchContext, node: ReasoningNode, scorer: Scorer | null): Promise<number> {
  const steps = node.steps;
  if (steps.length === 0) return 0;
  const env = ctx.env;
  if (env.task.checkStep) {
    for (let i = 1; i <= steps.length; i++) if (!env.task.checkStep(env.problem, steps.slice(0, i)).valid) return i - 1;
  }
  const chainNodes = node.nested
    ? node.nested
        .pathTo(
          node.nested.nodes.find((n) => n.steps.length === steps.length && n.steps.every((x, i) => x === steps[i])) ?? node.nested.root,
        )
        .slice(1)
    : [];
  if (scorer && chainNodes.length > 0) {
    const scores = await evaluate(ctx, chainNodes, scorer);
    let worst = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] < scores[worst]) worst = i;
    return chainNodes[worst].steps.length - 1;
  }
  return ctx.rng.int(0, steps.length - 1);
}

async function refineWithModel(ctx: SearchContext, nodes: readonly ReasoningNode[], s: RefineSettings): Promise<ReasoningNode[]> {
  const env = ctx.env;
  const requests = nodes.map((n) => {
    const body = `Problem:\n${env.problem.question}\n\nA solution:\n${n.steps.join('\n') || '(empty)'}\n\nFind the mistakes in this solution, then write a corrected complete solution. Put the corrected steps after a line "Corrected:", one per line.`;
    return env.style === 'chat' ? { messages: [{ role: 'user' as const, content: body }] } : { prompt: `${body}\nCorrected:\n` };
  });
  const out = await ctx.generate(requests, { n: 1, temperature: s.temperature, maxTokens: s.maxTokens });
  return nodes.slice(0, out.length).map((n, i) => {
    const text = out[i][0]?.text ?? '';
    const body = /corrected:\s*\n?/i.test(text) ? text.slice(text.search(/corrected:/i)).replace(/^corrected:\s*/i, '') : text;
    const steps = body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    const child = n.owner.addDerived(n, steps.join('\n'), steps);
    readSolution(ctx, child);
    child.meta.critique = text.slice(0, 2000);
    return child;
  });
}
