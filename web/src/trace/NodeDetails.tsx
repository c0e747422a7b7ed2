/** Everything a trace says about one node: step text, value/q, visits, scores, rewards, checks and verdicts. */
import type { Trace, TraceNode } from '../api';
import { fmt, nodeStatus, type TraceIndex } from './model';

const yesNo = (b: boolean | null) => (b === null ? 'unknown' : b ? 'yes' : 'no');

export function NodeDetails({
  ix,
  id,
  onSelect,
  onOpenNested,
}: {
  ix: TraceIndex;
  id: string;
  onSelect: (id: string) => void;
  onOpenNested: (n: TraceNode) => void;
}) {
  const n = ix.byId.get(id);
  if (!n) return null;
  const kids = ix.children.get(id) ?? [];
  const nested = n.nested as Trace | undefined;
  const ops = ix.trace.operators.filter((o) => o.nodes.includes(id) || o.produced?.includes(id));
  const row = (k: string, v: React.ReactNode, testid?: string) => (
    <tr>
      <th>{k}</th>
      <td data-testid={testid}>{v}</td>
    </tr>
  );
  return (
    <div className="details" data-testid="node-details">
      <h3>
        node {n.id} <span className={`chip ${nodeStatus(n)}`}>{nodeStatus(n)}</span>
        {ix.path.has(id) && <span className="chip on-path">chosen path</span>}
      </h3>
      <div className="step-text" data-testid="node-step">
        {n.step || (id === ix.trace.root ? `(root) ${ix.trace.problem.question}` : '(empty step)')}
      </div>
      <table>
        <tbody>
          {row('q', fmt(n.q), 'node-q')}
          {row('value', fmt(n.value), 'node-value')}
          {row('visits', n.visits, 'node-visits')}
          {row('depth', n.depth)}
          {Object.entries(n.scores).map(([k, v]) => row(`score: ${k}`, fmt(v), `node-score-${k}`))}
          {Object.entries(n.rewards).map(([k, v]) => row(`reward: ${k}`, fmt(v)))}
          {row('rule check', n.valid === null ? 'not checked' : n.valid ? 'valid step' : 'invalid step', 'node-valid')}
          {row('terminal', yesNo(n.terminal))}
          {n.terminal && row('answer', n.answer ?? '(none)', 'node-answer')}
          {n.terminal &&
            row(
              'verdict',
              n.correct === null ? 'not checked' : n.correct ? 'correct (checked after the search)' : 'wrong (checked after the search)',
              'node-verdict',
            )}
          {row('pruned', yesNo(n.pruned))}
          {row(
            'parents',
            n.parents.length === 0
              ? '—'
              : n.parents.map((p) => (
                  <a key={p} onClick={() => onSelect(p)}>
                    {p}{' '}
                  </a>
                )),
          )}
          {row('children', kids.length)}
          {row('operators on it', ops.map((o) => o.op).join(', ') || '—')}
          {n.meta && row('meta', <code>{JSON.stringify(n.meta)}</code>)}
        </tbody>
      </table>
      {nested && (
        <button onClick={() => onOpenNested(n)} data-testid="open-nested">
          open nested {nested.structure} ({nested.nodes.length} nodes)
        </button>
      )}
    </div>
  );
}
