/**
 * The demo's HTML report: one self-contained page (inline SVG, no scripts, no network) with an
 * accuracy-vs-tokens plot, training curves, the results table, and explored MCTS trees.
 * Pure functions from data to HTML, so the report is testable without running the demo.
 */
import type { Trace, TraceNode } from '../../reasoning/trace.js';

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
export function svgPlot(series: PlotSeries[], opts: { xLabel: string; yLabel: string; logX?: boolean; yMin?: number; yMax?: number; width?: number; height?: number }): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 360;
  const m = { l: 60, r: 170, t: 16, b: 46 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<p class="empty">no data</p>`;
  const tx = (x: number) => (opts.logX ? Math.log10(Math.max(x, 1e-9)) : x);
  let x0 = Math.min(...all.map((p) => tx(p.x)));
  let x1 = Math.max(...all.map((p) => tx(p.x)));
  if (x1 - x0 < 1e-9) { x0 -= 0.5; x1 += 0.5; }
  const pad = (x1 - x0) * 0.06;
  x0 -= pad; x1 += pad;
  let y0 = opts.yMin ?? Math.min(...all.map((p) => p.lo ?? p.y));
  let y1 = opts.yMax ?? Math.max(...all.map((p) => p.hi ?? p.y));
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const X = (x: number) => m.l + ((tx(x) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#fff" stroke="#999"/>`);
  for (const v of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xticks = opts.logX ? niceTicks(Math.floor(x0), Math.ceil(x1), Math.max(1, Math.ceil(x1) - Math.floor(x0))).filter((e) => e >= x0 && e <= x1).map((e) => 10 ** e) : niceTicks(x0, x1);
  for (const v of xticks) {
    parts.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${X(v)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(opts.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    if (s.line && s.points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${s.points.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of s.points) {
      if (p.lo !== undefined && p.hi !== undefined) {
        parts.push(`<line x1="${X(p.x)}" x2="${X(p.x)}" y1="${Y(p.lo)}" y2="${Y(p.hi)}" stroke="${c}" stroke-width="1.5"/>`);
      }
      if (!s.line || s.points.length <= 1) parts.push(`<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="4" fill="${c}"><title>${escapeHtml(s.name)}: ${fmt(p.x)}, ${fmt(p.y)}</title></circle>`);
    }
    parts.push(`<rect x="${W - m.r + 10}" y="${m.t + 4 + i * 16}" width="10" height="10" fill="${c}"/><text x="${W - m.r + 24}" y="${m.t + 13 + i * 16}">${escapeHtml(s.name.length > 24 ? s.name.slice(0, 23) + '…' : s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Tidy-ish tree layout: leaves spread left to right, parents centred over their children. */
export function svgTree(trace: Trace, opts: { maxNodes?: number } = {}): string {
  const maxNodes = opts.maxNodes ?? 400;
  const children = new Map<string, string[]>();
  for (const n of trace.nodes) {
    // Draw each node under its first parent (graphs: extra parents become dashed edges).
    const p = n.parents[0];
    if (p !== undefined) children.set(p, [...(children.get(p) ?? []), n.id]);
  }
  const onPath = new Set(trace.final.path);
  const pos = new Map<string, { x: number; y: number }>();
  let nextX = 0;
  let count = 0;
  let maxDepth = 0;
  const place = (id: string, depth: number): number => {
    count++;
    maxDepth = Math.max(maxDepth, depth);
    const kids = (children.get(id) ?? []).filter(() => count < maxNodes);
    let x: number;
    if (kids.length === 0) x = nextX++;
    else {
      const xs = kids.map((k) => place(k, depth + 1));
      x = (xs[0] + xs[xs.length - 1]) / 2;
    }
    pos.set(id, { x, y: depth });
    return x;
  };
  place(trace.root, 0);
  const dx = 22;
  const dy = 56;
  const W = Math.max(200, nextX * dx + 40);
  const H = (maxDepth + 1) * dy + 30;
  const P = (id: string) => {
    const p = pos.get(id)!;
    return { x: 20 + p.x * dx, y: 20 + p.y * dy };
  };
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="monospace" font-size="10">`];
  for (const n of trace.nodes) {
    if (!pos.has(n.id)) continue;
    n.parents.forEach((p, i) => {
      if (!pos.has(p)) return;
      const a = P(p);
      const b = P(n.id);
      const strong = onPath.has(n.id) && onPath.has(p);
      parts.push(`<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="${strong ? '#111' : '#bbb'}" stroke-width="${strong ? 2 : 1}"${i > 0 ? ' stroke-dasharray="3 2"' : ''}/>`);
    });
  }
  for (const n of trace.nodes) {
    if (!pos.has(n.id)) continue;
    const { x, y } = P(n.id);
    const r = 4 + Math.min(6, Math.log2(1 + n.visits));
    const fill = nodeColour(n);
    const info = `${n.step || '(root)'} | visits ${n.visits} | q ${n.q === null ? '-' : n.q.toFixed(3)} | value ${n.value === null ? '-' : n.value.toFixed(3)}${n.terminal ? ` | terminal: ${n.answer ?? 'no answer'} ${n.correct === true ? '(correct)' : n.correct === false ? '(wrong)' : ''}` : ''}${n.valid === false ? ' | invalid step' : ''}`;
    parts.push(`<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}" stroke="${onPath.has(n.id) ? '#000' : '#666'}" stroke-width="${onPath.has(n.id) ? 2 : 0.5}"><title>${escapeHtml(info)}</title></circle>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function nodeColour(n: TraceNode): string {
  if (n.terminal && n.correct === true) return '#2ca02c';
  if (n.terminal && n.correct === false) return '#d62728';
  if (n.valid === false) return '#888';
  const v = n.q ?? n.value;
  if (v === null) return '#ddd';
  // Blue (low) to orange (high) through white.
  const t = Math.max(0, Math.min(1, (v + 1) / 2));
  const lerp = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${lerp(70, 255)},${lerp(130, 160)},${lerp(200, 40)})`;
}

/** The chosen path of a trace as readable lines. */
export function pathText(trace: Trace): string {
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  return trace.final.path.map((id) => byId.get(id)?.step ?? '').filter(Boolean).join('\n');
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
    data.strategies.map((s) => ({ name: s.label, line: false, points: [{ x: Math.max(1, s.meanTokens), y: 100 * s.rate, lo: 100 * s.ci95[0], hi: 100 * s.ci95[1] }] })),
    { xLabel: 'mean tokens per puzzle (log scale)', yLabel: 'success rate (%)', logX: true, yMin: 0, yMax: 100 },
  );
  const curves = data.curves
    .map((c) => `<h3>${escapeHtml(c.title)}</h3>${svgPlot(c.series.map((s) => ({ name: s.name, line: true, points: s.points.map(([x, y]) => ({ x, y })) })), { xLabel: c.xLabel, yLabel: c.yLabel })}`)
    .join('\n');
  const trees = data.trees
    .map(
      (t) => `<h3>${escapeHtml(t.title)}</h3>
<p>Problem <code>${escapeHtml(t.trace.problem.question)}</code>: answer <code>${escapeHtml(t.trace.final.answer ?? 'none')}</code> (${t.trace.final.correct === true ? 'correct' : t.trace.final.correct === false ? 'wrong' : 'unchecked'}), ${t.trace.nodes.length} nodes, ${t.trace.usage.completionTokens} generated tokens. Hover a node for its step, visits and values; the chosen path is drawn in black; green/red = correct/wrong terminal, grey = invalid step.</p>
<div class="tree">${svgTree(t.trace)}</div>
<pre>${escapeHtml(pathText(t.trace))}</pre>`,
    )
    .join('\n');
  const extraTables = (data.tables ?? []).map((t) => `<h3>${escapeHtml(t.title)}</h3>${table(t.header, t.rows)}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f4f4f4}
.tree{overflow-x:auto;border:1px solid #eee;padding:4px}pre{background:#f8f8f8;padding:8px}.empty{color:#999}
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
