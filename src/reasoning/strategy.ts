/**
 * What a strategy is: a name, zod-validated settings with documented defaults, the structure it
 * builds, and a `run` over a SearchContext. A strategy only sees the context (environment,
 * metered models, operators), never a backend or a task's internals.
 */
import { z } from 'zod';
import type { SearchContext } from './context.js';
import { Scorers, type Scorer, unitScore } from './operators/evaluate.js';
import type { ReasoningNode, StructureKind } from './structure.js';

/** Settings every strategy accepts: how the environment cuts steps and checks them. */
export const CommonSettings = z.strictObject({
  /** Steps after which a solution is cut off. */
  maxDepth: z.number().int().positive().default(12),
  /** Tokens allowed for one step. */
  stepMaxTokens: z.number().int().positive().default(64),
  /** Drop rule-invalid steps (task.checkStep) during the search; reported as "rule-check". */
  ruleCheck: z.boolean().default(true),
});

export const ScorerSetting = z.enum(['auto', ...Scorers]);
export type ScorerSetting = z.infer<typeof ScorerSetting>;

export interface StrategyResult {
  /** The node holding the answer (terminal), or the best partial node; null when nothing was found. */
  node: ReasoningNode | null;
  answer: string | null;
}

export interface Strategy<S = any> {
  readonly name: string;
  readonly summary: string;
  readonly structure: StructureKind;
  /** Settings with defaults; `CommonSettings` fields are included. */
  readonly settings: z.ZodType<S>;
  run(ctx: SearchContext, settings: S): Promise<StrategyResult>;
  /** Best answer found so far, when the budget ends the search early (anytime). */
  best?(ctx: SearchContext, settings: S): StrategyResult;
}

export function defineStrategy<Shape extends z.ZodRawShape>(s: {
  name: string;
  summary: string;
  structure: StructureKind;
  settings: Shape;
  run(ctx: SearchContext, settings: z.infer<z.ZodObject<Shape>> & z.infer<typeof CommonSettings>): Promise<StrategyResult>;
  best?(ctx: SearchContext, settings: z.infer<z.ZodObject<Shape>> & z.infer<typeof CommonSettings>): StrategyResult;
}): Strategy<z.infer<z.ZodObject<Shape>> & z.infer<typeof CommonSettings>> {
  const schema = CommonSettings.extend(s.settings);
  return { name: s.name, summary: s.summary, structure: s.structure, settings: schema as any, run: s.run, best: s.best };
}

/**
 * Resolves `auto` to the best evaluator available: a process reward model, else an outcome reward
 * model, else a value model, else the verifier when the task's verifier needs no answer (or ground
 * truth is allowed), else the policy as a judge.
 */
export function resolveScorer(ctx: SearchContext, s: ScorerSetting): Scorer {
  if (s !== 'auto') return s;
  if (ctx.models.prm) return 'prm';
  if (ctx.models.reward) return 'orm';
  if (ctx.models.value) return 'value';
  if (!ctx.env.task.verifierNeedsAnswer || ctx.allowGroundTruth) return 'verifier';
  return 'judge';
}

/** A node's best known estimate on [-1, 1]: q, else value, else any unit score; -Infinity when unknown. */
export function estimate(n: ReasoningNode, scorer?: Scorer): number {
  if (scorer) {
    const u = unitScore(n, scorer);
    if (u !== null) return u;
  }
  if (n.q !== null) return n.q;
  if (n.value !== null) return n.value;
  for (const k of Scorers) {
    const u = unitScore(n, k);
    if (u !== null) return u;
  }
  return -Infinity;
}

/**
 * The default anytime answer: the best-estimated terminal node with an answer (rule-valid when
 * known); else the best-estimated live node without one.
 */
export function bestSoFar(ctx: SearchContext, scorer?: Scorer): StrategyResult {
  const nodes = ctx.graph.nodes;
  const answered = nodes.filter((n) => n.terminal && n.answer !== null && n.valid !== false && !n.pruned);
  const pool = answered.length > 0 ? answered : nodes.filter((n) => !n.pruned && n !== ctx.graph.root);
  if (pool.length === 0) return { node: null, answer: null };
  let best = pool[0];
  for (const n of pool) if (estimate(n, scorer) > estimate(best, scorer)) best = n;
  return { node: best, answer: best.terminal ? best.answer : null };
}
