/**
 * Trace explorer page: opens a run's trace (#/trace?run=R&path=P) or any trace file from the
 * user's disk (validated by the server, so a corrupt or foreign file gets the schema's message).
 */
import { useEffect, useState } from 'react';
import { getJson, q, sendJson, type Trace } from '../api';
import { ErrorBox, Loading } from '../ErrorBox';
import { Explorer } from './Explorer';

export function TraceView({ run, path }: { run: string | null; path: string | null }) {
  const [trace, setTrace] = useState<Trace | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [fileName, setFileName] = useState<string | null>(null);
  useEffect(() => {
    if (!run || !path) return;
    setLoading(true);
    setError(null);
    setTrace(null);
    getJson<{ trace: Trace }>(`api/runs/${q(run)}/trace?path=${q(path)}`)
      .then((r) => setTrace(r.trace), setError)
      .finally(() => setLoading(false));
  }, [run, path]);

  const openFile = async (f: File) => {
    setFileName(f.name);
    setError(null);
    setTrace(null);
    setLoading(true);
    try {
      const text = await f.text();
      const r = await sendJson<{ trace: Trace }>('api/trace', 'POST', text);
      setTrace(r.trace);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  return (
    <div className="trace-view">
      <div className="row opener">
        <label className="file-button">
          open a trace file…
          <input
            type="file"
            accept=".json,application/json"
            data-testid="trace-file"
            onChange={(e) => e.target.files?.[0] && void openFile(e.target.files[0])}
          />
        </label>
        <span className="muted">
          {run && path ? (
            <>
              {run} / {path}
            </>
          ) : fileName ? (
            fileName
          ) : (
            <>
              or pick one in a run’s <a href="#/runs">Traces</a> tab; traces come from <code>rlmkit solve --trace</code> and the playground
            </>
          )}
        </span>
      </div>
      {loading && <Loading what="the trace" />}
      {error ? <ErrorBox error={error} title={`The trace ${fileName ?? path ?? ''} could not be opened`} /> : null}
      {trace && <Explorer key={`${run}/${path}/${fileName}/${trace.createdAt}`} trace={trace} />}
    </div>
  );
}
