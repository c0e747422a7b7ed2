/** Small multiples of a run's metrics for one phase, optionally with a second run on each chart. */
import { useMemo, useState } from 'react';
import type { MetricRecord } from '../api';
import { Chart } from './Chart';
import { align, orderKeys, phases, seriesFor } from './metrics';

export function MetricsPanel({
  name,
  records,
  other,
}: {
  name: string;
  records: MetricRecord[];
  other: { name: string; records: MetricRecord[] } | null;
}) {
  const all = useMemo(() => phases(records), [records]);
  const [chosen, setChosen] = useState<string | null>(null);
  const phase = chosen && all.includes(chosen) ? chosen : (all[all.length - 1] ?? null);
  const a = useMemo(() => (phase ? seriesFor(records, phase) : null), [records, phase]);
  const b = useMemo(() => (phase && other ? seriesFor(other.records, phase) : null), [other, phase]);
  if (records.length === 0)
    return (
      <p className="muted" data-testid="no-metrics">
        No metrics yet: the curves appear as soon as the run writes metrics.jsonl.
      </p>
    );
  if (!phase || !a) return null;
  const keys = orderKeys([...new Set([...Object.keys(a.values), ...(b ? Object.keys(b.values) : [])])]);
  return (
    <div>
      <div className="row">
        <label>
          phase{' '}
          <select value={phase} onChange={(e) => setChosen(e.target.value)} data-testid="phase-select">
            {all.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <span className="muted">
          {a.x.length} records in this phase{b ? ` · ${other!.name}: ${b.x.length}` : ''}
        </span>
      </div>
      <div className="charts">
        {keys.map((k) => {
          const d = align(a, b, k);
          return <Chart key={k} title={k} x={d.x} ys={d.ys} labels={b ? [name, other!.name] : [name]} />;
        })}
      </div>
    </div>
  );
}
