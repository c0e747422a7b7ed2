/** Hash routes: #/<view>/<rest>?<params>. */
export interface Route {
  view: 'runs' | 'trace' | 'playground' | 'evals';
  /** The part after the view, e.g. a run name. */
  rest: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [pathPart, query = ''] = h.split('?');
  const [view, ...rest] = pathPart.split('/');
  const known = ['runs', 'trace', 'playground', 'evals'] as const;
  const v = (known as readonly string[]).includes(view) ? (view as Route['view']) : 'runs';
  return { view: v, rest: rest.map(decodeURIComponent).join('/'), params: new URLSearchParams(query) };
}

export function go(hash: string): void {
  window.location.hash = hash;
}
