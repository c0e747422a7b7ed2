/**
 * Playground: choose task, problem (or type one), strategy with its settings and a model, run the
 * search on the server (src/ui/playground.ts, which calls the library's solve) and watch the tree
 * grow from the streamed snapshots; then save or download the trace.
 */
import { useEffect, useRef, useState } from 'react';
import { getJson, q, sendJson, type Trace } from '../api';
import { ErrorBox, Loading } from '../ErrorBox';
import { Explorer } from '../trace/Explorer';

interface Catalog {
  tasks: Array<{ name: string; description: string; splits: string[] }>;
  strategies: Array<{ name: string; summary: string; structure: string; defaults: Record<string, unknown> }>;
  models: string[];
}

interface Done {
  answer: string | null;
  correct: boolean | null;
  stopReason: string;
}

export function PlaygroundView() {
  const [cat, setCat] = useState<Catalog | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [task, setTask] = useState('game24');
  const [split, setSplit] = useState('test');
  const [problems, setProblems] = useState<Array<{ id: string; question: string }>>([]);
  const [problem, setProblem] = useState('');
  const [typed, setTyped] = useState('');
  const [strategy, setStrategy] = useState('mcts');
  const [settings, setSettings] = useState('{}');
  const [model, setModel] = useState('legal-uniform');
  const [value, setValue] = useState('');
  const [seconds, setSeconds] = useState(60);
  const [journey, setJourney] = useState(true);
  const [trace, setTrace] = useState<Trace | null>(null);
  const [done, setDone] = useState<Done | null>(null);
  const [running, setRunning] = useState(false);
  const [saved, setSaved] = useState<{ run: string; path: string } | null>(null);
  const job = useRef<{ id: string; es: EventSource } | null>(null);

  useEffect(() => {
    getJson<Catalog>('api/playground/catalog').then(setCat, setError);
    return () => job.current?.es.close();
  }, []);
  useEffect(() => {
    if (!cat) return;
    const t = cat.tasks.find((x) => x.name === task);
    if (t && !t.splits.includes(split)) setSplit(t.splits[0]);
  }, [cat, task, split]);
  useEffect(() => {
    setProblems([]);
    getJson<{ problems: Array<{ id: string; question: string }> }>(`api/playground/problems?task=${q(task)}&split=${q(split)}`).then(
      (r) => {
        setProblems(r.problems);
        setProblem(r.problems[0]?.id ?? '');
      },
      () => setProblems([]),
    );
  }, [task, split]);
  useEffect(() => {
    const s = cat?.strategies.find((x) => x.name === strategy);
    if (s) setSettings(JSON.stringify(s.defaults, null, 1));
  }, [cat, strategy]);

  const run = async () => {
    setError(null);
    setDone(null);
    setSaved(null);
    setTrace(null);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(settings);
    } catch (e) {
      setError(new Error(`the settings are not JSON: ${(e as Error).message}`));
      return;
    }
    job.current?.es.close();
    setRunning(true);
    try {
      const body = {
        task,
        split,
        problem: typed.trim() || problem || undefined,
        strategy,
        settings: parsed,
        model,
        ...(value ? { value } : {}),
        journey,
        budgetSeconds: seconds,
      };
      const { id } = await sendJson<{ id: string }>('api/playground', 'POST', body);
      const es = new EventSource(`api/playground/${q(id)}/events`);
      job.current = { id, es };
      es.addEventListener('snapshot', (ev) => setTrace(JSON.parse((ev as MessageEvent).data).trace));
      es.addEventListener('done', (ev) => {
        const d = JSON.parse((ev as MessageEvent).data);
        setTrace(d.trace);
        setDone({ answer: d.answer, correct: d.correct, stopReason: d.stopReason });
        setRunning(false);
        es.close();
      });
      es.addEventListener('error', (ev) => {
        const data = (ev as MessageEvent).data;
        if (data) {
          const d = JSON.parse(data);
          setError(Object.assign(new Error(d.message), { hint: d.hint }));
        } else if (es.readyState === EventSource.CLOSED) setError(new Error('the connection to the search closed'));
        else return;
        setRunning(false);
        es.close();
      });
    } catch (e) {
      setError(e);
      setRunning(false);
    }
  };
  const stop = () => job.current && void sendJson(`api/playground/${q(job.current.id)}`, 'DELETE').catch(setError);
  const save = () =>
    job.current && sendJson<{ run: string; path: string }>(`api/playground/${q(job.current.id)}/save`, 'POST', {}).then(setSaved, setError);
  const download = () => {
    if (!trace) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(trace, null, 2)], { type: 'application/json' }));
    a.download = `${trace.strategy.name}-${trace.problem.id.replace(/[^A-Za-z0-9._-]+/g, '-')}.json`;
    a.click();
  };

  if (!cat) return error ? <ErrorBox error={error} /> : <Loading what="tasks and strategies" />;
  const strat = cat.strategies.find((s) => s.name === strategy);
  return (
    <div className="playground">
      <form
        className="pg-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          task
          <select value={task} onChange={(e) => setTask(e.target.value)} data-testid="pg-task">
            {cat.tasks.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        </label>
        <label>
          split
          <select value={split} onChange={(e) => setSplit(e.target.value)}>
            {(cat.tasks.find((t) => t.name === task)?.splits ?? []).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="wide">
          problem
          <select value={problem} onChange={(e) => setProblem(e.target.value)} data-testid="pg-problem">
            {problems.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id}: {p.question.slice(0, 80)}
              </option>
            ))}
          </select>
        </label>
        <label className="wide">
          or type one {task === 'game24' ? '(four numbers, e.g. 4 4 6 8)' : '(an id or index)'}
          <input value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="pg-typed" />
        </label>
        <label>
          strategy
          <select value={strategy} onChange={(e) => setStrategy(e.target.value)} data-testid="pg-strategy">
            {cat.strategies.map((s) => (
              <option key={s.name}>{s.name}</option>
            ))}
          </select>
        </label>
        <label className="wide">
          model
          <input value={model} onChange={(e) => setModel(e.target.value)} list="pg-models" data-testid="pg-model" />
          <datalist id="pg-models">
            {cat.models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
        <label className="wide">
          value model (optional)
          <input value={value} onChange={(e) => setValue(e.target.value)} placeholder="embedded:runs/demo/…/value.safetensors" />
        </label>
        <label>
          time limit (s)
          <input type="number" min={1} max={600} value={seconds} onChange={(e) => setSeconds(Number(e.target.value))} />
        </label>
        <label className="check">
          <input type="checkbox" checked={journey} onChange={(e) => setJourney(e.target.checked)} /> journey
        </label>
        <label className="full">
          settings ({strat?.summary})
          <textarea value={settings} onChange={(e) => setSettings(e.target.value)} rows={5} data-testid="pg-settings" />
        </label>
        <div className="row">
          <button type="submit" disabled={running} data-testid="pg-run">
            {running ? 'running…' : 'run'}
          </button>
          {running && (
            <button type="button" onClick={stop}>
              stop
            </button>
          )}
          {done && (
            <>
              <span
                className={`result ${done.correct === true ? 'correct' : done.correct === false ? 'wrong' : ''}`}
                data-testid="pg-answer"
              >
                answer: {done.answer ?? '(none)'} {done.correct === true ? '✓ correct' : done.correct === false ? '✗ wrong' : ''} (
                {done.stopReason})
              </span>
              <button type="button" onClick={save} data-testid="pg-save">
                save trace
              </button>
              <button type="button" onClick={download}>
                download
              </button>
              {saved && (
                <a href={`#/trace?run=${q(saved.run)}&path=${q(saved.path)}`} data-testid="pg-saved">
                  saved: {saved.run}/{saved.path}
                </a>
              )}
            </>
          )}
        </div>
      </form>
      {error ? <ErrorBox error={error} title="The search could not run" /> : null}
      {trace && <Explorer trace={trace} live={running} />}
    </div>
  );
}
