/**
 * OpenAI's error JSON: `{ "error": { "message", "type", "param", "code" } }` with a 4xx status for
 * anything the client caused. Clients (the openai SDK included) read `error.message`.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isRlmkitError } from '../core/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export function errorBody(message: string, type: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

export function sendError(c: Context, e: HttpError): Response {
  return c.json(errorBody(e.message, e.type, e.param, e.code), e.status);
}

/** Maps any error thrown while answering to an HTTP error: the client's fault is 4xx, ours 5xx. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (isRlmkitError(e)) {
    const msg = e.hint ? `${e.message} (${e.hint})` : e.message;
    if (e.kind === 'usage' || e.kind === 'input' || e.kind === 'config') return new HttpError(400, msg, 'invalid_request_error');
    if ((e as { name?: string }).name === 'TimeoutError' || /did not answer within/.test(e.message))
      return new HttpError(504, msg, 'timeout_error');
    return new HttpError(502, msg, 'model_error');
  }
  if ((e as Error)?.name === 'AbortError') return new HttpError(499 as ContentfulStatusCode, 'the request was cancelled', 'cancelled');
  return new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`, 'server_error');
}
