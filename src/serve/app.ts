/**
 * The OpenAI-compatible HTTP API as a hono app: /health, /v1/models, /v1/completions and
 * /v1/chat/completions (JSON or SSE streaming; n, stop, logprobs, seed). Requests are validated
 * with zod; every error is OpenAI's error JSON (4xx for anything a client causes). Model names
 * resolve through a ModelRegistry, so the app knows nothing about backends.
 *
 * Streaming note: backends answer whole batches (the embedded sampler decodes all rows at once),
 * so a streamed response starts once its completions are ready and then sends one chunk per token.
 * Clients see the standard SSE protocol; time to first token equals the full latency.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import { logger as rootLogger, type Logger } from '../core/log.js';
import type { ChatMessage, Completion, GenerateOptions, GenerateRequest, Policy } from '../models/types.js';
import { HttpError, errorBody, sendError, toHttpError } from './errors.js';
import { chatChunks, chatResponse, completionChunks, completionResponse, responseId } from './openai-format.js';
import type { ModelRegistry } from './providers.js';
import { ChatRequestSchema, CompletionRequestSchema, describeIssues } from './schemas.js';

export interface ServeAppOptions {
  registry: ModelRegistry;
  /** When set, /v1/* requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Generation requests handled at once (default 64); more get 429. */
  maxConcurrent?: number;
  /** max_tokens when a request gives none (default 256; OpenAI's completions default is 16). */
  defaultMaxTokens?: number;
  logger?: Logger;
}

/** Live counters the server reads for graceful shutdown and /health. */
export class ServeState {
  inflight = 0;
  draining = false;
  served = 0;
  rejectedBusy = 0;
  private idleWaiters: (() => void)[] = [];

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    this.served++;
    if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when no generation request is running. */
  idle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `the request body is larger than ${maxBytes} bytes`, 'invalid_request_error', null, 'request_too_large');
}

/**
 * A request header. Under @hono/node-server it is read from Node's parsed headers: `c.req.header()`
 * makes the adapter build a Web `Headers` object from all of them on first use, a measurable
 * share of a small request's CPU.
 */
function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The body as text, at most `maxBytes` (413 beyond, whether or not a content-length was sent).
 * Under @hono/node-server it is read straight from Node's request stream: touching the Web
 * `Request` body (or its signal) makes the adapter build a full undici Request per call, which
 * cost more CPU than the rest of the request handling together.
 */
async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const declared = Number(requestHeader(c, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || incoming.readableEnded) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    incoming.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    incoming.once('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    incoming.once('error', (e) => {
      if (done) return;
      done = true;
      reject(new HttpError(400, `could not read the request body: ${e.message}`, 'invalid_request_error'));
    });
  });
}

export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(c, maxBytes);
  if (!text.trim()) throw new HttpError(400, 'the request body is empty; send a JSON object', 'invalid_request_error');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON: ${(e as Error).message}`, 'invalid_request_error');
  }
}

/** Aborted when the client goes away before its answer is written (from Node's response stream). */
function disconnectSignal(c: Context): AbortSignal | undefined {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) return undefined;
  const ctl = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

function validate<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object', 'invalid_request_error');
  const r = schema.safeParse(body);
  if (!r.success) {
    const { message, param } = describeIssues(r.error);
    throw new HttpError(400, message, 'invalid_request_error', param);
  }
  return r.data;
}

function normaliseStop(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  return typeof stop === 'string' ? [stop] : stop;
}

function messageText(content: string | { type: 'text'; text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** A policy that wants the whole request: its extra body fields and a progress callback (the reasoning proxy). */
type RequestAwarePolicy = Policy & {
  generateForRequest(requests: GenerateRequest[], options: GenerateOptions, request: { body: Record<string, unknown>; onProgress?: (e: Record<string, unknown>) => void }): Promise<Completion[][]>;
};

function isRequestAware(p: Policy): p is RequestAwarePolicy {
  return typeof (p as Partial<RequestAwarePolicy>).generateForRequest === 'function';
}

export function createServeApp(o: ServeAppOptions): { app: Hono; state: ServeState } {
  const state = new ServeState();
  const log = (o.logger ?? rootLogger).child({ component: 'serve' });
  const maxConcurrent = o.maxConcurrent ?? 64;
  const defaultMaxTokens = o.defaultMaxTokens ?? 256;
  const app = new Hono();

  app.onError((e, c) => {
    const h = toHttpError(e);
    if (h.status >= 500) log.error('request failed', { path: c.req.path, status: h.status, error: h.message });
    return sendError(c, h);
  });
  app.notFound((c) => c.json(errorBody(`no route ${c.req.method} ${c.req.path}; the API is /v1/models, /v1/completions, /v1/chat/completions and /health`, 'invalid_request_error', null, 'not_found'), 404));

  app.get('/health', (c) => c.json({ status: state.draining ? 'draining' : 'ok', inflight: state.inflight, served: state.served, models: o.registry.list().length }));

  app.use('/v1/*', async (c, next) => {
    if (o.apiKey) {
      const auth = requestHeader(c, 'authorization') ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m || !sameSecret(m[1].trim(), o.apiKey)) {
        return c.json(errorBody('missing or wrong API key; send "Authorization: Bearer <key>"', 'authentication_error', null, 'invalid_api_key'), 401);
      }
    }
    await next();
  });

  // Concurrency limit, counted before the body is read so that a flood costs little.
  const guard = async (c: Context, next: () => Promise<void>) => {
    if (state.draining) return c.json(errorBody('the server is shutting down', 'server_shutting_down'), 503);
    if (state.inflight >= maxConcurrent) {
      state.rejectedBusy++;
      c.header('Retry-After', '1');
      return c.json(errorBody(`too many concurrent requests (limit ${maxConcurrent}); retry shortly`, 'rate_limit_error', null, 'rate_limit_exceeded'), 429);
    }
    state.enter();
    try {
      await next();
    } finally {
      state.leave();
    }
  };
  const maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024;

  app.get('/v1/models', (c) => {
    const created = Math.floor(Date.now() / 1000);
    return c.json({ object: 'list', data: o.registry.list().map((m) => ({ id: m.id, object: 'model', created, owned_by: `rlmkit:${m.provider}` })) });
  });
  app.get('/v1/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const policy = await o.registry.resolve(id);
    if (!policy) return c.json(errorBody(`model "${id}" does not exist`, 'invalid_request_error', 'model', 'model_not_found'), 404);
    return c.json({ id, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'rlmkit' });
  });

  async function resolveModel(model: string): Promise<Policy> {
    const policy = await o.registry.resolve(model);
    if (!policy) {
      const known = o.registry.list().map((m) => m.id);
      throw new HttpError(404, `model "${model}" does not exist; served models: ${known.join(', ') || '(none)'}`, 'invalid_request_error', 'model', 'model_not_found');
    }
    return policy;
  }

  function sseHeaders(c: Context) {
    c.header('Cache-Control', 'no-cache');
    c.header('X-Accel-Buffering', 'no');
  }

  app.post('/v1/completions', guard, async (c) => {
    const raw = await readJson(c, maxBodyBytes);
    const body = validate(CompletionRequestSchema, raw);
    const n = body.n ?? 1;
    if (body.best_of != null && body.best_of !== n) throw new HttpError(400, 'best_of different from n is not supported', 'invalid_request_error', 'best_of');
    const policy = await resolveModel(body.model);
    const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
    const options: GenerateOptions = {
      n,
      maxTokens: body.max_tokens ?? defaultMaxTokens,
      temperature: body.temperature ?? 1,
      ...(body.top_p != null ? { topP: body.top_p } : {}),
      ...(body.top_k ? { topK: body.top_k } : {}),
      ...(normaliseStop(body.stop) ? { stop: normaliseStop(body.stop) } : {}),
      logprobs: body.logprobs != null,
      ...(body.seed != null ? { seed: body.seed } : {}),
      caller: body.user ?? 'http',
      signal: disconnectSignal(c),
    };
    if (body.stream && isRequestAware(policy)) {
      return streamWithProgress(c, policy, prompts.map((prompt) => ({ prompt })), options, raw as Record<string, unknown>, 'text_completion', (id, groups, created) =>
        [...completionChunks(id, body.model, groups, created, false), ...(body.stream_options?.include_usage ? [{ id, object: 'text_completion', created, model: body.model, choices: [], usage: completionResponse(body.model, groups, created).usage }] : [])],
      );
    }
    const groups: Completion[][] = isRequestAware(policy) ? await policy.generateForRequest(prompts.map((prompt) => ({ prompt })), options, { body: raw as Record<string, unknown> }) : await policy.generate(prompts.map((prompt) => ({ prompt })), options);
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) return c.json(completionResponse(body.model, groups, created));
    sseHeaders(c);
    const id = responseId('cmpl');
    return streamSSE(c, async (stream) => {
      for (const chunk of completionChunks(id, body.model, groups, created, options.logprobs === true)) await stream.writeSSE({ data: JSON.stringify(chunk) });
      if (body.stream_options?.include_usage) await stream.writeSSE({ data: JSON.stringify({ id, object: 'text_completion', created, model: body.model, choices: [], usage: completionResponse(body.model, groups, created).usage }) });
      await stream.writeSSE({ data: '[DONE]' });
    });
  });

  app.post('/v1/chat/completions', guard, async (c) => {
    const raw = await readJson(c, maxBodyBytes);
    const body = validate(ChatRequestSchema, raw);
    const policy = await resolveModel(body.model);
    const messages: ChatMessage[] = body.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: messageText(m.content) }));
    const options: GenerateOptions = {
      n: body.n ?? 1,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens,
      temperature: body.temperature ?? 1,
      ...(body.top_p != null ? { topP: body.top_p } : {}),
      ...(body.top_k ? { topK: body.top_k } : {}),
      ...(normaliseStop(body.stop) ? { stop: normaliseStop(body.stop) } : {}),
      logprobs: body.logprobs === true,
      ...(body.seed != null ? { seed: body.seed } : {}),
      caller: body.user ?? 'http',
      signal: disconnectSignal(c),
    };
    if (body.stream && isRequestAware(policy)) {
      return streamWithProgress(c, policy, [{ messages }], options, raw as Record<string, unknown>, 'chat.completion.chunk', (id, groups, created) =>
        [...chatChunks(id, body.model, groups[0], created, false), ...(body.stream_options?.include_usage ? [{ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: chatResponse(body.model, groups[0], created).usage }] : [])],
      );
    }
    const [completions] = isRequestAware(policy) ? await policy.generateForRequest([{ messages }], options, { body: raw as Record<string, unknown> }) : await policy.generate([{ messages }], options);
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) return c.json(chatResponse(body.model, completions, created));
    sseHeaders(c);
    const id = responseId('chatcmpl');
    return streamSSE(c, async (stream) => {
      for (const chunk of chatChunks(id, body.model, completions, created, options.logprobs === true)) await stream.writeSSE({ data: JSON.stringify(chunk) });
      if (body.stream_options?.include_usage) await stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: chatResponse(body.model, completions, created).usage }) });
      await stream.writeSSE({ data: '[DONE]' });
    });
  });

  // Wrong methods on known paths: 405 rather than a misleading 404.
  for (const path of ['/v1/completions', '/v1/chat/completions']) {
    app.all(path, (c) => c.json(errorBody(`${c.req.method} is not allowed on ${path}; use POST`, 'invalid_request_error', null, 'method_not_allowed'), 405));
  }
  app.all('/v1/models', (c) => c.json(errorBody(`${c.req.method} is not allowed on /v1/models; use GET`, 'invalid_request_error', null, 'method_not_allowed'), 405));

  /**
   * Streaming for policies that report progress (the reasoning proxy, `<strategy>@<model>`): the
   * stream opens at once, sends progress chunks (empty `choices`, an `rlmkit_progress` field that
   * OpenAI clients skip) while the search runs, then the answer's chunks. An error after the
   * stream opened is sent as an `error` event.
   */
  function streamWithProgress(
    c: Context,
    policy: RequestAwarePolicy,
    requests: GenerateRequest[],
    options: GenerateOptions,
    body: Record<string, unknown>,
    object: string,
    chunks: (id: string, groups: Completion[][], created: number) => unknown[],
  ) {
    sseHeaders(c);
    const id = responseId(object === 'text_completion' ? 'cmpl' : 'chatcmpl');
    const model = String(body.model);
    return streamSSE(c, async (stream) => {
      let writing = Promise.resolve();
      const onProgress = (e: Record<string, unknown>) => {
        const created = Math.floor(Date.now() / 1000);
        writing = writing.then(() => stream.writeSSE({ data: JSON.stringify({ id, object, created, model, choices: [], rlmkit_progress: e }) }));
      };
      try {
        const groups = await policy.generateForRequest(requests, options, { body, onProgress });
        await writing;
        for (const chunk of chunks(id, groups, Math.floor(Date.now() / 1000))) await stream.writeSSE({ data: JSON.stringify(chunk) });
      } catch (e) {
        await writing.catch(() => undefined);
        const h = toHttpError(e);
        await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(h.message, h.type, h.param, h.code)) });
      }
      await stream.writeSSE({ data: '[DONE]' });
    });
  }

  return { app, state };
}
