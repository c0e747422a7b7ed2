/**
 * OpenAI-compatible HTTP backend (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs, or another
 * `rlmkit serve`), through the official `openai` client.
 *
 * - Completion-style requests go to /v1/completions, chat requests to /v1/chat/completions
 *   (`api: 'chat' | 'completions'` forces one endpoint for both).
 * - `n > 1` is sent natively; when a server rejects it (4xx) or returns fewer choices, the backend
 *   switches to separate calls for the rest of its life (seeded copies get seed, seed+1, ...).
 * - Stop sequences: at most 4 are sent (OpenAI's limit) and every completion is also truncated
 *   client-side, so servers that ignore or echo stops behave the same.
 * - Whether a "stop" finish was a stop sequence or the end of sequence is read from `stop_reason`
 *   (vLLM and rlmkit send it); without it, a "stop" finish counts as a stop sequence when stops
 *   were given and as end-of-sequence otherwise.
 * - Retries: the openai client retries connection errors, 408/409/429 and 5xx with backoff.
 */
import OpenAI from 'openai';
import { RlmkitError, runtimeError, usageError } from '../core/errors.js';
import { renderChatAsText, truncateAtStop } from './text.js';
import type { ChatMessage, Completion, FinishReason, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from './types.js';
import { validateGenerateOptions, validateRequests } from './validate.js';

export interface HttpPolicyConfig {
  /** Model name the server knows. */
  model: string;
  /** e.g. http://127.0.0.1:8000/v1. Default: RLMKIT_BASE_URL, then OPENAI_BASE_URL, then OpenAI's. */
  baseURL?: string;
  /** Default: RLMKIT_API_KEY, then OPENAI_API_KEY, then none (local servers need none). */
  apiKey?: string;
  /** Which endpoint serves which request (default 'auto': prompt -> completions, messages -> chat). */
  api?: 'auto' | 'chat' | 'completions';
  /** Requests of one batch sent at once (default 16). */
  concurrency?: number;
  /** Retries of the openai client (default 2). */
  maxRetries?: number;
  /** Per-request timeout in ms (default 120000). */
  timeoutMs?: number;
  /** Stable id (default `http:<model>@<baseURL>`). */
  id?: string;
  env?: NodeJS.ProcessEnv;
}

/** Base URL and API key from the config, then RLMKIT_* and OPENAI_* variables. */
export function resolveHttpEndpoint(cfg: { baseURL?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env): { baseURL: string; apiKey: string | undefined } {
  const baseURL = cfg.baseURL ?? env.RLMKIT_BASE_URL ?? env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
  try {
    const u = new URL(baseURL);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw usageError(`bad base URL "${baseURL}"`, 'give an http(s) URL such as http://127.0.0.1:8000/v1');
  }
  const apiKey = cfg.apiKey ?? env.RLMKIT_API_KEY ?? env.OPENAI_API_KEY;
  return { baseURL: baseURL.replace(/\/+$/, ''), apiKey: apiKey || undefined };
}

/** Turns an openai client error into an RlmkitError that keeps the HTTP status (for retry decisions). */
function wrapError(e: unknown, baseURL: string, model: string): unknown {
  if (e instanceof OpenAI.APIUserAbortError) return e;
  if (e instanceof OpenAI.APIConnectionError) {
    return Object.assign(new RlmkitError(`cannot reach the model server at ${baseURL}: ${e.message}`, { kind: 'network', hint: 'start the server or fix --model / OPENAI_BASE_URL', cause: e }), { status: undefined });
  }
  if (e instanceof OpenAI.APIError) {
    const status = e.status;
    const kind = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429 ? 'input' : 'network';
    const hint = status === 401 || status === 403 ? 'set the API key (OPENAI_API_KEY or RLMKIT_API_KEY)' : status === 404 ? `check the model name "${model}" and the base URL ${baseURL}` : 'check the request options and the server logs';
    return Object.assign(new RlmkitError(`model server ${baseURL} answered ${status ?? 'an error'}: ${e.message}`, { kind, hint, cause: e }), { status });
  }
  return e;
}

function readStopReason(choice: object): unknown {
  return 'stop_reason' in choice ? ((choice as { stop_reason: unknown }).stop_reason ?? null) : undefined;
}

interface RawChoice {
  text: string;
  finish: string | null | undefined;
  /** vLLM's extension: the stop string (or token id) that ended the choice, null for end-of-sequence; undefined when the server does not send it. */
  stopReason: unknown;
  logprobs?: number[];
}

export class HttpPolicy implements Policy {
  readonly id: string;
  readonly capabilities: PolicyCapabilities;
  readonly baseURL: string;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly api: 'auto' | 'chat' | 'completions';
  private readonly concurrency: number;
  /** Flips to false once the server rejects n > 1. */
  private nativeN = true;

  constructor(cfg: HttpPolicyConfig) {
    if (!cfg.model) throw usageError('the HTTP backend needs a model name', 'write it after "#" (http://host/v1#model) or as openai:<model>');
    const { baseURL, apiKey } = resolveHttpEndpoint(cfg, cfg.env);
    this.baseURL = baseURL;
    this.model = cfg.model;
    this.api = cfg.api ?? 'auto';
    this.concurrency = Math.max(1, cfg.concurrency ?? 16);
    this.id = cfg.id ?? `http:${cfg.model}@${baseURL}`;
    // The openai client insists on a key; local servers ignore it.
    this.client = new OpenAI({ baseURL, apiKey: apiKey ?? 'none', maxRetries: cfg.maxRetries ?? 2, timeout: cfg.timeoutMs ?? 120_000 });
    this.capabilities = { logprobs: true, n: true, tokenIds: false, prefixCaching: false, chat: true, maxBatch: this.concurrency };
  }

  /** Whether the server accepted n > 1 so far. */
  get supportsNativeN(): boolean {
    return this.nativeN;
  }

  countTokens(text: string): number {
    // Remote tokenizers are unknown; ~4 characters per token is the usual English estimate.
    return Math.ceil(text.length / 4);
  }

  async generate(requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> {
    validateRequests(requests);
    validateGenerateOptions(options);
    const out: Completion[][] = new Array(requests.length);
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const i = next++;
        out[i] = await this.one(requests[i], options);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, requests.length) }, worker));
    return out;
  }

  private async one(request: GenerateRequest, o: GenerateOptions): Promise<Completion[]> {
    const n = o.n ?? 1;
    if (n > 1 && this.nativeN) {
      try {
        const got = await this.call(request, o, n);
        if (got.choices.length >= n) return this.toCompletions(got, o).slice(0, n);
        // The server silently ignored n: fetch the rest one by one.
        this.nativeN = false;
        const rest = await this.separately(request, o, n - got.choices.length, got.choices.length);
        return [...this.toCompletions(got, o), ...rest];
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status === undefined || status < 400 || status >= 500 || status === 408 || status === 429) throw e;
        this.nativeN = false;
      }
    }
    if (n > 1) return this.separately(request, o, n, 0);
    return this.toCompletions(await this.call(request, o, 1), o);
  }

  private async separately(request: GenerateRequest, o: GenerateOptions, count: number, offset: number): Promise<Completion[]> {
    const calls = Array.from({ length: count }, (_, j) => this.call(request, { ...o, seed: o.seed === undefined ? undefined : o.seed + offset + j }, 1));
    return (await Promise.all(calls)).flatMap((r) => this.toCompletions(r, o).slice(0, 1));
  }

  private async call(request: GenerateRequest, o: GenerateOptions, n: number): Promise<{ choices: RawChoice[]; promptTokens: number; completionTokens: number }> {
    const useChat = this.api === 'chat' || (this.api === 'auto' && request.messages !== undefined);
    const stop = o.stop && o.stop.length > 0 ? o.stop.slice(0, 4) : undefined;
    const common = {
      model: this.model,
      n,
      ...(o.maxTokens !== undefined ? { max_tokens: o.maxTokens } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.topP !== undefined ? { top_p: o.topP } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(stop ? { stop } : {}),
    };
    // top_k is not in OpenAI's schema but vLLM, SGLang, llama.cpp and rlmkit accept it.
    const extra = o.topK ? { top_k: o.topK } : {};
    try {
      if (useChat) {
        const messages: ChatMessage[] = request.messages ?? [{ role: 'user', content: request.prompt ?? '' }];
        const res = await this.client.chat.completions.create({ ...common, ...extra, messages, stream: false, ...(o.logprobs ? { logprobs: true } : {}) } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, { signal: o.signal });
        return {
          choices: (res.choices ?? []).map((c) => ({
            text: c.message?.content ?? '',
            finish: c.finish_reason,
            stopReason: readStopReason(c),
            logprobs: c.logprobs?.content?.map((t) => t.logprob),
          })),
          promptTokens: res.usage?.prompt_tokens ?? 0,
          completionTokens: res.usage?.completion_tokens ?? 0,
        };
      }
      const prompt = request.prompt ?? renderChatAsText(request.messages ?? []);
      const res = await this.client.completions.create({ ...common, ...extra, prompt, stream: false, ...(o.logprobs ? { logprobs: 1 } : {}) } as OpenAI.CompletionCreateParamsNonStreaming, { signal: o.signal });
      return {
        choices: (res.choices ?? []).map((c) => ({
          text: c.text ?? '',
          finish: c.finish_reason,
          stopReason: readStopReason(c),
          logprobs: c.logprobs?.token_logprobs?.map((x) => x ?? 0),
        })),
        promptTokens: res.usage?.prompt_tokens ?? 0,
        completionTokens: res.usage?.completion_tokens ?? 0,
      };
    } catch (e) {
      throw wrapError(e, this.baseURL, this.model);
    }
  }

  private toCompletions(r: { choices: RawChoice[]; promptTokens: number; completionTokens: number }, o: GenerateOptions): Completion[] {
    if (r.choices.length === 0) throw runtimeError(`model server ${this.baseURL} returned no choices`, 'check the server logs');
    const share = Math.round(r.completionTokens / r.choices.length);
    return r.choices.map((c) => {
      const cut = truncateAtStop(c.text, o.stop);
      let finishReason: FinishReason;
      let stopSequence = cut.stopSequence;
      if (stopSequence !== undefined) finishReason = 'stop';
      else if (c.finish === 'length') finishReason = 'length';
      else if (typeof c.stopReason === 'string' && o.stop?.includes(c.stopReason)) {
        finishReason = 'stop';
        stopSequence = c.stopReason;
      } else if (c.stopReason !== undefined) finishReason = 'eos';
      else if (o.stop && o.stop.length > 0 && c.finish === 'stop') {
        finishReason = 'stop';
        if (o.stop.length === 1) stopSequence = o.stop[0];
      } else finishReason = 'eos';
      const completion: Completion = {
        text: cut.text,
        finishReason,
        usage: { promptTokens: r.promptTokens, completionTokens: c.logprobs ? c.logprobs.length : share },
      };
      if (stopSequence !== undefined) completion.stopSequence = stopSequence;
      if (o.logprobs && c.logprobs) completion.logprobs = c.logprobs;
      return completion;
    });
  }
}
