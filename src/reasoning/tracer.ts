/**
 * Builds, validates, writes and reads traces (trace.ts defines the schema; docs/design.md the
 * contract). A trace is made from a finished search: every node of the structure, nested chains
 * as nested traces, the operator log, usage and the final answer.
 */
import { inputError } from '../core/errors.js';
import { readText, writeFileAtomic } from '../core/fs.js';
import type { Problem } from '../tasks/types.js';
import type { ReasoningGraph, ReasoningNode } from './structure.js';
import { TRACE_VERSION, TraceSchema, type Trace, type TraceNode, type TraceOperator, type TraceUsage } from './trace.js';

export interface TraceInput {
  task: string;
  problem: Problem;
  strategy: { name: string; settings: Record<string, unknown> };
  models: { policy: string; value?: string; reward?: string };
  graph: ReasoningGraph;
  operators: TraceOperator[];
  usage: TraceUsage;
  usedGroundTruth: boolean;
  checksUsed: string[];
  final: { node: ReasoningNode | null; answer: string | null; correct: boolean | null; stopReason: string };
  notes?: Record<string, unknown>;
}

const finite = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

function numbers(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (Number.isFinite(v)) out[k] = v;
  return out;
}

function traceNode(n: ReasoningNode, input: TraceInput): TraceNode {
  const meta: Record<string, unknown> = { ...n.meta };
  if (n.finishReason) meta.finishReason = n.finishReason;
  if (n.parents.length === 0 && n.steps.length > 0) meta.prefix = [...n.steps];
  if (n.parents.length > 0 && n.steps.length !== n.parents[0].steps.length + 1) meta.steps = [...n.steps];
  const out: TraceNode = {
    id: n.id,
    parents: n.parents.map((p) => p.id),
    step: n.step,
    depth: n.depth,
    visits: n.visits,
    value: finite(n.value),
    q: finite(n.q),
    scores: numbers(n.scores),
    rewards: numbers(n.rewards),
    terminal: n.terminal,
    valid: n.valid,
    answer: n.answer,
    correct: n.correct,
    pruned: n.pruned,
  };
  if (n.tokenIds) out.tokenIds = n.tokenIds;
  if (n.nested) out.nested = nestedTrace(n.nested, input);
  if (Object.keys(meta).length > 0) out.meta = meta;
  return out;
}

function nestedTrace(g: ReasoningGraph, input: TraceInput): Trace {
  const last = g.nodes[g.nodes.length - 1];
  return buildTrace({
    ...input,
    strategy: { name: 'chain', settings: {} },
    graph: g,
    operators: [],
    usage: { promptTokens: 0, completionTokens: 0, calls: 0, evalCalls: 0, wallMs: 0, modelMs: 0, expansions: 0 },
    final: { node: last, answer: last.terminal ? last.answer : null, correct: last.correct, stopReason: 'done' },
    notes: undefined,
  });
}

export function buildTrace(input: TraceInput): Trace {
  const g = input.graph;
  const trace: Trace = {
    version: TRACE_VERSION,
    task: input.task,
    problem: {
      id: input.problem.id,
      question: input.problem.question,
      ...(input.problem.answer !== undefined ? { answer: input.problem.answer } : {}),
      ...(input.problem.data !== undefined ? { data: input.problem.data } : {}),
    },
    strategy: input.strategy,
    models: input.models,
    structure: g.kind,
    root: g.root.id,
    nodes: g.nodes.map((n) => traceNode(n, input)),
    operators: input.operators,
    usage: input.usage,
    usedGroundTruth: input.usedGroundTruth,
    checksUsed: input.checksUsed,
    final: {
      answer: input.final.answer,
      nodeId: input.final.node?.id ?? null,
      path: input.final.node ? g.pathTo(input.final.node).map((n) => n.id) : [],
      correct: input.final.correct,
      stopReason: input.final.stopReason,
    },
    createdAt: new Date().toISOString(),
  };
  if (input.notes && Object.keys(input.notes).length > 0) trace.notes = JSON.parse(JSON.stringify(input.notes));
  return trace;
}

/** Validates a trace (schema plus referential checks: parents, root and final path exist). */
export function validateTrace(value: unknown, source = 'trace'): Trace {
  const r = TraceSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw inputError(
      `${source} is not a valid rlmkit trace: ${first}`,
      'traces are written by `rlmkit solve --trace`; check that the file is one and is complete',
    );
  }
  const t = r.data;
  const ids = new Set(t.nodes.map((n) => n.id));
  const bad = (msg: string) => inputError(`${source} is not a valid rlmkit trace: ${msg}`, 'the file may be truncated or edited by hand');
  if (!ids.has(t.root)) throw bad(`root ${t.root} is not a node`);
  for (const n of t.nodes) for (const p of n.parents) if (!ids.has(p)) throw bad(`node ${n.id} names a missing parent ${p}`);
  for (const id of t.final.path) if (!ids.has(id)) throw bad(`final path names a missing node ${id}`);
  return t;
}

export function writeTrace(file: string, trace: Trace): void {
  validateTrace(trace);
  writeFileAtomic(file, JSON.stringify(trace, null, 2) + '\n');
}

export function readTrace(file: string): Trace {
  const text = readText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw inputError(`${file} is not JSON: ${(e as Error).message}`, 'give a trace file written by `rlmkit solve --trace`');
  }
  return validateTrace(value, file);
}
