/**
 * The explorer: a single-page app with four views chosen by the URL hash (#/runs, #/trace,
 * #/playground, #/evals). Every view sits in an error boundary, so bad input shows a message and
 * never a blank page.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ErrorBoundary } from './ErrorBox';
import { RunsView } from './runview/RunsView';
import { TraceView } from './trace/TraceView';
import { PlaygroundView } from './playground/PlaygroundView';
import { EvalsView } from './evals/EvalsView';
import { parseHash, type Route } from './route';
import './styles.css';

function App() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const tab = (v: Route['view'], label: string) => (
    <a href={`#/${v}`} className={route.view === v ? 'active' : ''} data-testid={`nav-${v}`}>
      {label}
    </a>
  );
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">rlmkit explorer</span>
        <nav>
          {tab('runs', 'Runs')}
          {tab('trace', 'Trace explorer')}
          {tab('playground', 'Playground')}
          {tab('evals', 'Evaluations')}
        </nav>
      </header>
      <main>
        <ErrorBoundary key={window.location.hash}>
          {route.view === 'runs' && <RunsView name={route.rest} />}
          {route.view === 'trace' && <TraceView run={route.params.get('run')} path={route.params.get('path')} />}
          {route.view === 'playground' && <PlaygroundView />}
          {route.view === 'evals' && <EvalsView run={route.params.get('run')} path={route.params.get('path')} />}
        </ErrorBoundary>
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
