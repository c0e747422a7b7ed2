/**
 * Evaluations: `rlmkit eval` reports (and other JSON reports in runs) as tables with 95% CIs and
 * accuracy-vs-tokens plots; a second report side by side with the paired comparison computed by
 * the server (src/eval/stats.ts pairedDifference).
 */
import { useEffect, useState } from 'react';
import { getJson, q, type RunDetail, type RunSummary } from '../api';
import { ErrorBox, Loading } from '../ErrorBox';
import { Chart } from '../runview/Chart';

interface MetricRow {
  metric: string;
  k: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}
interface EvalReport {
  task: string;
  strategy: string;
  model: string;
  problems: number;
  samplesPerProblem: number;
  ks: number[];
  metrics: MetricRow[];
  tokensPerProblem: { total: { mean: number } };
  comparison?: Comparison & { baselineModel: string };
}
interface Comparison {
  problems: number;
  baseline: number;
  current: number;
  difference: { mean: number; lo: number; hi: number };
  better: number;
  worse: number;
  same: number;
}
interface Ref {
  run: string;
  path: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function isEvalReport(v: any): v is EvalReport {
  return (
    v &&
    Array.isArray(v.metrics) &&
    v.metrics.every((m: any) => typeof m?.metric === 'string' && typeof m?.k === 'number' && typeof m?.mean === 'number') &&
    typeof v.samplesPerProblem === 'number' &&
    v.tokensPerProblem?.total
  );
}

function useReport(ref: Ref | null) {
  const [state, setState] = useState<{ value: unknown; error: unknown }>({ value: null, error: null });
  useEffect(() => {
    setState({ value: null, error: null });
    if (!ref) return;
    getJson<{ value: unknown }>(`api/runs/${q(ref.run)}/json?path=${q(ref.path)}`).then(
      (r) => setState({ value: r.value, error: null }),
      (error) => setState({ value: null, error }),
    );
  }, [ref?.run, ref?.path]);
  return state;
}

function tokensAt(r: EvalReport, k: number) {
  return (k * r.tokensPerProblem.total.mean) / r.samplesPerProblem;
}

function ReportView({ label, value }: { label: string; value: unknown }) {
  if (!isEvalReport(value)) {
    return (
      <div className="report">
        <h3>{label}</h3>
        <p className="muted">Not an `rlmkit eval` report; its JSON:</p>
        <pre className="config">{JSON.stringify(value, null, 2).slice(0, 200_000)}</pre>
      </div>
    );
  }
  const r = value;
  const names = [...new Set(r.metrics.map((m) => m.metric))];
  const x = r.ks.map((k) => tokensAt(r, k));
  const ys = names.flatMap((n) => [r.ks.map((k) => r.metrics.find((m) => m.metric === n && m.k === k)?.mean ?? null)]);
  const pass = (f: 'lo' | 'hi') => r.ks.map((k) => r.metrics.find((m) => m.metric === 'pass' && m.k === k)?.[f] ?? null);
  return (
    <div className="report" data-testid="eval-report">
      <h3>{label}</h3>
      <p className="muted">
        {r.task} · {r.strategy} · {r.model} · {r.problems} problems × {r.samplesPerProblem} samples ·{' '}
        {r.tokensPerProblem.total.mean.toFixed(0)} tokens per problem
      </p>
      <table className="metrics">
        <thead>
          <tr>
            <th>metric</th>
            <th>k</th>
            <th>accuracy</th>
            <th>95% CI</th>
            <th>tokens / problem</th>
          </tr>
        </thead>
        <tbody>
          {r.metrics.map((m) => (
            <tr key={`${m.metric}@${m.k}`}>
              <td>{m.metric}</td>
              <td className="num">{m.k}</td>
              <td className="num">{pct(m.mean)}</td>
              <td className="num">
                [{pct(m.lo)}, {pct(m.hi)}]
              </td>
              <td className="num">{tokensAt(r, m.k).toFixed(0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.ks.length > 0 && (
        <Chart
          title="accuracy vs tokens per problem"
          xLabel="tokens / problem"
          x={x}
          ys={[...ys, pass('lo'), pass('hi')]}
          labels={[...names.map((n) => `${n}@k`), 'pass@k 95% CI low', 'pass@k 95% CI high']}
          dashed={[...names.map(() => false), true, true]}
        />
      )}
      {r.comparison && (
        <p>
          vs baseline {r.comparison.baselineModel}: {pct(r.comparison.difference.mean)} [{pct(r.comparison.difference.lo)},{' '}
          {pct(r.comparison.difference.hi)}]
        </p>
      )}
    </div>
  );
}

export function EvalsView({ run, path }: { run: string | null; path: string | null }) {
  const [files, setFiles] = useState<Ref[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [b, setB] = useState<Ref | null>(null);
  const a = run && path ? { run, path } : null;
  const ra = useReport(a);
  const rb = useReport(b);
  const [cmp, setCmp] = useState<{ value: Comparison | null; error: unknown }>({ value: null, error: null });
  useEffect(() => {
    (async () => {
      const { runs } = await getJson<{ runs: RunSummary[] }>('api/runs');
      const details = await Promise.all(runs.map((x) => getJson<RunDetail>(`api/runs/${q(x.name)}`)));
      setFiles(
        details.flatMap((d) => [
          ...d.files.map((f) => ({ run: d.name, path: f.path })),
          ...d.reports.map((f) => ({ run: d.name, path: f.path })),
        ]),
      );
    })().catch(setError);
  }, []);
  useEffect(() => {
    setCmp({ value: null, error: null });
    if (!a || !b || !isEvalReport(ra.value) || !isEvalReport(rb.value)) return;
    getJson<{ comparison: Comparison }>(`api/compare?aRun=${q(a.run)}&aPath=${q(a.path)}&bRun=${q(b.run)}&bPath=${q(b.path)}`).then(
      (r) => setCmp({ value: r.comparison, error: null }),
      (e) => setCmp({ value: null, error: e }),
    );
  }, [a?.run, a?.path, b?.run, b?.path, ra.value, rb.value]);
  const key = (f: Ref) => `${f.run}/${f.path}`;
  return (
    <div className="split">
      <aside className="sidebar">
        <h3>Reports</h3>
        {error ? <ErrorBox error={error} /> : null}
        {files === null && !error && <Loading what="reports" />}
        {files && files.length === 0 && <p className="muted">No JSON reports yet: `rlmkit eval` writes them to runs/eval/.</p>}
        <ul>
          {(files ?? []).map((f) => (
            <li key={key(f)} className={a && key(a) === key(f) ? 'active' : ''}>
              <a href={`#/evals?run=${q(f.run)}&path=${q(f.path)}`}>{key(f)}</a>
            </li>
          ))}
        </ul>
      </aside>
      <section className="content">
        {!a && <p className="muted">Choose a report on the left.</p>}
        {a && (
          <div className="row">
            <label>
              side by side with{' '}
              <select
                value={b ? key(b) : ''}
                onChange={(e) => setB(files?.find((f) => key(f) === e.target.value) ?? null)}
                data-testid="eval-compare"
              >
                <option value="">(none)</option>
                {(files ?? [])
                  .filter((f) => key(f) !== key(a))
                  .map((f) => (
                    <option key={key(f)}>{key(f)}</option>
                  ))}
              </select>
            </label>
          </div>
        )}
        {cmp.value && (
          <p className="comparison" data-testid="eval-paired">
            paired on {cmp.value.problems} problems: {a!.path} − {b!.path} = <b>{pct(cmp.value.difference.mean)}</b> (95% CI [
            {pct(cmp.value.difference.lo)}, {pct(cmp.value.difference.hi)}]); better on {cmp.value.better}, worse on {cmp.value.worse}, same
            on {cmp.value.same}
          </p>
        )}
        {cmp.error ? <ErrorBox error={cmp.error} title="No paired comparison" /> : null}
        <div className="side-by-side">
          {a &&
            (ra.error ? (
              <ErrorBox error={ra.error} title={`${key(a)} could not be opened`} />
            ) : ra.value !== null ? (
              <ReportView label={key(a)} value={ra.value} />
            ) : (
              <Loading what="the report" />
            ))}
          {b &&
            (rb.error ? (
              <ErrorBox error={rb.error} title={`${key(b)} could not be opened`} />
            ) : rb.value !== null ? (
              <ReportView label={key(b)} value={rb.value} />
            ) : (
              <Loading what="the report" />
            ))}
        </div>
      </section>
    </div>
  );
}
