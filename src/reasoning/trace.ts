/**
 * The trace contract (docs/design.md): one JSON document per solve with the problem, the strategy and
 * its settings, every node, the operator sequence, usage and the final answer. Traces are the
 * single source for visualisation, dataset export (src/data) and debugging, so the schema is
 * validated on read and on write.
 */
import { z } from 'zod';

export const TRACE_VERSION = 1;

export const OperatorNames = [
  'generate',
  'refine',
  'aggregate',
  'prune',
  'restructure',
  'select',
  'backtrack',
  'evaluate',
  'backpropagate',
] as const;
export type OperatorName = (typeof OperatorNames)[number];

export const TraceNodeSchema = z.strictObject({
  id: z.string(),
  /** Several parents only in graphs (Aggregate). The root has none. */
  parents: z.array(z.string()),
  /** The step text this node added (empty for the root). */
  step: z.string(),
  tokenIds: z.array(z.number().int()).optional(),
  depth: z.number().int().nonnegative(),
  visits: z.number().int().nonnegative(),
  /** Value estimate V or backed-up q in [-1, 1]; null when never evaluated. */
  value: z.number().nullable(),
  q: z.number().nullable(),
  /** Named scores from evaluators: e.g. { value: 0.3, prm: 0.8, orm: 0.1, judge: 0.5, verifier: 1 }. */
  scores: z.record(z.string(), z.number()),
  /** Rewards received at this node (e.g. shaped process rewards). */
  rewards: z.record(z.string(), z.number()),
  terminal: z.boolean(),
  /** Rule validity of the step (task.checkStep) when known. */
  valid: z.boolean().nullable(),
  answer: z.string().nullable(),
  /** Correctness of the answer at a terminal node, checked after the search (never used by it in evaluation). */
  correct: z.boolean().nullable(),
  pruned: z.boolean(),
  /** A nested structure held by this node (e.g. a chain inside a tree node). */
  nested: z.lazy((): z.ZodType => TraceSchema).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type TraceNode = z.infer<typeof TraceNodeSchema>;

export const TraceOperatorSchema = z.strictObject({
  op: z.enum(OperatorNames),
  /** Nodes the operator acted on. */
  nodes: z.array(z.string()),
  /** Nodes it created (generate, refine, aggregate, restructure). */
  produced: z.array(z.string()).optional(),
  /** Milliseconds since the solve started. */
  t: z.number().nonnegative(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type TraceOperator = z.infer<typeof TraceOperatorSchema>;

export const UsageSchema = z.strictObject({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  /** Policy calls (one per request, counting each of n completions once per request). */
  calls: z.number().int().nonnegative(),
  /** Value / reward model calls. */
  evalCalls: z.number().int().nonnegative(),
  wallMs: z.number().nonnegative(),
  /** Time spent waiting on models (for framework-overhead measurements). */
  modelMs: z.number().nonnegative(),
  /** Number of Generate expansions (nodes expanded). */
  expansions: z.number().int().nonnegative(),
});
export type TraceUsage = z.infer<typeof UsageSchema>;

export const TraceSchema = z.strictObject({
  version: z.literal(TRACE_VERSION),
  task: z.string(),
  problem: z.strictObject({
    id: z.string(),
    question: z.string(),
    answer: z.string().optional(),
    data: z.unknown().optional(),
  }),
  strategy: z.strictObject({ name: z.string(), settings: z.record(z.string(), z.unknown()) }),
  models: z.strictObject({ policy: z.string(), value: z.string().optional(), reward: z.string().optional() }),
  structure: z.enum(['chain', 'tree', 'graph', 'nested']),
  root: z.string(),
  nodes: z.array(TraceNodeSchema),
  operators: z.array(TraceOperatorSchema),
  usage: UsageSchema,
  /** Whether the search itself consulted the reference answer (allowed in training only). */
  usedGroundTruth: z.boolean(),
  /** Which checks the search used (e.g. ["rule-check"] for Game of 24). */
  checksUsed: z.array(z.string()),
  final: z.strictObject({
    answer: z.string().nullable(),
    nodeId: z.string().nullable(),
    /** The chosen path from the root, as node ids. */
    path: z.array(z.string()),
    correct: z.boolean().nullable(),
    /** Why the search stopped: 'done', 'budget:tokens', 'budget:calls', 'budget:time', ... */
    stopReason: z.string(),
  }),
  createdAt: z.string(),
  /** Strategy-specific facts (vote table, Journey-Learning linearisation, ...); optional. */
  notes: z.record(z.string(), z.unknown()).optional(),
});
export type Trace = z.infer<typeof TraceSchema>;
