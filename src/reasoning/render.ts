/**
 * ASCII rendering of an explored structure, from its trace (so saved traces render the same way).
 * Trees print as an indented outline; in graphs a node with several parents prints under its first
 * parent and is referenced ("→ n12") under the others. Nodes on the final path are marked "*",
 * correct answers "✓", wrong ones "✗", pruned nodes "✂".
 */
import type { Trace, TraceNode } from './trace.js';

export interface RenderOptions {
  /** Lines printed at most (the rest is summarised). */
  maxLines?: number;
  /** Characters of step text shown per node. */
  stepWidth?: number;
  /** Hide pruned nodes (they are counted instead). */
  hidePruned?: boolean;
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2).replace(/\.?0+$/, '') || '0';
}

function label(n: TraceNode, onPath: boolean, width: number): string {
  const text = n.step.replace(/\s+/g, ' ');
  const step = n.parents.length === 0 ? '(root)' : text.length > width ? `${text.slice(0, width - 1)}…` : text || '(empty)';
  const stats: string[] = [];
  if (n.visits > 0) stats.push(`N=${n.visits}`);
  if (n.q !== null) stats.push(`q=${fmt(n.q)}`);
  if (n.value !== null && n.value !== n.q) stats.push(`v=${fmt(n.value)}`);
  for (const [k, v] of Object.entries(n.scores)) if (k !== 'value') stats.push(`${k}=${fmt(v)}`);
  let mark = '';
  if (n.pruned) mark += ' ✂';
  if (n.valid === false) mark += ' invalid';
  if (n.terminal && n.answer !== null) mark += ` ⇒ ${n.answer}${n.correct === true ? ' ✓' : n.correct === false ? ' ✗' : ''}`;
  else if (n.terminal && !n.pruned) mark += ' ⇒ (no answer)';
  if (n.nested) mark += ` [${(n.nested as Trace).nodes.length - 1} steps]`;
  return `${onPath ? '*' : ' '}${n.id} ${step}${stats.length ? `  [${stats.join(' ')}]` : ''}${mark}`;
}

export function renderTrace(trace: Trace, o: RenderOptions = {}): string {
  const maxLines = o.maxLines ?? 200;
  const width = o.stepWidth ?? 48;
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  const children = new Map<string, TraceNode[]>();
  for (const n of trace.nodes) for (const p of n.parents) (children.get(p) ?? children.set(p, []).get(p)!).push(n);
  const onPath = new Set(trace.final.path);
  const lines: string[] = [];
  let hidden = 0;
  let truncated = 0;
  const printed = new Set<string>();
  const walk = (id: string, prefix: string, last: boolean, isRoot: boolean) => {
    const n = byId.get(id)!;
    if (lines.length >= maxLines) {
      truncated++;
      return;
    }
    const connector = isRoot ? '' : last ? '└─ ' : '├─ ';
    if (printed.has(id)) {
      lines.push(`${prefix}${connector}→ ${id}`);
      return;
    }
    printed.add(id);
    lines.push(`${prefix}${connector}${label(n, onPath.has(id), width)}`);
    let kids = children.get(id) ?? [];
    if (o.hidePruned) {
      hidden += kids.filter((k) => k.pruned).length;
      kids = kids.filter((k) => !k.pruned);
    }
    const childPrefix = isRoot ? '' : prefix + (last ? '   ' : '│  ');
    kids.forEach((k, i) => walk(k.id, childPrefix, i === kids.length - 1, false));
  };
  walk(trace.root, '', true, true);
  if (truncated > 0) lines.push(`… ${trace.nodes.length - printed.size} more node(s) not shown`);
  if (hidden > 0) lines.push(`(${hidden} pruned node(s) hidden)`);
  return lines.join('\n');
}

/** One line per step of the final path (nested solution nodes expand to their steps). */
export function renderFinalPath(trace: Trace): string {
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  const steps: string[] = [];
  for (const id of trace.final.path.slice(1)) {
    const n = byId.get(id)!;
    const meta = n.meta as { steps?: string[] } | undefined;
    if (meta?.steps) steps.splice(0, steps.length, ...meta.steps);
    else steps.push(n.step);
  }
  return steps.map((s, i) => `${i + 1}. ${s}`).join('\n');
}
