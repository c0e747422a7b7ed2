/**
 * Runs: every run directory under the runs folder; for the chosen run its phase, live curves
 * (SSE), resolved config, checkpoints, traces and reports; and a second run to compare on the
 * same charts.
 */
import { useEffect, useState } from 'react';
import { getJson, q, type FileEntry, type RunDetail, type RunSummary } from '../api';
import { ErrorBox, Loading } from '../ErrorBox';
import { MetricsPanel } from './MetricsPanel';
import { useMetrics } from './useMetrics';

function useRuns(): { runs: RunSummary[] | null; error: unknown } {
  const [state, setState] = useState<{ runs: RunSummary[] | null; error: unknown }>({ runs: null, error: null });
  useEffect(() => {
    let alive = true;
    const load = () =>
      getJson<{ runs: RunSummary[] }>('api/runs').then(
        (r) => alive && setState({ runs: r.runs, error: null }),
        (error) => alive && setState((s) => ({ ...s, error })),
      );
    void load();
    const t = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  return state;
}

const size = (b: number) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

function Files({ files, link }: { files: FileEntry[]; link?: (f: FileEntry) => string }) {
  if (files.length === 0) return <p className="muted">none</p>;
  return (
    <table className="files">
      <tbody>
        {files.slice(0, 500).map((f) => (
          <tr key={f.path}>
            <td>{link ? <a href={link(f)}>{f.path}</a> : f.path}</td>
            <td className="num">{size(f.bytes)}</td>
            <td className="muted">{new Date(f.modifiedAt).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunPanel({ name, runs }: { name: string; runs: RunSummary[] }) {
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [compare, setCompare] = useState('');
  const [tab, setTab] = useState<'curves' | 'config' | 'checkpoints' | 'traces' | 'files'>('curves');
  const live = useMetrics(name);
  const other = useMetrics(compare || null);
  useEffect(() => {
    setDetail(null);
    setError(null);
  }, [name]);
  // Checkpoints and traces appear while a run goes on: reload the listing on each tab change and every 5 s.
  useEffect(() => {
    let alive = true;
    const load = () =>
      getJson<RunDetail>(`api/runs/${q(name)}`).then(
        (d) => alive && (setDetail(d), setError(null)),
        (e) => alive && setError(e),
      );
    void load();
    const t = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [name, tab]);
  if (error && !detail) return <ErrorBox error={error} title={`Run ${name} could not be opened`} />;
  if (!detail) return <Loading what={`run ${name}`} />;
  const last = [...live.records].reverse().find((r) => typeof r.phase === 'string');
  const tabBtn = (t: typeof tab, label: string) => (
    <button className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
      {label}
    </button>
  );
  return (
    <div className="run-panel">
      <h2>
        {name}{' '}
        <span className={live.live ? 'badge live' : 'badge'} data-testid="live-badge">
          {live.live ? 'live' : (live.error ?? 'connecting')}
        </span>
      </h2>
      <p className="muted">
        phase <b data-testid="run-phase">{(last?.phase as string) ?? detail.phase ?? '—'}</b> · step{' '}
        {String(last?.step ?? detail.step ?? '—')} · {live.records.length} metrics records
        {live.skipped > 0 && <span className="warn"> · {live.skipped} unreadable lines skipped</span>}
      </p>
      <div className="tabs">
        {tabBtn('curves', 'Curves')}
        {tabBtn('config', 'Config')}
        {tabBtn('checkpoints', `Checkpoints (${detail.checkpoints.length})`)}
        {tabBtn('traces', `Traces (${detail.traces.length})`)}
        {tabBtn('files', `Reports (${detail.reports.length + detail.files.length})`)}
      </div>
      {tab === 'curves' && (
        <>
          <div className="row">
            <label>
              compare with{' '}
              <select value={compare} onChange={(e) => setCompare(e.target.value)} data-testid="compare-select">
                <option value="">(none)</option>
                {runs
                  .filter((r) => r.name !== name)
                  .map((r) => (
                    <option key={r.name}>{r.name}</option>
                  ))}
              </select>
            </label>
          </div>
          <MetricsPanel name={name} records={live.records} other={compare ? { name: compare, records: other.records } : null} />
        </>
      )}
      {tab === 'config' &&
        (detail.configText === null ? (
          <p className="muted">This run has no config.yaml.</p>
        ) : (
          <>
            {detail.configError && <ErrorBox error={new Error(detail.configError)} title="config.yaml" />}
            <pre className="config" data-testid="config">
              {detail.configText}
            </pre>
          </>
        ))}
      {tab === 'checkpoints' && <Files files={detail.checkpoints} />}
      {tab === 'traces' && <Files files={detail.traces} link={(f) => `#/trace?run=${q(name)}&path=${q(f.path)}`} />}
      {tab === 'files' && <Files files={[...detail.files, ...detail.reports]} link={(f) => `#/evals?run=${q(name)}&path=${q(f.path)}`} />}
    </div>
  );
}

export function RunsView({ name }: { name: string }) {
  const { runs, error } = useRuns();
  return (
    <div className="split">
      <aside className="sidebar" data-testid="runs-list">
        <h3>Runs</h3>
        {error ? <ErrorBox error={error} /> : null}
        {runs === null && !error && <Loading what="runs" />}
        {runs && runs.length === 0 && <p className="muted">No runs yet. `rlmkit train` and `rlmkit demo` write runs here.</p>}
        <ul>
          {(runs ?? []).map((r) => (
            <li key={r.name} className={r.name === name ? 'active' : ''}>
              <a href={`#/runs/${q(r.name)}`} data-testid={`run-${r.name}`}>
                {r.name}
              </a>
              <div className="muted small">
                {r.phase ?? 'no metrics'}
                {r.step !== null ? ` · step ${r.step}` : ''} · {new Date(r.updatedAt).toLocaleTimeString()}
              </div>
            </li>
          ))}
        </ul>
      </aside>
      <section className="content">
        {name ? <RunPanel name={name} runs={runs ?? []} /> : <p className="muted">Choose a run on the left.</p>}
      </section>
    </div>
  );
}
