/**
 * Calls to the explorer server (src/ui/app.ts). Every failure becomes an `ApiError` with the
 * server's message and hint, or a readable network message, so views can always show it.
 */
export type { Trace, TraceNode, TraceOperator } from '../../src/reasoning/trace';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(`the server answered ${res.status} with something that is not JSON`, text.slice(0, 200), res.status);
  }
  if (!res.ok) throw new ApiError(body?.error?.message ?? `request failed with status ${res.status}`, body?.error?.hint, res.status);
  return body as T;
}

export async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ApiError(`cannot reach the explorer server: ${(e as Error).message}`, 'is `rlmkit ui` still running?');
  }
  return parse<T>(res);
}

export async function sendJson<T>(url: string, method: 'POST' | 'DELETE', body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`cannot reach the explorer server: ${(e as Error).message}`, 'is `rlmkit ui` still running?');
  }
  return parse<T>(res);
}

export const q = encodeURIComponent;

export interface RunSummary {
  name: string;
  phase: string | null;
  step: number | null;
  records: number;
  updatedAt: string;
  hasConfig: boolean;
}
export interface FileEntry {
  path: string;
  bytes: number;
  modifiedAt: string;
}
export interface RunDetail extends RunSummary {
  configText: string | null;
  config: unknown;
  configError: string | null;
  checkpoints: FileEntry[];
  traces: FileEntry[];
  reports: FileEntry[];
  files: FileEntry[];
}
export type MetricRecord = Record<string, unknown>;
