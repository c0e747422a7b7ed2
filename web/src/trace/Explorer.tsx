/**
 * The trace explorer for one trace: tree/DAG with zoom, pan, collapse and search, node details,
 * the chosen path, a step-by-step replay of the operator sequence, and the Journey-learning
 * linearisation. Nested structures open on a stack.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Trace, TraceNode } from '../api';
import { layoutTrace } from './layout';
import {
  LEGEND_ORDER,
  PATH_COLOUR,
  STATUS_STYLES,
  ancestors,
  defaultCollapsed,
  describeOp,
  indexTrace,
  search,
  visibleNodes,
} from './model';
import { NodeDetails } from './NodeDetails';
import { TreeCanvas } from './TreeCanvas';
import { PathPanel, JourneyPanel, InfoPanel } from './Panels';

export function Explorer({ trace, live = false, onRendered }: { trace: Trace; live?: boolean; onRendered?: (ms: number) => void }) {
  const [stack, setStack] = useState<Array<{ trace: Trace; from: string }>>([]);
  const current = stack.length ? stack[stack.length - 1].trace : trace;
  const started = useRef(performance.now());
  const ix = useMemo(() => indexTrace(current), [current]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => defaultCollapsed(ix));
  const collapsedFor = useRef(ix.trace.root + ix.trace.problem.id);
  const [selected, setSelected] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [hitAt, setHitAt] = useState(-1);
  const [replay, setReplay] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [focus, setFocus] = useState<{ id: string | null; n: number }>({ id: null, n: 0 });
  const [tab, setTab] = useState<'tree' | 'path' | 'journey' | 'info'>('tree');
  const [renderMs, setRenderMs] = useState<number | null>(null);

  // A different trace (not a live snapshot of the same search) starts from the overview.
  const key = ix.trace.root + ix.trace.problem.id + stack.length;
  if (collapsedFor.current !== key && !live) {
    collapsedFor.current = key;
    setCollapsed(defaultCollapsed(ix));
    setSelected(null);
    setReplay(null);
    setFocus((f) => ({ id: null, n: f.n + 1 }));
  }

  // While a playground search runs, keep the drawing to an overview until the user opens or closes something.
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (live && !touched) setCollapsed(defaultCollapsed(ix, 150));
  }, [ix, live, touched]);

  const hits = useMemo(() => search(ix, query), [ix, query]);
  const hitSet = useMemo(() => new Set(hits), [hits]);
  const visible = useMemo(() => visibleNodes(ix, collapsed, replay), [ix, collapsed, replay]);
  const layout = useMemo(() => layoutTrace(ix, visible), [ix, visible]);
  const ops = ix.trace.operators;
  const active = useMemo(() => {
    if (replay === null || replay === 0) return new Set<string>();
    const op = ops[replay - 1];
    return new Set([...op.nodes, ...(op.produced ?? [])]);
  }, [replay, ops]);

  useEffect(() => {
    if (renderMs !== null) return;
    requestAnimationFrame(() => {
      const ms = performance.now() - started.current;
      setRenderMs(ms);
      onRendered?.(ms);
    });
  }, [renderMs, onRendered]);

  // The camera follows the replay: the operator's first node in the middle, or the whole tree at the ends.
  useEffect(() => {
    if (replay === null) return;
    const op = replay > 0 && replay < ops.length ? ops[replay - 1] : null;
    setFocus((f) => ({ id: op ? (op.produced?.[0] ?? op.nodes[0] ?? null) : null, n: f.n + 1 }));
  }, [replay, ops]);

  useEffect(() => {
    if (!playing) return;
    const t = setInterval(() => {
      setReplay((r) => {
        const next = (r ?? 0) + 1;
        if (next >= ops.length) setPlaying(false);
        return Math.min(next, ops.length);
      });
    }, 350);
    return () => clearInterval(t);
  }, [playing, ops.length]);

  // The layout changes when a subtree opens or closes; keep the toggled node in the middle of the view.
  const onToggle = useCallback((id: string) => {
    setTouched(true);
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
    setFocus((f) => ({ id, n: f.n + 1 }));
  }, []);
  const reveal = (id: string) => {
    setTouched(true);
    setCollapsed((c) => {
      const next = new Set(c);
      for (const a of ancestors(ix, id)) next.delete(a);
      return next;
    });
    setSelected(id);
    setFocus((f) => ({ id, n: f.n + 1 }));
  };
  const onSelect = useCallback((id: string) => setSelected(id), []);
  const openNested = (n: TraceNode) => setStack((s) => [...s, { trace: n.nested as Trace, from: n.id }]);

  const stepHit = (d: number) => {
    if (hits.length === 0) return;
    const i = (hitAt + d + hits.length) % hits.length;
    setHitAt(i);
    reveal(hits[i]);
  };

  return (
    <div className="explorer" data-testid="explorer" data-render-ms={renderMs === null ? '' : renderMs.toFixed(0)}>
      {stack.length > 0 && (
        <div className="row nested-bar">
          <button onClick={() => setStack((s) => s.slice(0, -1))} data-testid="close-nested">
            ← back
          </button>
          <span>
            nested {current.structure} of node {stack[stack.length - 1].from}
          </span>
        </div>
      )}
      <div className="tabs">
        {(['tree', 'path', 'journey', 'info'] as const).map((t) => (
          <button key={t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)} data-testid={`trace-tab-${t}`}>
            {
              {
                tree: `${current.structure === 'graph' ? 'Graph' : current.structure === 'chain' ? 'Chain' : 'Tree'} (${current.nodes.length} nodes)`,
                path: 'Chosen path',
                journey: 'Journey',
                info: 'Problem & usage',
              }[t]
            }
          </button>
        ))}
        {renderMs !== null && <span className="muted small">first render {renderMs.toFixed(0)} ms</span>}
      </div>
      {tab === 'path' && <PathPanel ix={ix} onPick={(id) => (setTab('tree'), reveal(id))} />}
      {tab === 'journey' && <JourneyPanel trace={current} />}
      {tab === 'info' && <InfoPanel trace={current} />}
      {tab === 'tree' && (
        <>
          <div className="row toolbar">
            <input
              placeholder="search step text, answer or node id"
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                setHitAt(-1);
              }}
              onKeyDown={(e) => e.key === 'Enter' && stepHit(e.shiftKey ? -1 : 1)}
              data-testid="search"
            />
            <span className="muted small" data-testid="search-count">
              {query ? `${hits.length} match${hits.length === 1 ? '' : 'es'}` : ''}
            </span>
            {hits.length > 0 && (
              <>
                <button onClick={() => stepHit(-1)}>◀</button>
                <button onClick={() => stepHit(1)} data-testid="search-next">
                  ▶
                </button>
              </>
            )}
            <button onClick={() => (setTouched(true), setCollapsed(new Set()))} data-testid="expand-all">
              expand all
            </button>
            <button onClick={() => setCollapsed(defaultCollapsed(ix))}>overview</button>
            <button onClick={() => setFocus((f) => ({ id: null, n: f.n + 1 }))} data-testid="fit">
              fit
            </button>
            <span className="sep" />
            <button
              onClick={() => (setReplay(replay === null ? 0 : null), setPlaying(false))}
              data-testid="replay-toggle"
              disabled={ops.length === 0}
            >
              {replay === null ? 'replay search' : 'end replay'}
            </button>
            {replay !== null && (
              <>
                <button onClick={() => setReplay(0)} title="back to the start">
                  « start
                </button>
                <button onClick={() => setReplay(Math.max(0, replay - 1))} data-testid="replay-back">
                  ◀
                </button>
                <button onClick={() => setPlaying(!playing)} data-testid="replay-play">
                  {playing ? '❚❚' : '▶ play'}
                </button>
                <button onClick={() => setReplay(Math.min(ops.length, replay + 1))} data-testid="replay-step">
                  ▶
                </button>
                <button onClick={() => setReplay(ops.length)} title="jump to the end">
                  end »
                </button>
                <input
                  type="range"
                  min={0}
                  max={ops.length}
                  value={replay}
                  onChange={(e) => setReplay(Number(e.target.value))}
                  data-testid="replay-slider"
                />
              </>
            )}
          </div>
          {replay !== null && (
            <div className="replay-caption" data-testid="replay-caption">
              {replay === 0
                ? `start: the root only (${ops.length} operator applications to replay)`
                : describeOp(ops[replay - 1], replay - 1, ops.length)}
              <span className="muted"> · {visible.length} nodes so far</span>
            </div>
          )}
          <div className="legend">
            {LEGEND_ORDER.map((st) => (
              <span key={st} className="legend-item">
                <span
                  className="swatch"
                  style={{
                    background: STATUS_STYLES[st].fill,
                    borderColor: STATUS_STYLES[st].stroke,
                    borderStyle: STATUS_STYLES[st].dash ? 'dashed' : 'solid',
                  }}
                />
                {STATUS_STYLES[st].mark} {STATUS_STYLES[st].label}
              </span>
            ))}
            <span className="legend-item">
              <span className="swatch" style={{ borderColor: PATH_COLOUR, borderWidth: 3 }} />
              chosen path
            </span>
            <span className="muted small">
              {visible.length}/{current.nodes.length} shown · {layout.engine} · click a box for details, its ± to collapse
            </span>
          </div>
          <div className="explorer-body">
            <TreeCanvas
              ix={ix}
              layout={layout}
              collapsed={collapsed}
              selected={selected}
              hits={hitSet}
              active={active}
              focus={focus}
              replaying={replay !== null}
              onSelect={onSelect}
              onToggle={onToggle}
            />
            {selected && ix.byId.has(selected) && (replay === null || visible.includes(selected)) && (
              <aside className="side">
                <button className="close" onClick={() => setSelected(null)}>
                  ×
                </button>
                <NodeDetails ix={ix} id={selected} onSelect={reveal} onOpenNested={openNested} />
              </aside>
            )}
          </div>
        </>
      )}
    </div>
  );
}
