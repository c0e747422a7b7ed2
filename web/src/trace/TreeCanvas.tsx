/**
 * Draws a laid-out trace as SVG boxes with d3-zoom for zoom and pan (the transform is applied to
 * the SVG group directly, so panning never re-renders the boxes). Each box shows the step text and
 * q / visits / value without hovering; the chosen path, search hits, the selected node and the
 * replayed operator's nodes are outlined.
 */
import { memo, useEffect, useRef } from 'react';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior } from 'd3-zoom';
import type { TraceNode } from '../api';
import { BOX_H, BOX_W, type Layout } from './layout';
import { fmt, nodeStatus, STATUS_STYLES, type TraceIndex } from './model';

export interface CanvasProps {
  ix: TraceIndex;
  layout: Layout;
  collapsed: Set<string>;
  selected: string | null;
  hits: Set<string>;
  active: Set<string>;
  /** Changes when the view should move: fit everything (null id) or centre a node. */
  focus: { id: string | null; n: number };
  replaying: boolean;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
}

/** The smallest scale a fit uses: box text stays legible (12 px * 0.6). */
const MIN_READABLE = 0.6;

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function label(ix: TraceIndex, n: TraceNode): string {
  if (n.id === ix.trace.root) return n.step ? n.step : `root: ${ix.trace.problem.question}`;
  return n.step || '(empty step)';
}

function numbers(n: TraceNode): string {
  const parts = [`q ${fmt(n.q, 2)}`, `n ${n.visits}`];
  if (n.value !== null) parts.push(`v ${fmt(n.value, 2)}`);
  for (const k of ['prm', 'orm'] as const) if (n.scores[k] !== undefined) parts.push(`${k} ${fmt(n.scores[k], 2)}`);
  return parts.join(' · ');
}

const NodeBox = memo(function NodeBox(p: {
  ix: TraceIndex;
  n: TraceNode;
  x: number;
  y: number;
  kids: number;
  hidden: number;
  classes: string;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
  replaying: boolean;
}) {
  const { n } = p;
  const style = STATUS_STYLES[nodeStatus(n)];
  const badge = style.mark ? `${style.mark} ` : '';
  return (
    <g transform={`translate(${p.x},${p.y})`} className={`node ${p.classes}`} data-node={n.id} onClick={() => p.onSelect(n.id)}>
      <title>{`${n.id}: ${label(p.ix, n)}`}</title>
      <rect width={BOX_W} height={BOX_H} rx={6} fill={style.fill} stroke={style.stroke} strokeDasharray={style.dash || undefined} />
      <text x={8} y={20} className="step">
        {badge + clip(label(p.ix, n), 27)}
      </text>
      <text x={8} y={40} className="nums">
        {clip(numbers(n), 32)}
      </text>
      <text x={8} y={53} className="nid">
        {n.id}
        {n.answer !== null && n.terminal ? ` = ${clip(n.answer, 20)}` : ''}
      </text>
      {p.kids > 0 && !p.replaying && (
        <g
          className="toggle"
          transform={`translate(${BOX_W},${BOX_H / 2})`}
          data-toggle={n.id}
          onClick={(e) => {
            e.stopPropagation();
            p.onToggle(n.id);
          }}
        >
          <circle r={11} />
          <text textAnchor="middle" y={4}>
            {p.hidden > 0 ? `+${p.hidden > 99 ? '99' : p.hidden}` : '−'}
          </text>
        </g>
      )}
    </g>
  );
});

/** The edges change only with the layout, so selecting or searching never re-renders them. */
const Edges = memo(function Edges({ ix, layout }: { ix: TraceIndex; layout: Layout }) {
  return (
    <>
      {layout.edges.map((e) => {
        const a = layout.nodes.get(e.from);
        const b = layout.nodes.get(e.to);
        if (!a || !b) return null;
        const x1 = a.x + BOX_W;
        const y1 = a.y + BOX_H / 2;
        const x2 = b.x;
        const y2 = b.y + BOX_H / 2;
        const mx = (x1 + x2) / 2;
        const onPath = ix.path.has(e.from) && ix.path.has(e.to) && !e.cross;
        return (
          <path
            key={`${e.from}>${e.to}`}
            className={`edge${onPath ? ' on-path' : ''}${e.cross ? ' cross' : ''}`}
            d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}
          />
        );
      })}
    </>
  );
});

export function TreeCanvas(p: CanvasProps) {
  const svg = useRef<SVGSVGElement>(null);
  const group = useRef<SVGGElement>(null);
  const behaviour = useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);
  useEffect(() => {
    if (!svg.current) return;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.05, 3])
      .on('zoom', (e) => group.current?.setAttribute('transform', e.transform.toString()));
    behaviour.current = z;
    select(svg.current).call(z).on('dblclick.zoom', null);
  }, []);
  useEffect(() => {
    const el = svg.current;
    const z = behaviour.current;
    if (!el || !z) return;
    const w = el.clientWidth || 800;
    const h = el.clientHeight || 600;
    const pos = p.focus.id ? p.layout.nodes.get(p.focus.id) : null;
    if (pos) {
      const k = 1;
      select(el).call(z.transform, zoomIdentity.translate(w / 2 - k * (pos.x + BOX_W / 2), h / 2 - k * (pos.y + BOX_H / 2)).scale(k));
    } else {
      // Fit, but never below a scale where the box text stays readable: then show the root's side.
      const fit = Math.min(1, (w - 40) / Math.max(1, p.layout.width), (h - 40) / Math.max(1, p.layout.height));
      const k = Math.max(MIN_READABLE, fit);
      // Too big to fit readably: centre the chosen path (its deepest drawn node), else the root.
      const onPath = p.ix.trace.final.path.map((id) => p.layout.nodes.get(id)).filter((x) => x !== undefined);
      const anchor = onPath.length > 0 ? onPath[onPath.length - 1] : p.layout.nodes.get(p.ix.trace.root);
      const ty = fit >= MIN_READABLE || !anchor ? Math.max(20, (h - k * p.layout.height) / 2) : h / 2 - k * (anchor.y + BOX_H / 2);
      select(el).call(z.transform, zoomIdentity.translate(20, ty).scale(k));
    }
    // Only an explicit focus request moves the view.
  }, [p.focus.n]);
  const { ix, layout } = p;
  return (
    <svg ref={svg} className="tree-canvas" data-testid="tree" data-nodes={layout.nodes.size} data-engine={layout.engine}>
      <g ref={group}>
        <Edges ix={ix} layout={layout} />
        {[...layout.nodes.values()].map((pos) => {
          const n = ix.byId.get(pos.id)!;
          const kids = ix.children.get(n.id)?.length ?? 0;
          const hidden = p.collapsed.has(n.id) ? (ix.subtree.get(n.id) ?? 1) - 1 : 0;
          const classes = [
            nodeStatus(n),
            ix.path.has(n.id) ? 'on-path' : '',
            p.selected === n.id ? 'selected' : '',
            p.hits.has(n.id) ? 'hit' : '',
            p.active.has(n.id) ? 'active' : '',
          ].join(' ');
          return (
            <NodeBox
              key={n.id}
              ix={ix}
              n={n}
              x={pos.x}
              y={pos.y}
              kids={kids}
              hidden={hidden}
              classes={classes}
              onSelect={p.onSelect}
              onToggle={p.onToggle}
              replaying={p.replaying}
            />
          );
        })}
      </g>
    </svg>
  );
}
