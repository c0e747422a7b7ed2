/**
 * Turns metrics.jsonl records into chart series: numeric fields (nested objects flattened as
 * `a.b`) per phase, x = step (or the record's index when a phase logs no step).
 */
import type { MetricRecord } from '../api';

const SKIP = new Set(['step', 'phase', 'time']);
/** Charts people look at first, in this order; the rest follow alphabetically. */
const ORDER = [
  /reward/i,
  /acc|correct|solved/i,
  /^kl|\.kl|_kl/i,
  /entropy/i,
  /clip/i,
  /loss/i,
  /len/i,
  /tok.*s|per_?s/i,
  /ms$|time|secs?$/i,
];

export function flatten(r: MetricRecord, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [k, v] of Object.entries(r)) {
    if (!prefix && SKIP.has(k)) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v) && prefix.split('.').length < 2) flatten(v as MetricRecord, key, out);
  }
  return out;
}

export function phaseOf(r: MetricRecord): string {
  return typeof r.phase === 'string' ? r.phase : '(no phase)';
}

export function phases(records: MetricRecord[]): string[] {
  const seen: string[] = [];
  for (const r of records) if (!seen.includes(phaseOf(r))) seen.push(phaseOf(r));
  return seen;
}

export interface Series {
  x: number[];
  values: Record<string, (number | null)[]>;
}

export function seriesFor(records: MetricRecord[], phase: string): Series {
  const rows = records.filter((r) => phaseOf(r) === phase);
  const flat = rows.map((r) => flatten(r));
  const keys = new Set(flat.flatMap((f) => Object.keys(f)));
  const x = rows.map((r, i) => (typeof r.step === 'number' ? r.step : i));
  const values: Record<string, (number | null)[]> = {};
  for (const k of keys) values[k] = flat.map((f) => (k in f ? f[k] : null));
  return { x, values };
}

export function orderKeys(keys: string[]): string[] {
  const rank = (k: string) => {
    const i = ORDER.findIndex((re) => re.test(k));
    return i < 0 ? ORDER.length : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Merges two series on the union of their x values (for one chart comparing two runs). */
export function align(a: Series, b: Series | null, key: string): { x: number[]; ys: (number | null)[][] } {
  if (!b) return sortXY(a.x, [a.values[key] ?? a.x.map(() => null)]);
  const xs = [...new Set([...a.x, ...b.x])].sort((p, q) => p - q);
  const pick = (s: Series) => {
    const m = new Map<number, number | null>();
    s.x.forEach((x, i) => m.set(x, s.values[key]?.[i] ?? null));
    return xs.map((x) => m.get(x) ?? null);
  };
  return { x: xs, ys: [pick(a), pick(b)] };
}

function sortXY(x: number[], ys: (number | null)[][]): { x: number[]; ys: (number | null)[][] } {
  const idx = x.map((_, i) => i).sort((p, q) => x[p] - x[q]);
  return { x: idx.map((i) => x[i]), ys: ys.map((y) => idx.map((i) => y[i])) };
}
