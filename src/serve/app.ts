/**
 * The OpenAI-compatible HTTP API as a hono app: /health, /openapi.json, /v1/models,
 * /v1/completions, /v1/chat/completions (JSON or SSE streaming; n, stop, logprobs, seed) and
 * /v1/traces/{id}. Requests are validated with zod; every error is OpenAI's error JSON (4xx for
 * anything a client causes). Model names resolve through a ModelRegistry, so the app knows nothing
 * about backends.
 *
 * Order of work per generation request: auth, then the body (size cap and deadline, no slot held),
 * validation, refusal of unsupported fields, the cost limits, and only then a slot. The request's
 * abort signal (client gone, deadline, shutdown) and fairness flow go with every model call.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { logger as rootLogger, type Logger } from '../core/log.js';
import type { Trace } from '../reasoning/trace.js';
import type { ChatMessage, Completion, GenerateOptions, GenerateRequest, Policy } from '../models/types.js';
import { checkContentParts, countImages, messageFromContent } from '../models/multimodal.js';
import { readJson, requestHeader } from './body.js';
import { HttpError, errorBody, sendError, toHttpError } from './errors.js';
import { DEFAULT_LIMITS, checkPlainCost, checkSearchCost, refuseUnsupported, searchBudgetCap, type ServeLimits } from './limits.js';
import { chatChunks, chatResponse, completionChunks, completionResponse, responseId } from './openai-format.js';
import { openApiDocument } from './openapi.js';
import type { ModelRegistry } from './providers.js';
import { ServeState, takeSlot, type RequestScope } from './request.js';
import { ChatRequestSchema, CompletionRequestSchema, describeIssues } from './schemas.js';
import { samplingControls, tokenIdPrompts } from './sampling.js';
import { TraceStore } from './traces.js';
import { readToolReply, renderToolConversation, toolRequest } from './tools.js';
import { streamAnswer, streamSearch, type RequestAwarePolicy } from './stream.js';

// Shared with the reward server (src/serve/reward).
export { readJson } from './body.js';
export { ServeState } from './request.js';

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
  /** Per-request cost limits (limits.ts); unset fields keep their defaults. */
  limits?: Partial<ServeLimits>;
  /** Where search traces go for GET /v1/traces/{id} (default: a new bounded store). */
  traces?: TraceStore;
  /** Told about every answered request with its traces (`rlmkit serve --record`). */
  onExchange?: (e: Exchange) => void;
  logger?: Logger;
}

/** One answered request, for recording. */
export interface Exchange {
  kind: 'completion' | 'chat';
  model: string;
  requests: GenerateRequest[];
  options: GenerateOptions;
  completions: Completion[][];
  traceId?: string;
  traces?: Trace[];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function validate<S extends z.ZodType>(schema: S, body: unknown, supported: readonly string[] = []): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'the request body must be a JSON object', 'invalid_request_error');
  const r = schema.safeParse(body);
  if (!r.success) {
    const { message, param } = describeIssues(r.error);
    throw new HttpError(400, message, 'invalid_request_error', param);
  }
  refuseUnsupported(body as Record<string, unknown>, supported);
  return r.data;
}

function normaliseStop(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  return typeof stop === 'string' ? [stop] : stop;
}

function isRequestAware(p: Policy): p is RequestAwarePolicy {
  return typeof (p as Partial<RequestAwarePolicy>).generateForRequest === 'function';
}

export function createServeApp(o: ServeAppOptions): { app: Hono; state: ServeState } {
  const state = new ServeState();
  const log = (o.logger ?? rootLogger).child({ component: 'serve' });
  const maxConcurrent = o.maxConcurrent ?? 64;
  const defaultMaxTokens = o.defaultMaxTokens ?? 256;
  const maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024;
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...(o.limits ?? {}) };
  const traces = o.traces ?? new TraceStore();
  const app = new Hono();
  /** Hands an answered request to the recorder; a recording failure is logged, never the client's error. */
  const recordExchange = (e: Exchange) => {
    if (!o.onExchange) return;
    try {
      o.onExchange(e);
    } catch (err) {
      log.error('could not record an exchange', { error: (err as Error).message });
    }
  };

  app.onError((e, c) => {
    const h = toHttpError(e);
    if (h.status >= 500) log.error('request failed', { path: c.req.path, status: h.status, error: h.message });
    return sendError(c, h);
  });
  app.notFound((c) =>
    c.json(
      errorBody(
        `no route ${c.req.method} ${c.req.path}; the API is /v1/models, /v1/completions, /v1/chat/completions, /v1/traces/{id}, /health and /openapi.json`,
        'invalid_request_error',
        null,
        'not_found',
      ),
      404,
    ),
  );

  app.get('/health', (c) =>
    c.json({
      status: state.draining ? 'draining' : 'ok',
      inflight: state.inflight,
      served: state.served,
      models: o.registry.list().length,
    }),
  );
  let spec: string | undefined;
  app.get('/openapi.json', (c) => {
    spec ??= JSON.stringify(openApiDocument());
    return c.body(spec, 200, { 'Content-Type': 'application/json' });
  });

  app.use('/v1/*', async (c, next) => {
    if (o.apiKey) {
      const auth = requestHeader(c, 'authorization') ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m || !sameSecret(m[1].trim(), o.apiKey)) {
        return c.json(
          errorBody('missing or wrong API key; send "Authorization: Bearer <key>"', 'authentication_error', null, 'invalid_api_key'),
          401,
        );
      }
    }
    await next();
  });

  app.get('/v1/models', (c) => {
    const created = Math.floor(Date.now() / 1000);
    return c.json({
      object: 'list',
      data: o.registry.list().map((m) => ({ id: m.id, object: 'model', created, owned_by: `rlmkit:${m.provider}` })),
    });
  });
  app.get('/v1/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const policy = await o.registry.resolve(id);
    if (!policy) return c.json(errorBody(`model "${id}" does not exist`, 'invalid_request_error', 'model', 'model_not_found'), 404);
    return c.json({ id, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'rlmkit' });
  });
  app.get('/v1/traces/:id', (c) => {
    const text = traces.get(c.req.param('id'));
    if (text === undefined)
      return c.json(
        errorBody(
          `no trace "${c.req.param('id')}" (traces of the last searches are kept; older ones are dropped)`,
          'invalid_request_error',
          'id',
          'not_found',
        ),
        404,
      );
    return c.body(text, 200, { 'Content-Type': 'application/json' });
  });

  async function resolveModel(model: string): Promise<Policy> {
    const policy = await o.registry.resolve(model);
    if (!policy) {
      const known = o.registry.list().map((m) => m.id);
      throw new HttpError(
        404,
        `model "${model}" does not exist; served models: ${known.join(', ') || '(none)'}`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    }
    return policy;
  }

  /** Cost limits, then a slot; search requests get a trace id. */
  function admit(
    c: Context,
    policy: Policy,
    raw: Record<string, unknown>,
    prompts: number,
    options: GenerateOptions,
  ): { scope: RequestScope; traceId?: string } {
    if (isRequestAware(policy)) {
      const { settings, budget } = policy.settingsFrom(raw);
      checkSearchCost(limits, prompts * (options.n ?? 1), settings, budget);
    } else checkPlainCost(limits, prompts, options.n ?? 1, options.maxTokens ?? defaultMaxTokens);
    const scope = takeSlot(c, state, maxConcurrent, limits.maxRequestMs);
    options.signal = scope.signal;
    options.flow = scope.flow;
    if (!isRequestAware(policy)) return { scope };
    const traceId = responseId('trace');
    c.header('X-Rlmkit-Trace-Id', traceId);
    return { scope, traceId };
  }

  /** Runs a request on its policy (the whole request for request-aware ones), keeping the traces. */
  async function run(
    policy: Policy,
    requests: GenerateRequest[],
    options: GenerateOptions,
    raw: Record<string, unknown>,
    traceId: string | undefined,
    onProgress?: (e: Record<string, unknown>) => void,
  ) {
    let kept: Trace[] | undefined;
    const groups = isRequestAware(policy)
      ? await policy.generateForRequest(requests, options, {
          body: raw,
          onProgress,
          budgetCap: searchBudgetCap(limits),
          onTraces: (t) => (kept = t),
        })
      : await policy.generate(requests, options);
    if (traceId && kept) traces.put(traceId, kept);
    return { groups, traces: kept };
  }

  /** How one endpoint (completions or chat) shapes its answer; everything else is shared. */
  interface AnswerShape {
    kind: 'completion' | 'chat';
    idPrefix: string;
    chunkObject: string;
    response: (groups: Completion[][], created: number) => { usage: unknown };
    chunks: (id: string, groups: Completion[][], created: number, withLogprobs: boolean) => unknown[];
  }

  /**
   * Admits a validated request, runs it (a search streams its progress; a plain model call answers
   * whole or as chunks), records the exchange and releases the request's slot when no stream holds it.
   */
  async function answer(
    c: Context,
    policy: Policy,
    raw: Record<string, unknown>,
    body: { model: string; stream?: boolean | null; stream_options?: { include_usage?: boolean | null } | null },
    requests: GenerateRequest[],
    options: GenerateOptions,
    shape: AnswerShape,
  ): Promise<Response> {
    const { scope, traceId } = admit(c, policy, raw, requests.length, options);
    const exchange = (groups: Completion[][], t?: Trace[]) =>
      recordExchange({ kind: shape.kind, model: body.model, requests, options, completions: groups, traceId, traces: t });
    const withUsage = (id: string, groups: Completion[][], created: number, withLogprobs: boolean) => [
      ...shape.chunks(id, groups, created, withLogprobs),
      ...(body.stream_options?.include_usage
        ? [{ id, object: shape.chunkObject, created, model: body.model, choices: [], usage: shape.response(groups, created).usage }]
        : []),
    ];
    let streaming = false;
    try {
      if (body.stream && isRequestAware(policy)) {
        streaming = true;
        return streamSearch(
          c,
          scope,
          shape.chunkObject,
          body.model,
          traceId,
          (onProgress) => run(policy, requests, options, raw, traceId, onProgress),
          (id, r, created) => {
            exchange(r.groups, r.traces);
            return withUsage(id, r.groups, created, false);
          },
        );
      }
      const r = await run(policy, requests, options, raw, traceId);
      exchange(r.groups, r.traces);
      const created = Math.floor(Date.now() / 1000);
      if (!body.stream) return c.json({ ...shape.response(r.groups, created), ...(traceId ? { rlmkit: { trace_id: traceId } } : {}) });
      streaming = true;
      return streamAnswer(c, scope, withUsage(responseId(shape.idPrefix), r.groups, created, options.logprobs === true));
    } finally {
      if (!streaming) scope.release();
    }
  }

  app.post('/v1/completions', async (c) => {
    const raw = (await readJson(c, maxBodyBytes, limits.bodyTimeoutMs)) as Record<string, unknown>;
    const body = validate(CompletionRequestSchema, raw);
    const n = body.n ?? 1;
    if (body.best_of != null && body.best_of !== n)
      throw new HttpError(400, 'best_of different from n is not supported', 'invalid_request_error', 'best_of');
    if (body.suffix)
      throw new HttpError(
        400,
        '"suffix": insertion is not supported by this server',
        'invalid_request_error',
        'suffix',
        'unsupported_parameter',
      );
    const policy = await resolveModel(body.model);
    const prompts = tokenIdPrompts(policy, body.prompt);
    const options: GenerateOptions = {
      n,
      maxTokens: body.max_tokens ?? defaultMaxTokens,
      temperature: body.temperature ?? 1,
      ...(body.top_p != null ? { topP: body.top_p } : {}),
      ...(body.top_k ? { topK: body.top_k } : {}),
      ...(normaliseStop(body.stop) ? { stop: normaliseStop(body.stop) } : {}),
      logprobs: body.logprobs != null,
      ...(body.seed != null ? { seed: body.seed } : {}),
      ...samplingControls(policy, body),
      caller: body.user ?? 'http',
    };
    const requests = prompts.map((prompt) => ({ prompt }));
    return answer(c, policy, raw, body, requests, options, {
      kind: 'completion',
      idPrefix: 'cmpl',
      chunkObject: 'text_completion',
      response: (groups, created) => completionResponse(body.model, groups, created),
      chunks: (id, groups, created, logprobs) => [...completionChunks(id, body.model, groups, created, logprobs)],
    });
  });

  app.post('/v1/chat/completions', async (c) => {
    const raw = (await readJson(c, maxBodyBytes, limits.bodyTimeoutMs)) as Record<string, unknown>;
    const body = validate(ChatRequestSchema, raw, ['tools', 'tool_choice', 'parallel_tool_calls']);
    const tools = toolRequest(body);
    const policy = await resolveModel(body.model);
    if (tools && isRequestAware(policy))
      throw new HttpError(
        400,
        `"tools": "${body.model}" runs a search; tool calling needs a plain model name`,
        'invalid_request_error',
        'tools',
      );
    // A tool conversation goes to the model in the multi-turn text protocol (tools.ts).
    const rendered = tools ? renderToolConversation(body.messages, tools, policy.capabilities.chat) : null;
    const messages: ChatMessage[] = body.messages.map((m) =>
      messageFromContent(m.role === 'developer' ? 'system' : m.role === 'tool' ? 'user' : m.role, m.content),
    );
    // Image parts only for backends that take them (an OpenAI-compatible VLM); never dropped silently.
    const images = countImages(messages);
    if (images > 0) {
      const where = body.messages.findIndex((m) => Array.isArray(m.content) && m.content.some((p) => p.type !== 'text'));
      const bad = body.messages.flatMap((m) => (Array.isArray(m.content) ? [checkContentParts(m.content)] : [])).find((x) => x);
      if (bad) throw new HttpError(400, `messages.${where}.content: ${bad}`, 'invalid_request_error', `messages.${where}.content`);
      if (tools) throw new HttpError(400, '"tools" with image parts: the tool protocol is text only', 'invalid_request_error', 'tools');
      if (!policy.capabilities.images)
        throw new HttpError(
          400,
          `"${body.model}" reads text only; the messages hold ${images} image part${images === 1 ? '' : 's'}. Serve a vision-language model from an OpenAI-compatible server (--model name=http://host:port/v1#model) to send images`,
          'invalid_request_error',
          `messages.${where}.content`,
        );
    }
    const stop = [...(rendered?.stop ?? []), ...(normaliseStop(body.stop) ?? [])];
    const options: GenerateOptions = {
      n: body.n ?? 1,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens,
      temperature: body.temperature ?? 1,
      ...(body.top_p != null ? { topP: body.top_p } : {}),
      ...(body.top_k ? { topK: body.top_k } : {}),
      ...(stop.length ? { stop } : {}),
      logprobs: body.logprobs === true,
      ...(body.seed != null ? { seed: body.seed } : {}),
      ...samplingControls(policy, body),
      caller: body.user ?? 'http',
    };
    const requests = [rendered ? rendered.request : { messages }];
    const replies = (groups: Completion[][]) =>
      tools && rendered ? groups[0].map((g) => readToolReply(g.text, tools, rendered.prefix)) : undefined;
    return answer(c, policy, raw, body, requests, options, {
      kind: 'chat',
      idPrefix: 'chatcmpl',
      chunkObject: 'chat.completion.chunk',
      response: (groups, created) => chatResponse(body.model, groups[0], created, replies(groups)),
      chunks: (id, groups, created, logprobs) => [...chatChunks(id, body.model, groups[0], created, logprobs, replies(groups))],
    });
  });

  // Wrong methods on known paths: 405 rather than a misleading 404.
  for (const path of ['/v1/completions', '/v1/chat/completions']) {
    app.all(path, (c) =>
      c.json(errorBody(`${c.req.method} is not allowed on ${path}; use POST`, 'invalid_request_error', null, 'method_not_allowed'), 405),
    );
  }
  for (const path of ['/v1/models', '/health', '/openapi.json']) {
    app.all(path, (c) =>
      c.json(errorBody(`${c.req.method} is not allowed on ${path}; use GET`, 'invalid_request_error', null, 'method_not_allowed'), 405),
    );
  }

  return { app, state };
}
