/**
 * Trace -> dataset conversions. Every record carries the problem (id, question, answer, data) so a
 * trainer can render it with the task's own prompt format, plus `source` (trace file, strategy,
 * node) for debugging. Supervision kinds follow the blueprint (Besta et al. 2025):
 *   sft    outcome-supervised chains: the steps of every correct root-to-terminal path
 *   pairs  preference pairs: a correct vs an incorrect solution of the same problem, and, inside a
 *          tree, a step whose subtree reaches a correct answer vs a sibling step whose subtree does
 *          not (the step-level pairs of search-mined DPO)
 *   pbs    process-based supervision: one label per step, derived from MCTS (its backed-up q and
 *          whether its subtree reaches a correct answer: the blueprint's outcome-driven PRM labels)
 *   tbs    trace-based supervision: the sequence of operators applied (select and backtrack included)
 */
import type { Trace, TraceNode } from '../reasoning/trace.js';
import { type LoadedTrace, TraceTree } from './traces.js';

export interface ProblemRecord {
  id: string;
  question: string;
  answer?: string;
  data?: unknown;
}

export interface SourceRef {
  trace: string;
  strategy: string;
  node?: string;
}

export interface SftRecord {
  kind: 'sft';
  task: string;
  problem: ProblemRecord;
  /** The steps of the solution, in order (the x1 step protocol). */
  steps: string[];
  answer: string | null;
  /** TRL-style text fields: the question and the steps joined by newlines. */
  prompt: string;
  completion: string;
  source: SourceRef;
}

export interface PairRecord {
  kind: 'pair';
  level: 'solution' | 'step';
  task: string;
  problem: ProblemRecord;
  /** Steps shared by both sides (empty for solution-level pairs). */
  prefix: string[];
  chosen: string[];
  rejected: string[];
  /** TRL DPO text fields. */
  prompt: string;
  chosen_text: string;
  rejected_text: string;
  source: SourceRef & { rejected_node?: string };
}

export interface StepLabelRecord {
  kind: 'step_label';
  task: string;
  problem: ProblemRecord;
  /** Steps from the root up to and including the labelled one. */
  steps: string[];
  /** 1 when the step's subtree reaches a correct answer, 0 when it does not. */
  label: 0 | 1;
  /** Backed-up q in [-1, 1] when the search computed one (MCTS), else null. */
  q: number | null;
  value: number | null;
  visits: number;
  terminal: boolean;
  valid: boolean | null;
  source: SourceRef;
}

export interface OperatorRecord {
  kind: 'operator_trace';
  task: string;
  problem: ProblemRecord;
  strategy: string;
  /** One entry per operator, with the step text of every node it touched. */
  operators: { op: string; nodes: string[]; produced: string[]; steps: string[]; detail?: Record<string, unknown> }[];
  /** One line per operator: `SELECT n3 "4+8=12 (4 6 12)"` etc. */
  text: string;
  final: { answer: string | null; correct: boolean | null; path: string[] };
  source: SourceRef;
}

function problemOf(t: Trace): ProblemRecord {
  const p: ProblemRecord = { id: t.problem.id, question: t.problem.question };
  if (t.problem.answer !== undefined) p.answer = t.problem.answer;
  if (t.problem.data !== undefined) p.data = t.problem.data;
  return p;
}

const joinSteps = (steps: readonly string[]) => steps.join('\n');

/** Correct root-to-terminal paths, deduplicated per problem by their step text. */
export function toSftChains(traces: readonly LoadedTrace[], options: { maxPerProblem?: number } = {}): SftRecord[] {
  const out: SftRecord[] = [];
  const seen = new Map<string, Set<string>>();
  for (const { file, trace } of traces) {
    const tree = new TraceTree(trace);
    const key = `${trace.task}\u0000${trace.problem.id}`;
    const have = seen.get(key) ?? new Set<string>();
    seen.set(key, have);
    for (const leaf of tree.terminals()) {
      if (leaf.correct !== true) continue;
      const steps = tree.steps(leaf.id);
      const text = joinSteps(steps);
      if (steps.length === 0 || have.has(text)) continue;
      if (options.maxPerProblem !== undefined && have.size >= options.maxPerProblem) break;
      have.add(text);
      out.push({
        kind: 'sft',
        task: trace.task,
        problem: problemOf(trace),
        steps,
        answer: leaf.answer,
        prompt: trace.problem.question,
        completion: text,
        source: { trace: file, strategy: trace.strategy.name, node: leaf.id },
      });
    }
  }
  return out;
}

/**
 * Preference pairs. Solution level: for each problem, correct and incorrect terminal paths (from
 * all its traces) are paired in order, up to `maxPerProblem`. Step level: at every tree node,
 * a child whose subtree reaches a correct answer is paired with a sibling whose subtree does not.
 */
export function toPreferencePairs(traces: readonly LoadedTrace[], options: { levels?: ('solution' | 'step')[]; maxPerProblem?: number } = {}): PairRecord[] {
  const levels = options.levels ?? ['solution', 'step'];
  const max = options.maxPerProblem ?? 8;
  const out: PairRecord[] = [];
  type Sol = { steps: string[]; file: string; trace: Trace; node: string };
  const byProblem = new Map<string, { good: Sol[]; bad: Sol[] }>();
  for (const { file, trace } of traces) {
    const tree = new TraceTree(trace);
    if (levels.includes('solution')) {
      const key = `${trace.task}\u0000${trace.problem.id}`;
      const entry = byProblem.get(key) ?? { good: [], bad: [] };
      byProblem.set(key, entry);
      for (const leaf of tree.terminals()) {
        if (leaf.correct === null) continue;
        const steps = tree.steps(leaf.id);
        if (steps.length === 0) continue;
        (leaf.correct ? entry.good : entry.bad).push({ steps, file, trace, node: leaf.id });
      }
    }
    if (levels.includes('step')) {
      let n = 0;
      for (const parent of trace.nodes) {
        const kids = tree.children.get(parent.id) ?? [];
        const good = kids.filter((k) => tree.reachesCorrect(k.id) === true);
        const bad = kids.filter((k) => tree.reachesCorrect(k.id) === false);
        for (let i = 0; i < Math.min(good.length, bad.length) && n < max; i++, n++) {
          const prefix = tree.steps(parent.id);
          out.push(pairRecord('step', trace, prefix, [good[i].step], [bad[i].step], { trace: file, strategy: trace.strategy.name, node: good[i].id, rejected_node: bad[i].id }));
        }
      }
    }
  }
  for (const { good, bad } of byProblem.values()) {
    const uniq = (xs: Sol[]) => xs.filter((s, i) => xs.findIndex((o) => joinSteps(o.steps) === joinSteps(s.steps)) === i);
    const g = uniq(good);
    const b = uniq(bad);
    for (let i = 0; i < Math.min(g.length, b.length, max); i++) {
      out.push(pairRecord('solution', g[i].trace, [], g[i].steps, b[i].steps, { trace: g[i].file, strategy: g[i].trace.strategy.name, node: g[i].node, rejected_node: b[i].node }));
    }
  }
  return out;
}

function pairRecord(level: 'solution' | 'step', trace: Trace, prefix: string[], chosen: string[], rejected: string[], source: PairRecord['source']): PairRecord {
  const prompt = prefix.length ? `${trace.problem.question}\n${joinSteps(prefix)}` : trace.problem.question;
  return { kind: 'pair', level, task: trace.task, problem: problemOf(trace), prefix, chosen, rejected, prompt, chosen_text: joinSteps(chosen), rejected_text: joinSteps(rejected), source };
}

/**
 * MCTS-derived step labels: every non-root node whose subtree outcome is known gets label 1 when it
 * reaches a correct answer and 0 when it does not, with its backed-up q and visit count so that a
 * value/Q model can regress q and a PRM can classify the label. Nodes with fewer than `minVisits`
 * visits are skipped (their q carries little signal).
 */
export function toStepLabels(traces: readonly LoadedTrace[], options: { minVisits?: number } = {}): StepLabelRecord[] {
  const minVisits = options.minVisits ?? 0;
  const out: StepLabelRecord[] = [];
  for (const { file, trace } of traces) {
    const tree = new TraceTree(trace);
    for (const node of trace.nodes) {
      if (node.id === trace.root || node.parents.length === 0) continue;
      if (node.visits < minVisits) continue;
      const reaches = tree.reachesCorrect(node.id);
      if (reaches === null) continue;
      out.push({
        kind: 'step_label',
        task: trace.task,
        problem: problemOf(trace),
        steps: tree.steps(node.id),
        label: reaches ? 1 : 0,
        q: node.q,
        value: node.value,
        visits: node.visits,
        terminal: node.terminal,
        valid: node.valid,
        source: { trace: file, strategy: trace.strategy.name, node: node.id },
      });
    }
  }
  return out;
}

function operatorLine(op: string, nodes: string[], produced: string[], byId: Map<string, TraceNode>, detail?: Record<string, unknown>): string {
  const show = (id: string) => {
    const s = byId.get(id)?.step;
    return s ? `${id} ${JSON.stringify(s)}` : id;
  };
  let line = `${op.toUpperCase()} ${nodes.map(show).join(', ')}`;
  if (produced.length) line += ` -> ${produced.map(show).join(', ')}`;
  if (detail && Object.keys(detail).length) line += ` ${JSON.stringify(detail)}`;
  return line;
}

/** Trace-based supervision: the operator sequence of each trace, structured and as text. */
export function toOperatorTraces(traces: readonly LoadedTrace[]): OperatorRecord[] {
  return traces.map(({ file, trace }) => {
    const tree = new TraceTree(trace);
    const operators = trace.operators.map((o) => ({
      op: o.op,
      nodes: o.nodes,
      produced: o.produced ?? [],
      steps: [...o.nodes, ...(o.produced ?? [])].map((id) => tree.byId.get(id)?.step ?? ''),
      ...(o.detail ? { detail: o.detail } : {}),
    }));
    return {
      kind: 'operator_trace' as const,
      task: trace.task,
      problem: problemOf(trace),
      strategy: trace.strategy.name,
      operators,
      text: operators.map((o) => operatorLine(o.op, o.nodes, o.produced, tree.byId, o.detail)).join('\n'),
      final: { answer: trace.final.answer, correct: trace.final.correct, path: trace.final.path },
      source: { trace: file, strategy: trace.strategy.name },
    };
  });
}
