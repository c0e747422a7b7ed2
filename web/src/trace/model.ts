/**
 * Indexes a trace for drawing: the spanning tree through each node's first parent (extra
 * parents of graph nodes become cross edges), the chosen path, subtree sizes, the default
 * collapse (a readable number of boxes, the chosen path always open), search and replay.
 */
import type { Trace, TraceNode, TraceOperator } from '../api';

export interface TraceIndex {
  trace: Trace;
  byId: Map<string, TraceNode>;
  children: Map<string, string[]>;
  /** Edges to a second or later parent (graphs built by Aggregate). */
  cross: Array<{ from: string; to: string }>;
  path: Set<string>;
  subtree: Map<string, number>;
  /** For each node, the index of the operator that produced it (-1: there from the start). */
  bornAt: Map<string, number>;
}

export function indexTrace(trace: Trace): TraceIndex {
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  const children = new Map<string, string[]>(trace.nodes.map((n) => [n.id, []]));
  const cross: TraceIndex['cross'] = [];
  for (const n of trace.nodes) {
    n.parents.forEach((p, i) => {
      if (i === 0) children.get(p)?.push(n.id);
      else cross.push({ from: p, to: n.id });
    });
  }
  const subtree = new Map<string, number>();
  // Iterative post-order (deep chains must not overflow the stack).
  const order: string[] = [];
  const stack = [trace.root];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    order.push(id);
    for (const c of children.get(id) ?? []) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i];
    subtree.set(id, 1 + (children.get(id) ?? []).reduce((s, c) => s + (subtree.get(c) ?? 0), 0));
  }
  const bornAt = new Map<string, number>();
  trace.operators.forEach((op, i) => {
    for (const p of op.produced ?? []) if (!bornAt.has(p)) bornAt.set(p, i);
  });
  for (const n of trace.nodes) if (!bornAt.has(n.id)) bornAt.set(n.id, -1);
  return { trace, byId, children, cross, path: new Set(trace.final.path), subtree, bornAt };
}

/** Nodes to collapse so that about `budget` boxes show: breadth-first, whole sibling groups, chosen path open. */
export function defaultCollapsed(ix: TraceIndex, budget = 48): Set<string> {
  const collapsed = new Set<string>();
  let shown = 1;
  let frontier = [ix.trace.root];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      const kids = ix.children.get(id) ?? [];
      if (kids.length === 0) continue;
      if (shown + kids.length <= budget || ix.path.has(id)) {
        shown += kids.length;
        next.push(...kids);
      } else collapsed.add(id);
    }
    frontier = next;
  }
  return collapsed;
}

/** The nodes drawn: reachable from the root without entering a collapsed node's children, and born by `upTo` when replaying. */
export function visibleNodes(ix: TraceIndex, collapsed: Set<string>, upTo: number | null): string[] {
  const out: string[] = [];
  const stack = [ix.trace.root];
  while (stack.length) {
    const id = stack.pop()!;
    out.push(id);
    if (upTo === null && collapsed.has(id)) continue;
    const kids = ix.children.get(id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) if (upTo === null || ix.bornAt.get(kids[i])! < upTo) stack.push(kids[i]);
  }
  return out;
}

export function ancestors(ix: TraceIndex, id: string): string[] {
  const out: string[] = [];
  let cur = ix.byId.get(id);
  const guard = new Set<string>();
  while (cur && cur.parents.length > 0 && !guard.has(cur.id)) {
    guard.add(cur.id);
    out.push(cur.parents[0]);
    cur = ix.byId.get(cur.parents[0]);
  }
  return out;
}

export function search(ix: TraceIndex, text: string): string[] {
  const t = text.trim().toLowerCase();
  if (!t) return [];
  return ix.trace.nodes
    .filter((n) => n.id.toLowerCase() === t || n.step.toLowerCase().includes(t) || (n.answer ?? '').toLowerCase().includes(t))
    .map((n) => n.id);
}

export { nodeStatus, STATUS_STYLES, LEGEND_ORDER, PATH_COLOUR, type NodeStatus } from '../../../src/ui/status';

export function describeOp(op: TraceOperator, i: number, total: number): string {
  const detail = op.detail
    ? ' ' +
      Object.entries(op.detail)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' ')
    : '';
  return `${i + 1}/${total} · ${op.op} on ${op.nodes.join(', ') || '—'}${op.produced ? ` → ${op.produced.join(', ')}` : ''}${detail} · ${op.t.toFixed(0)} ms`;
}

export const fmt = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(d);
