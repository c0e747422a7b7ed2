/** Text views of a trace: the chosen path (or why there is none), the Journey linearisation, and problem/usage. */
import type { Trace } from '../api';
import { fmt, nodeStatus, type TraceIndex } from './model';

export function PathPanel({ ix, onPick }: { ix: TraceIndex; onPick: (id: string) => void }) {
  const t = ix.trace;
  const verdict = t.final.correct === true ? 'correct' : t.final.correct === false ? 'wrong' : 'not checked';
  return (
    <div className="panel" data-testid="path-panel">
      <p>
        <b>answer:</b> <span data-testid="final-answer">{t.final.answer ?? '(none)'}</span> · <b>verdict:</b> {verdict} · <b>stopped:</b>{' '}
        {t.final.stopReason}
      </p>
      {t.final.path.length === 0 ? (
        <p className="muted" data-testid="no-path">
          The search ended without choosing a path ({t.final.stopReason}); {t.nodes.filter((n) => n.terminal).length} terminal nodes were
          reached. The tree view shows everything it explored.
        </p>
      ) : (
        <ol className="path">
          {t.final.path.map((id) => {
            const n = ix.byId.get(id)!;
            return (
              <li key={id} className={nodeStatus(n)}>
                <a onClick={() => onPick(id)}>{id}</a> {n.step || '(root)'}{' '}
                <span className="muted">
                  q {fmt(n.q, 2)} · n {n.visits}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

interface JourneyStep {
  kind: string;
  text: string;
  nodeId: string;
}

export function JourneyPanel({ trace }: { trace: Trace }) {
  const j = trace.notes?.journey;
  if (!Array.isArray(j)) {
    return (
      <p className="muted panel" data-testid="journey-none">
        This trace holds no Journey-learning linearisation. Solve with <code>--journey</code> (or tick “journey” in the playground) to
        record one: the chosen path with the dead ends the search explored and the backtracks out of them.
      </p>
    );
  }
  return (
    <ol className="journey panel" data-testid="journey">
      {(j as JourneyStep[]).map((s, i) => (
        <li key={i} className={`journey-${s.kind}`}>
          <span className="chip">{s.kind}</span> {s.text} <span className="muted">({s.nodeId})</span>
        </li>
      ))}
    </ol>
  );
}

export function InfoPanel({ trace }: { trace: Trace }) {
  const u = trace.usage;
  return (
    <div className="panel">
      <p>
        <b>task</b> {trace.task} · <b>problem</b> {trace.problem.id}
      </p>
      <pre className="config">{trace.problem.question}</pre>
      <p>
        <b>strategy</b> {trace.strategy.name} <code>{JSON.stringify(trace.strategy.settings)}</code>
      </p>
      <p>
        <b>models</b>{' '}
        {Object.entries(trace.models)
          .map(([k, v]) => `${k}: ${v}`)
          .join(' · ')}
      </p>
      <p>
        <b>checks used</b> {trace.checksUsed.join(', ') || 'none'} · <b>ground truth consulted</b>{' '}
        {trace.usedGroundTruth ? 'yes (training data)' : 'no'}
      </p>
      <p>
        <b>usage</b> tokens {u.promptTokens + u.completionTokens} (prompt {u.promptTokens}, completion {u.completionTokens}) · policy calls{' '}
        {u.calls} · eval calls {u.evalCalls} · expansions {u.expansions} · wall {u.wallMs.toFixed(0)} ms (in models {u.modelMs.toFixed(0)}{' '}
        ms)
      </p>
      <p className="muted">created {trace.createdAt}</p>
    </div>
  );
}
