/**
 * A run's metrics records, live: an EventSource on /api/runs/<name>/events whose `reset` event
 * replaces the records and `append` adds to them (src/ui/tail.ts).
 */
import { useEffect, useState } from 'react';
import { q, type MetricRecord } from '../api';

export interface LiveMetrics {
  records: MetricRecord[];
  skipped: number;
  live: boolean;
  error: string | null;
}

export function useMetrics(name: string | null): LiveMetrics {
  const [state, setState] = useState<LiveMetrics>({ records: [], skipped: 0, live: false, error: null });
  useEffect(() => {
    setState({ records: [], skipped: 0, live: false, error: null });
    if (!name) return;
    const es = new EventSource(`api/runs/${q(name)}/events`);
    es.addEventListener('reset', (ev) => {
      const d = JSON.parse((ev as MessageEvent).data);
      setState({ records: d.records, skipped: d.skipped, live: true, error: null });
    });
    es.addEventListener('append', (ev) => {
      const d = JSON.parse((ev as MessageEvent).data);
      setState((s) => ({ records: [...s.records, ...d.records], skipped: s.skipped + d.skipped, live: true, error: null }));
    });
    es.onerror = () =>
      setState((s) => ({
        ...s,
        live: false,
        error: es.readyState === EventSource.CLOSED ? 'the live connection closed' : 'reconnecting…',
      }));
    return () => es.close();
  }, [name]);
  return state;
}
