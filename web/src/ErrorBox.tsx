/** A readable error (message + hint) and the boundary that turns render crashes into one. */
import { Component, type ReactNode } from 'react';
import { ApiError } from './api';

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const e = error as Error;
  const hint = error instanceof ApiError ? error.hint : undefined;
  return (
    <div className="error-box" role="alert" data-testid="error">
      <strong>{title ?? 'Something went wrong'}</strong>
      <p>{e?.message ?? String(error)}</p>
      {hint && <p className="hint">hint: {hint}</p>}
    </div>
  );
}

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    if (this.state.error) return <ErrorBox error={this.state.error} title="This view could not be shown" />;
    return this.props.children;
  }
}

export function Loading({ what }: { what: string }) {
  return <p className="muted">Loading {what}…</p>;
}
