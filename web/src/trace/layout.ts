/**
 * Positions for the drawn nodes. Trees (and graphs whose visible part has no second parent) use
 * d3-hierarchy's tidy tree (Reingold-Tilford, linear time, so thousands of boxes lay out fast);
 * DAGs with several parents use dagre's layered layout (Sugiyama), which places a node between
 * all its parents. Depth runs left to right.
 */
import { stratify, tree } from 'd3-hierarchy';
import { Graph, layout as dagreLayout } from '@dagrejs/dagre';
import type { TraceIndex } from './model';

export const BOX_W = 190;
export const BOX_H = 58;
const GAP_X = 70;
const GAP_Y = 14;

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, Placed>;
  edges: Array<{ from: string; to: string; cross: boolean }>;
  width: number;
  height: number;
  engine: 'tidy-tree' | 'dagre';
}

export function layoutTrace(ix: TraceIndex, visible: string[]): Layout {
  const shown = new Set(visible);
  const cross = ix.cross.filter((e) => shown.has(e.from) && shown.has(e.to));
  const edges: Layout['edges'] = [];
  for (const id of visible) {
    const n = ix.byId.get(id)!;
    if (n.parents.length > 0 && shown.has(n.parents[0])) edges.push({ from: n.parents[0], to: id, cross: false });
  }
  for (const e of cross) edges.push({ ...e, cross: true });
  const nodes = cross.length > 0 && visible.length <= 800 ? dagrePositions(visible, edges) : tidyPositions(ix, visible, shown);
  let w = 0;
  let h = 0;
  let minY = Infinity;
  for (const p of nodes.values()) minY = Math.min(minY, p.y);
  for (const p of nodes.values()) {
    p.y -= minY;
    w = Math.max(w, p.x + BOX_W);
    h = Math.max(h, p.y + BOX_H);
  }
  return { nodes, edges, width: w, height: h, engine: cross.length > 0 && visible.length <= 800 ? 'dagre' : 'tidy-tree' };
}

function tidyPositions(ix: TraceIndex, visible: string[], shown: Set<string>): Map<string, Placed> {
  const rows = visible.map((id) => {
    const n = ix.byId.get(id)!;
    return { id, parent: id === ix.trace.root ? null : (n.parents.find((p) => shown.has(p)) ?? null) };
  });
  const root = stratify<{ id: string; parent: string | null }>()
    .id((d) => d.id)
    .parentId((d) => d.parent)(rows);
  const laid = tree<{ id: string; parent: string | null }>().nodeSize([BOX_H + GAP_Y, BOX_W + GAP_X])(root);
  const out = new Map<string, Placed>();
  laid.each((d) => out.set(d.data.id, { id: d.data.id, x: d.y, y: d.x }));
  return out;
}

function dagrePositions(visible: string[], edges: Layout['edges']): Map<string, Placed> {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: GAP_Y, ranksep: GAP_X, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of visible) g.setNode(id, { width: BOX_W, height: BOX_H });
  for (const e of edges) g.setEdge(e.from, e.to);
  dagreLayout(g);
  const out = new Map<string, Placed>();
  for (const id of visible) {
    const n = g.node(id) as { x: number; y: number };
    out.set(id, { id, x: n.x - BOX_W / 2, y: n.y - BOX_H / 2 });
  }
  return out;
}
