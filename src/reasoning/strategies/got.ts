/**
 * Graph of Thoughts (Besta et al. 2024): the search is a declarative operation graph — a DAG of
 * operations, each reading the thoughts produced by earlier ones:
 *
 *   generate   k whole solutions from the problem (each a nested chain of steps)
 *   score      evaluate thoughts (value, PRM, ORM, verifier, judge)
 *   keep-best  keep the n best thoughts by a scorer
 *   aggregate  merge thoughts into one with several parents: by answer class (model-free), or
 *              by asking the model to combine them (chat models)
 *   improve    refine thoughts (model critique-and-rewrite, or resample from the weakest step)
 *   validate   drop thoughts that break the task's rules (or fail the verifier, when allowed)
 *
 * Execution batches maximally: operations are run level by level (a level = operations whose
 * inputs are all done), all operations of a level concurrently, and each operation submits all
 * its thoughts in one call, so the policy sees the largest batches the graph allows.
 */
import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import type { SearchContext } from '../context.js';
import { aggregateByAnswer, aggregateWithModel } from '../operators/aggregate.js';
import { evaluate, type Scorer } from '../operators/evaluate.js';
import { keepTopK } from '../operators/prune.js';
import { Lockstep } from '../lockstep.js';
import { refine } from '../operators/refine.js';
import { addSolutionNode, sampleChains } from '../operators/solutions.js';
import { ScorerSetting, bestSoFar, defineStrategy, estimate, resolveScorer } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

const id = z.string().min(1);
const from = z.array(id).min(1);

export const GotOperation = z.discriminatedUnion('op', [
  z.strictObject({ id, op: z.literal('generate'), k: z.number().int().min(1).max(1024).default(8) }),
  z.strictObject({ id, op: z.literal('score'), from, scorer: ScorerSetting.default('auto') }),
  z.strictObject({ id, op: z.literal('keep-best'), from, n: z.number().int().min(1).default(1), scorer: ScorerSetting.default('auto') }),
  z.strictObject({ id, op: z.literal('aggregate'), from, mode: z.enum(['auto', 'answer', 'model']).default('auto') }),
  z.strictObject({
    id,
    op: z.literal('improve'),
    from,
    mode: z.enum(['auto', 'model', 'resample']).default('auto'),
    rounds: z.number().int().min(1).max(16).default(1),
  }),
  z.strictObject({ id, op: z.literal('validate'), from }),
]);
export type GotOperation = z.infer<typeof GotOperation>;

/** Generate 8, score, keep 3, then aggregate and improve them side by side, validate, keep 1. */
export const DEFAULT_GOT_GRAPH: GotOperation[] = [
  { id: 'gen', op: 'generate', k: 8 },
  { id: 'score', op: 'score', from: ['gen'], scorer: 'auto' },
  { id: 'top', op: 'keep-best', from: ['score'], n: 3, scorer: 'auto' },
  { id: 'merge', op: 'aggregate', from: ['top'], mode: 'auto' },
  { id: 'improve', op: 'improve', from: ['top'], mode: 'auto', rounds: 1 },
  { id: 'check', op: 'validate', from: ['merge', 'improve', 'top'] },
  { id: 'final', op: 'keep-best', from: ['check'], n: 1, scorer: 'auto' },
];

export const got = defineStrategy({
  name: 'got',
  summary: 'Graph of Thoughts: a declarative DAG of generate/score/keep-best/aggregate/improve/validate',
  structure: 'graph',
  settings: {
    graph: z.array(GotOperation).min(1).default(DEFAULT_GOT_GRAPH),
    temperature: z.number().min(0).max(5).default(0.8),
  },
  async run(ctx, s) {
    const g = ctx.structure('graph');
    const levels = planLevels(s.graph);
    const out = new Map<string, ReasoningNode[]>();
    // The operations of a level run concurrently; a one-lane lockstep merges the model calls they
    // make at the same time into one call per sampling setting, whatever the policy.
    const lockstep = new Lockstep(ctx.models);
    const lane = lockstep.join();
    const direct = ctx.models;
    ctx.models = lane.models;
    try {
      for (const level of levels) {
        const results = await Promise.all(
          level.map((op) => runOperation(ctx, op, op.op === 'generate' ? [g.root] : inputs(out, op.from), s.temperature)),
        );
        level.forEach((op, i) => out.set(op.id, results[i]));
        ctx.notes.gotLevelsDone = ((ctx.notes.gotLevelsDone as number | undefined) ?? 0) + 1;
      }
    } finally {
      ctx.models = direct;
      lane.leave();
    }
    ctx.notes.gotMergedCalls = lockstep.stats.mergedCalls.generate;
    ctx.notes.gotOperationCalls = lockstep.stats.laneCalls.generate;
    const last = s.graph[s.graph.length - 1];
    const finalScorer = 'scorer' in last ? resolveScorer(ctx, last.scorer) : undefined;
    const final = (out.get(last.id) ?? []).filter((n) => n.answer !== null);
    const best = final.length > 0 ? final.reduce((a, b) => (estimate(b, finalScorer) > estimate(a, finalScorer) ? b : a)) : null;
    return best ? { node: best, answer: best.answer } : bestSoFar(ctx, finalScorer);
  },
  best(ctx) {
    return bestSoFar(ctx);
  },
});

function inputs(out: Map<string, ReasoningNode[]>, ids: readonly string[]): ReasoningNode[] {
  const seen = new Set<ReasoningNode>();
  for (const i of ids) for (const n of out.get(i) ?? []) seen.add(n);
  return [...seen];
}

/** Checks the graph (unique ids, inputs defined earlier: a DAG) and groups it into levels. */
export function planLevels(ops: readonly GotOperation[]): GotOperation[][] {
  const level = new Map<string, number>();
  for (const op of ops) {
    if (level.has(op.id)) throw usageError(`GoT graph: operation id "${op.id}" is used twice`, 'give every operation a unique id');
    let l = 0;
    if (op.op !== 'generate') {
      for (const f of op.from) {
        const lf = level.get(f);
        if (lf === undefined)
          throw usageError(
            `GoT graph: operation "${op.id}" reads "${f}", which is not an earlier operation`,
            'list operations in order; "from" may only name operations above it',
          );
        l = Math.max(l, lf + 1);
      }
    }
    level.set(op.id, l);
  }
  const levels: GotOperation[][] = [];
  for (const op of ops) (levels[level.get(op.id)!] ??= []).push(op);
  return levels.filter((x) => x && x.length > 0);
}

async function runOperation(
  ctx: SearchContext,
  op: GotOperation,
  thoughts: ReasoningNode[],
  temperature: number,
): Promise<ReasoningNode[]> {
  switch (op.op) {
    case 'generate': {
      const root = thoughts[0];
      const chains = await sampleChains(
        ctx,
        Array.from({ length: op.k }, () => [] as string[]),
        temperature,
      );
      const made = chains.map((c) => addSolutionNode(root, c));
      ctx.record('generate', [root], made, { got: op.id, k: op.k, level: 'solution' });
      return made;
    }
    case 'score': {
      await evaluate(ctx, thoughts, resolveScorer(ctx, op.scorer));
      return thoughts;
    }
    case 'keep-best': {
      const scorer: Scorer = resolveScorer(ctx, op.scorer);
      await evaluate(ctx, thoughts, scorer);
      // Thoughts without an answer rank below those with one.
      return keepTopK(ctx, thoughts, (n) => (n.answer === null ? -10 : 0) + estimate(n, scorer), op.n);
    }
    case 'aggregate': {
      const mode = op.mode === 'auto' ? (ctx.env.style === 'chat' ? 'model' : 'answer') : op.mode;
      if (mode === 'answer') return aggregateByAnswer(ctx, thoughts);
      const merged = await aggregateWithModel(ctx, thoughts, temperature, ctx.env.options.stepMaxTokens * ctx.env.options.maxDepth);
      return merged ? [merged] : [];
    }
    case 'improve': {
      const mode = op.mode === 'auto' ? (ctx.env.style === 'chat' ? 'model' : 'resample') : op.mode;
      let current = thoughts;
      for (let r = 0; r < op.rounds; r++) {
        current = await refine(ctx, current, {
          mode,
          temperature,
          maxTokens: ctx.env.options.stepMaxTokens * ctx.env.options.maxDepth,
          stepScorer: null,
        });
      }
      return current;
    }
    case 'validate': {
      const verifierAllowed = !ctx.env.task.verifierNeedsAnswer || ctx.allowGroundTruth;
      if (verifierAllowed) await evaluate(ctx, thoughts, 'verifier');
      const bad = thoughts.filter((n) => n.valid === false || (verifierAllowed && n.terminal && (n.scores.verifier ?? 1) === 0));
      for (const n of bad) n.pruned = true;
      if (bad.length > 0) ctx.record('prune', bad, undefined, { by: 'validate' });
      return thoughts.filter((n) => !n.pruned);
    }
  }
}
