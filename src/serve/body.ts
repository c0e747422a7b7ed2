/**
 * Reading a request body: at most `maxBytes` (413 beyond, whether or not a content-length was
 * sent) and within `timeoutMs` (408 after, and the connection is closed). The body is read before
 * the request takes one of the server's slots, so slow uploads (a client that sends headers and
 * `{"model":` and stops) hold only their own socket, never a slot another client needs.
 *
 * Under @hono/node-server the body is read straight from Node's request stream: touching the Web
 * `Request` body (or its signal) makes the adapter build a full undici Request per call, which
 * cost more CPU than the rest of the request handling together.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HttpError } from './errors.js';

export function requestIncoming(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/**
 * A request header. Under @hono/node-server it is read from Node's parsed headers: `c.req.header()`
 * makes the adapter build a Web `Headers` object from all of them on first use, a measurable
 * share of a small request's CPU.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = requestIncoming(c);
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `the request body is larger than ${maxBytes} bytes`, 'invalid_request_error', null, 'request_too_large');
}

function tooSlow(ms: number): HttpError {
  return new HttpError(408, `the request body did not arrive within ${ms} ms`, 'invalid_request_error', null, 'request_timeout');
}

/** How long a body may take to arrive by default (ms). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export async function readBodyText(c: Context, maxBytes: number, timeoutMs = DEFAULT_BODY_TIMEOUT_MS): Promise<string> {
  const declared = Number(requestHeader(c, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const incoming = requestIncoming(c);
  if (!incoming || incoming.readableEnded) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (e: HttpError | null, text?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      incoming.off('data', onData);
      if (e) {
        // The rest of the body will never be read: the answer closes the connection.
        c.header('Connection', 'close');
        incoming.resume();
        reject(e);
      } else resolve(text!);
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) return finish(tooLarge(maxBytes));
      chunks.push(chunk);
    };
    const timer = setTimeout(() => finish(tooSlow(timeoutMs)), timeoutMs);
    incoming.on('data', onData);
    incoming.once('end', () => finish(null, Buffer.concat(chunks).toString('utf8')));
    incoming.once('error', (e) => finish(new HttpError(400, `could not read the request body: ${e.message}`, 'invalid_request_error')));
    incoming.once('close', () =>
      finish(new HttpError(400, 'the client closed the connection before the body ended', 'invalid_request_error')),
    );
  });
}

export async function readJson(c: Context, maxBytes: number, timeoutMs = DEFAULT_BODY_TIMEOUT_MS): Promise<unknown> {
  const text = await readBodyText(c, maxBytes, timeoutMs);
  if (!text.trim()) throw new HttpError(400, 'the request body is empty; send a JSON object', 'invalid_request_error');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON: ${(e as Error).message}`, 'invalid_request_error');
  }
}
