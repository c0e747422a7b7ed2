/**
 * The demo's HTML report: one self-contained page (inline SVG, no scripts, no network) with an
 * accuracy-vs-tokens plot, training curves, the results table, and explored MCTS trees.
 * Pure functions from data to HTML, so the report is testable without running the demo.
 */
import type { Trace, TraceNode } from '../../reasoning/trace.js';
import { LEGEND_ORDER, PATH_COLOUR, STATUS_STYLES, nodeStatus } from '../../ui/status.js';

export interface StrategyResult {
  name: string;
  /** Human description incl. settings, e.g. "MCTS (K=32, M=4) + value model". */
  label: string;
  solved: number;
  total: number;
  rate: number;
  ci95: [number, number];
  meanTokens: number;
  meanExpansions: number;
  /** What the search consulted at evaluation time, e.g. ["rule-check"]; never the answer key. */
  checksUsed: string[];
}

export interface Curve {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
}

export interface ReportData {
  title: string;
  subtitle?: string;
  strategies: StrategyResult[];
  curves: Curve[];
  trees: Array<{ title: string; trace: Trace }>;
  notes: string[];
  tables?: Array<{ title: string; header: string[]; rows: Array<Array<string | number>> }>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(10));
  return out;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

interface PlotSeries {
  name: string;
  points: Array<{ x: number; y: number; lo?: number; hi?: number }>;
  line: boolean;
}

/** A small SVG x/y plot with optional log x-axis and vertical error bars. */
export function svgPlot(
  series: PlotSeries[],
  opts: { xLabel: string; yLabel: string; logX?: boolean; yMin?: number; yMax?: number; width?: number; height?: number },
): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 360;
  const m = { l: 60, r: 16, t: 16, b: 46 };
  // The legend goes under the plot, one full-length line per series (never cut off).
  const legendH = series.length * 16 + 6;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<p class="empty">no data</p>`;
  const tx = (x: number) => (opts.logX ? Math.log10(Math.max(x, 1e-9)) : x);
  let x0 = Math.min(...all.map((p) => tx(p.x)));
  let x1 = Math.max(...all.map((p) => tx(p.x)));
  if (x1 - x0 < 1e-9) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  const pad = (x1 - x0) * 0.06;
  x0 -= pad;
  x1 += pad;
  let y0 = opts.yMin ?? Math.min(...all.map((p) => p.lo ?? p.y));
  let y1 = opts.yMax ?? Math.max(...all.map((p) => p.hi ?? p.y));
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const X = (x: number) => m.l + ((tx(x) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + legendH}" viewBox="0 0 ${W} ${H + legendH}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#fff" stroke="#999"/>`);
  for (const v of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  const xticks = opts.logX
    ? niceTicks(Math.floor(x0), Math.ceil(x1), Math.max(1, Math.ceil(x1) - Math.floor(x0)))
        .filter((e) => e >= x0 && e <= x1)
        .map((e) => 10 ** e)
    : niceTicks(x0, x1);
  for (const v of xticks) {
    parts.push(
      `<line x1="${X(v)}" x2="${X(v)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${X(v)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(v)}</text>`,
    );
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(opts.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    if (s.line && s.points.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${s.points.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    for (const p of s.points) {
      if (p.lo !== undefined && p.hi !== undefined) {
        parts.push(`<line x1="${X(p.x)}" x2="${X(p.x)}" y1="${Y(p.lo)}" y2="${Y(p.hi)}" stroke="${c}" stroke-width="1.5"/>`);
      }
      if (!s.line || s.points.length <= 1)
        parts.push(
          `<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="4" fill="${c}"><title>${escapeHtml(s.name)}: ${fmt(p.x)}, ${fmt(p.y)}</title></circle>`,
        );
    }
    parts.push(
      `<rect x="${m.l}" y="${H + 2 + i * 16}" width="10" height="10" fill="${c}"/><text x="${m.l + 16}" y="${H + 11 + i * 16}">${escapeHtml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A readable static tree: labelled boxes (step text, q, visits) with depth running left to right,
 * coloured by the same statuses and legend as the explorer (src/ui/status.ts). Each node shows at
 * most `perParent` children (the chosen path, correct terminals, then the most visited); the rest
 * are summarised in one line per parent, so a tree of hundreds of nodes stays legible without
 * hovering. `rlmkit ui` shows every node.
 */
export function svgTree(trace: Trace, opts: { maxNodes?: number; perParent?: number } = {}): string {
  const maxNodes = opts.maxNodes ?? 120;
  const perParent = opts.perParent ?? 4;
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  const children = new Map<string, TraceNode[]>();
  for (const n of trace.nodes) {
    // Each node sits under its first parent (graphs: extra parents become dashed edges).
    const p = n.parents[0];
    if (p !== undefined) children.set(p, [...(children.get(p) ?? []), n]);
  }
  const onPath = new Set(trace.final.path);
  const rank = (n: TraceNode) => (onPath.has(n.id) ? 0 : nodeStatus(n) === 'correct' ? 1 : 2);
  type Row = { kind: 'node'; node: TraceNode; depth: number } | { kind: 'more'; parent: string; depth: number; text: string };
  const rows: Row[] = [];
  let budget = maxNodes;
  const walk = (n: TraceNode, depth: number) => {
    rows.push({ kind: 'node', node: n, depth });
    budget--;
    const kids = [...(children.get(n.id) ?? [])].sort((a, b) => rank(a) - rank(b) || b.visits - a.visits);
    const keep = kids.filter((k, i) => onPath.has(k.id) || (i < perParent && budget - i > 0));
    for (const k of keep) walk(k, depth + 1);
    const rest = kids.filter((k) => !keep.includes(k));
    if (rest.length > 0) {
      const counts = new Map<string, number>();
      for (const k of rest) counts.set(STATUS_STYLES[nodeStatus(k)].label, (counts.get(STATUS_STYLES[nodeStatus(k)].label) ?? 0) + 1);
      rows.push({
        kind: 'more',
        parent: n.id,
        depth: depth + 1,
        text: `+${rest.length} more: ${[...counts].map(([l, c]) => `${c} ${l}`).join(', ')}`,
      });
    }
  };
  walk(byId.get(trace.root)!, 0);
  const BW = 210;
  const BH = 34;
  const COL = 240;
  const ROW = 40;
  const maxDepth = Math.max(...rows.map((r) => r.depth));
  const W = (maxDepth + 1) * COL + 220;
  const H = rows.length * ROW + 10;
  const at = new Map<string, { x: number; y: number }>();
  rows.forEach((r, i) => {
    if (r.kind === 'node') at.set(r.node.id, { x: 6 + r.depth * COL, y: 5 + i * ROW });
  });
  const clip = (t: string, n: number) => (t.length > n ? t.slice(0, n - 1) + '…' : t);
  const num = (x: number | null) => (x === null ? '–' : x.toFixed(2));
  const elbow = (a: { x: number; y: number }, x: number, y: number) => `M${a.x + BW},${a.y + BH / 2} H${x - 14} V${y + BH / 2} H${x}`;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  for (const r of rows) {
    if (r.kind === 'more') continue;
    r.node.parents.forEach((p, i) => {
      const a = at.get(p);
      const b = at.get(r.node.id);
      if (!a || !b) return;
      const strong = i === 0 && onPath.has(p) && onPath.has(r.node.id);
      parts.push(
        `<path d="${elbow(a, b.x, b.y)}" fill="none" stroke="${strong ? PATH_COLOUR : '#94a3b8'}" stroke-width="${strong ? 3 : 1}"${i > 0 ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
    });
  }
  rows.forEach((r, i) => {
    const y = 5 + i * ROW;
    const x = 6 + r.depth * COL;
    if (r.kind === 'more') {
      parts.push(`<path d="${elbow(at.get(r.parent)!, x, y)}" fill="none" stroke="#cbd5e1" stroke-dasharray="2 3"/>`);
      parts.push(`<text x="${x}" y="${y + BH / 2 + 4}" fill="#64748b">${escapeHtml(clip(r.text, 64))}</text>`);
      return;
    }
    const n = r.node;
    const st = STATUS_STYLES[nodeStatus(n)];
    const path = onPath.has(n.id);
    const label = n.id === trace.root ? `root: ${trace.problem.question}` : n.step || '(empty step)';
    const nums = `q ${num(n.q)} · n ${n.visits}${n.value !== null ? ` · v ${num(n.value)}` : ''}${n.terminal && n.answer !== null ? ` · = ${n.answer}` : ''}`;
    parts.push(
      `<g><title>${escapeHtml(`${n.id}: ${label}`)}</title><rect x="${x}" y="${y}" width="${BW}" height="${BH}" rx="5" fill="${st.fill}" stroke="${path ? PATH_COLOUR : st.stroke}" stroke-width="${path ? 3 : 1}"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>` +
        `<text x="${x + 6}" y="${y + 14}" font-family="monospace">${escapeHtml(clip(`${st.mark ? st.mark + ' ' : ''}${label}`, 30))}</text>` +
        `<text x="${x + 6}" y="${y + 28}" fill="#334155" font-size="10" font-family="monospace">${escapeHtml(clip(nums, 34))}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The legend of svgTree, as HTML (it wraps on narrow pages, so no label is cut off). */
export function treeLegend(): string {
  const item = (fill: string, stroke: string, dash: boolean, width: number, label: string) =>
    `<span class="lg"><span class="sw" style="background:${fill};border:${width}px ${dash ? 'dashed' : 'solid'} ${stroke}"></span>${escapeHtml(label)}</span>`;
  return `<div class="legend">${LEGEND_ORDER.map((s) => item(STATUS_STYLES[s].fill, STATUS_STYLES[s].stroke, STATUS_STYLES[s].dash !== '', 1, `${STATUS_STYLES[s].mark} ${STATUS_STYLES[s].label}`.trim())).join('')}${item('#fff', PATH_COLOUR, false, 3, 'chosen path')}</div>`;
}

/** The chosen path of a trace as readable lines. */
export function pathText(trace: Trace): string {
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  return trace.final.path
    .map((id) => byId.get(id)?.step ?? '')
    .filter(Boolean)
    .join('\n');
}

/** The chosen path, or why there is none (a failed search may end without choosing a path). */
function pathSection(trace: Trace): string {
  const text = pathText(trace);
  if (text) return `<p>Chosen path${trace.final.correct === false ? ' (its answer is wrong)' : ''}:</p><pre>${escapeHtml(text)}</pre>`;
  const terminals = trace.nodes.filter((n) => n.terminal);
  const correct = terminals.filter((n) => n.correct === true).length;
  return `<p class="nopath">No chosen path: the search stopped (${escapeHtml(trace.final.stopReason)}) without picking an answer. It reached ${terminals.length} terminal node${terminals.length === 1 ? '' : 's'}, ${correct} of them correct; the tree above shows what it explored.</p>`;
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderReport(data: ReportData): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const strategyRows = data.strategies.map((s) => [
    s.label,
    `${s.solved}/${s.total}`,
    pct(s.rate),
    `[${pct(s.ci95[0])}, ${pct(s.ci95[1])}]`,
    Math.round(s.meanTokens),
    s.meanExpansions.toFixed(1),
    s.checksUsed.join(', ') || 'none',
  ]);
  const accPlot = svgPlot(
    data.strategies.map((s) => ({
      name: s.label,
      line: false,
      points: [{ x: Math.max(1, s.meanTokens), y: 100 * s.rate, lo: 100 * s.ci95[0], hi: 100 * s.ci95[1] }],
    })),
    { xLabel: 'mean tokens per puzzle (log scale)', yLabel: 'success rate (%)', logX: true, yMin: 0, yMax: 100 },
  );
  const curves = data.curves
    .map(
      (c) =>
        `<h3>${escapeHtml(c.title)}</h3>${svgPlot(
          c.series.map((s) => ({ name: s.name, line: true, points: s.points.map(([x, y]) => ({ x, y })) })),
          { xLabel: c.xLabel, yLabel: c.yLabel },
        )}`,
    )
    .join('\n');
  const trees = data.trees
    .map(
      (t) => `<h3>${escapeHtml(t.title)}</h3>
<p>Problem <code>${escapeHtml(t.trace.problem.question)}</code>: answer <code>${escapeHtml(t.trace.final.answer ?? 'none')}</code> (${t.trace.final.correct === true ? 'correct' : t.trace.final.correct === false ? 'wrong' : 'unchecked'}), ${t.trace.nodes.length} nodes, ${t.trace.usage.completionTokens} generated tokens. Each box shows its step, q (backed-up value) and n (visits); the chosen path has an orange border. Explore every node, zoom, search and replay the search with <code>rlmkit ui</code> (Runs, then the run's Traces).</p>
${treeLegend()}
<div class="tree">${svgTree(t.trace)}</div>
${pathSection(t.trace)}`,
    )
    .join('\n');
  const extraTables = (data.tables ?? []).map((t) => `<h3>${escapeHtml(t.title)}</h3>${table(t.header, t.rows)}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f4f4f4}
.tree{overflow:auto;max-height:900px;border:1px solid #eee;padding:4px}pre{background:#f8f8f8;padding:8px}.empty,.nopath{color:#666}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;margin:6px 0}.lg{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}.sw{display:inline-block;width:14px;height:14px;border-radius:3px;box-sizing:border-box}
</style></head><body>
<h1>${escapeHtml(data.title)}</h1>
${data.subtitle ? `<p>${escapeHtml(data.subtitle)}</p>` : ''}
<h2>Results</h2>
${table(['strategy', 'solved', 'success', '95% CI (Wilson)', 'tokens / puzzle', 'expansions / puzzle', 'checks used at evaluation'], strategyRows)}
${extraTables}
<h2>Accuracy vs tokens</h2>
${accPlot}
<h2>Training curves</h2>
${curves || '<p class="empty">no training in this run</p>'}
<h2>Explored MCTS trees</h2>
${trees || '<p class="empty">no trees recorded</p>'}
<h2>Notes</h2>
<ul>${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
</body></html>
`;
}
