/**
 * OpenAI-compatible HTTP backend (vLLM, SGLang, llama.cpp server, llama-cpp-python, Ollama, hosted
 * APIs, or another `rlmkit serve`), through the official `openai` client. What differs between
 * servers lives in src/models/dialects/: this file sends requests and reads answers through it.
 *
 * - Completion-style requests go to /v1/completions, chat requests to /v1/chat/completions
 *   (`api: 'chat' | 'completions'` forces one endpoint for both).
 * - `probe()` (run by `loadPolicy`) reads /v1/models to learn the dialect and context size, and
 *   sends two one-token requests to learn whether the model has a chat format of its own: a model
 *   whose chat template is the plain join of the messages (rlmkit's GGUF exports) or that has no
 *   chat endpoint reports `capabilities.chat = false`, so the default prompt style is plain.
 * - A chat request that ends with an assistant message is continued (step-level search): with
 *   the dialect's `continue_final_message`, by the server's own prefill, or by rendering the
 *   model's chat template here (`template`) and sending the text to /v1/completions. A server that
 *   can do none of these fails naming the missing capability.
 * - `n > 1` is sent natively where the dialect has it; when a server returns fewer choices, the
 *   backend switches to separate calls (seeded copies get seed, seed+1, ...).
 * - Usage per choice: from the tokens the server returned (log-probs or ids) when its own usage is
 *   missing or low (llama-server counts only the first of n choices); `Completion.usageSource`
 *   says which. Settings a server could not take are listed in `Completion.warnings`.
 * - Retries: the openai client retries connection errors, 408/409/429 and 5xx with backoff.
 */
import OpenAI from 'openai';
import { RlmkitError, runtimeError, usageError } from '../core/errors.js';
import { loadChatTemplate, type ChatTemplate } from './chat-template.js';
import { DIALECTS, detectDialect, readModelsInfo, type Dialect, type DialectName } from './dialects/dialect.js';
import { parseChoices, parseUsage, type ParsedChoice } from './dialects/parse.js';
import { probeChatFormat } from './dialects/probe.js';
import { buildBody } from './dialects/request.js';
import { mapFinishReason } from './dialects/finish.js';
import type { HfTokenizer } from './hf-tokenizer.js';
import { renderChatAsText, truncateAtStop } from './text.js';
import type { ChatMessage, Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from './types.js';
import { validateGenerateOptions, validateRequests } from './validate.js';
import { toWireMessage } from './multimodal.js';

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
  /** The server's dialect (default: detected by `probe()`, 'generic' before). */
  dialect?: DialectName;
  /** Declares whether the model has a chat format (skips the probe): false = plain prompt style. */
  chat?: boolean;
  /** The model's chat template (tokenizer_config.json, model folder, .gguf or .jinja): chat is rendered here and sent to /v1/completions. */
  template?: string | ChatTemplate;
  /** The model's Hugging Face tokenizer (tokenizer.json or folder), for exact `countTokens`. */
  tokenizer?: HfTokenizer;
}

/** Base URL and API key from the config, then RLMKIT_* and OPENAI_* variables. */
export function resolveHttpEndpoint(
  cfg: { baseURL?: string; apiKey?: string },
  env: NodeJS.ProcessEnv = process.env,
): { baseURL: string; apiKey: string | undefined } {
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
    return Object.assign(
      new RlmkitError(`cannot reach the model server at ${baseURL}: ${e.message}`, {
        kind: 'network',
        hint: 'start the server or fix --model / OPENAI_BASE_URL',
        cause: e,
      }),
      { status: undefined },
    );
  }
  if (e instanceof OpenAI.APIError) {
    const status = e.status;
    const kind = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429 ? 'input' : 'network';
    const hint =
      status === 401 || status === 403
        ? 'set the API key (OPENAI_API_KEY or RLMKIT_API_KEY)'
        : status === 404
          ? `check the model name "${model}" and the base URL ${baseURL}`
          : 'check the request options and the server logs';
    return Object.assign(
      new RlmkitError(`model server ${baseURL} answered ${status ?? 'an error'}: ${e.message}`, { kind, hint, cause: e }),
      { status },
    );
  }
  return e;
}

/** A request the server cannot serve: names the capability. */
export function capabilityError(server: string, capability: string, what: string, hint: string): RlmkitError {
  return new RlmkitError(`${server} cannot ${what} (missing capability: ${capability})`, { kind: 'input', hint });
}

interface RawResponse {
  choices: ParsedChoice[];
  promptTokens?: number;
  completionTokens?: number;
  warnings: string[];
  /** The server's count lacked the end-of-sequence token, which rlmkit added. */
  eosAdded?: boolean;
}

export class HttpPolicy implements Policy {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: PolicyCapabilities;
  readonly baseURL: string;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly api: 'auto' | 'chat' | 'completions';
  private readonly concurrency: number;
  private dialectInfo: Dialect;
  private template: ChatTemplate | null;
  private readonly templateSource: string | undefined;
  private readonly hfTokenizer: HfTokenizer | undefined;
  /** Flips to false once the server rejects n > 1. */
  private nativeN: boolean;
  /** Lowered to 4 when a server of unknown dialect rejects more stop sequences. */
  private maxStops: number | null;
  /** What the last probe found (for `rlmkit doctor`-style reports and tests). */
  probeReport: { dialect: DialectName; chat: boolean; why: string } | null = null;

  constructor(cfg: HttpPolicyConfig) {
    if (!cfg.model)
      throw usageError('the HTTP backend needs a model name', 'write it after "#" (http://host/v1#model) or as openai:<model>');
    const { baseURL, apiKey } = resolveHttpEndpoint(cfg, cfg.env);
    this.baseURL = baseURL;
    this.model = cfg.model;
    this.api = cfg.api ?? 'auto';
    this.concurrency = Math.max(1, cfg.concurrency ?? 16);
    this.id = cfg.id ?? `http:${cfg.model}@${baseURL}`;
    // The openai client insists on a key; local servers ignore it.
    this.client = new OpenAI({ baseURL, apiKey: apiKey ?? 'none', maxRetries: cfg.maxRetries ?? 2, timeout: cfg.timeoutMs ?? 120_000 });
    this.dialectInfo = DIALECTS[cfg.dialect ?? detectDialect(baseURL, null)];
    this.nativeN = this.dialectInfo.nativeN !== false;
    this.maxStops = this.dialectInfo.maxStops;
    this.template = typeof cfg.template === 'object' ? cfg.template : null;
    this.templateSource = typeof cfg.template === 'string' ? cfg.template : undefined;
    this.hfTokenizer = cfg.tokenizer;
    const chat = cfg.chat ?? this.api !== 'completions';
    this.capabilities = {
      logprobs: true,
      n: this.nativeN,
      tokenIds: false,
      prefixCaching: false,
      chat,
      maxBatch: this.concurrency,
      // Image parts go unchanged to /v1/chat/completions; the server says whether its model reads them.
      images: this.api !== 'completions' && cfg.template === undefined,
    };
    this.declared = { dialect: cfg.dialect !== undefined, chat: cfg.chat !== undefined };
  }

  private readonly declared: { dialect: boolean; chat: boolean };

  get dialect(): DialectName {
    return this.dialectInfo.name;
  }

  /** Whether the server accepted n > 1 so far. */
  get supportsNativeN(): boolean {
    return this.nativeN;
  }

  countTokens(text: string): number {
    if (this.hfTokenizer) return this.hfTokenizer.countTokens(text);
    // Without the model's tokenizer: ~4 characters per token, the usual English estimate.
    return Math.ceil(text.length / 4);
  }

  /**
   * Learns the server: dialect and context size from /v1/models, and whether the model has a chat
   * format (unless declared). Network failures are thrown (the server is down or the URL wrong).
   */
  async probe(): Promise<{ dialect: DialectName; chat: boolean; why: string }> {
    if (this.templateSource && !this.template) this.template = loadChatTemplate(this.templateSource);
    let info = null;
    try {
      info = readModelsInfo(await this.client.get('/models'), this.model);
    } catch (e) {
      const w = wrapError(e, this.baseURL, this.model) as { status?: number };
      if (w.status === undefined || w.status >= 500) throw w;
    }
    if (!this.declared.dialect) {
      this.dialectInfo = DIALECTS[detectDialect(this.baseURL, info)];
      this.nativeN = this.dialectInfo.nativeN !== false;
      this.maxStops = this.dialectInfo.maxStops;
      this.capabilities.n = this.nativeN;
    }
    if (info?.contextTokens) this.capabilities.contextTokens = info.contextTokens;
    let why = 'declared';
    if (!this.declared.chat && this.api === 'auto') {
      let r: { chat: boolean; why: string };
      try {
        if (this.template) r = { chat: !this.template.isPlain(), why: `chat template ${this.template.origin}` };
        // Hosted OpenAI models are chat models; probing would bill two requests (declare ?chat=false for an instruct-completions model).
        else if (this.dialectInfo.name === 'openai') r = { chat: true, why: 'OpenAI hosted models are chat models' };
        else r = await probeChatFormat((path, body) => this.client.post(path, { body }), this.model);
      } catch (e) {
        throw wrapError(e, this.baseURL, this.model);
      }
      this.capabilities.chat = r.chat;
      why = r.why;
    }
    this.probeReport = { dialect: this.dialectInfo.name, chat: this.capabilities.chat, why };
    return this.probeReport;
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
        if (got.choices.length >= n) return this.toCompletions(got, o, n).slice(0, n);
        // The server silently ignored n: fetch the rest one by one.
        this.nativeN = false;
        this.capabilities.n = false;
        const rest = await this.separately(request, o, n - got.choices.length, got.choices.length);
        return [...this.toCompletions(got, o, got.choices.length), ...rest];
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status === undefined || status < 400 || status >= 500 || status === 408 || status === 429) throw e;
        this.nativeN = false;
        this.capabilities.n = false;
      }
    }
    if (n > 1) return this.separately(request, o, n, 0);
    return this.toCompletions(await this.call(request, o, 1), o, 1);
  }

  private async separately(request: GenerateRequest, o: GenerateOptions, count: number, offset: number): Promise<Completion[]> {
    const calls = Array.from({ length: count }, (_, j) =>
      this.call(request, { ...o, seed: o.seed === undefined ? undefined : o.seed + offset + j }, 1),
    );
    return (await Promise.all(calls)).flatMap((r) => this.toCompletions(r, o, 1).slice(0, 1));
  }

  /** The endpoint and payload for a request: chat, continued chat, or (rendered) text. */
  private route(
    request: GenerateRequest,
  ): { chat: true; messages: ChatMessage[]; extra: Record<string, unknown> } | { chat: false; prompt: string } {
    if (request.messages === undefined || this.api === 'completions') {
      if (this.api === 'chat') return { chat: true, messages: [{ role: 'user', content: request.prompt ?? '' }], extra: {} };
      if (request.messages && this.template) return { chat: false, prompt: this.renderTemplate(request.messages) };
      return { chat: false, prompt: request.prompt ?? renderChatAsText(request.messages ?? []) };
    }
    const messages = request.messages;
    const continuing = messages[messages.length - 1]?.role === 'assistant';
    // With the model's template at hand, chat goes out as the exact text on /v1/completions.
    if (this.template && this.api === 'auto') return { chat: false, prompt: this.renderTemplate(messages) };
    if (!continuing) return { chat: true, messages, extra: {} };
    switch (this.dialectInfo.continueMode) {
      case 'continue_final_message':
        return { chat: true, messages, extra: { continue_final_message: true, add_generation_prompt: false } };
      case 'prefill':
        return { chat: true, messages, extra: {} };
      default:
        throw capabilityError(
          `the ${this.dialectInfo.name} server at ${this.baseURL}`,
          'continue_final_message',
          'continue a final assistant message (step-level search over chat)',
          "give the model's chat template in the spec (?template=<tokenizer_config.json | model folder | file.gguf | file.jinja>) so rlmkit renders the prompt for /v1/completions, or use --style plain",
        );
    }
  }

  private renderTemplate(messages: ChatMessage[]): string {
    const continuing = messages[messages.length - 1]?.role === 'assistant';
    return this.template!.render(messages, { continueFinalMessage: continuing });
  }

  private async call(request: GenerateRequest, o: GenerateOptions, n: number): Promise<RawResponse> {
    const route = this.route(request);
    const built = buildBody(this.dialectInfo, this.model, o, n, route.chat, this.maxStops);
    // Chat messages go out as role + content; image parts unchanged (multimodal.ts).
    const body = route.chat
      ? { ...built.body, messages: route.messages.map(toWireMessage), ...route.extra }
      : { ...built.body, prompt: route.prompt };
    const path = route.chat ? '/chat/completions' : '/completions';
    let res: unknown;
    try {
      res = await this.client.post(path, { body, signal: o.signal });
    } catch (e) {
      const w = wrapError(e, this.baseURL, this.model) as RlmkitError & { status?: number };
      // A server of unknown limits that refuses our stop list: OpenAI's limit of 4, said in a warning.
      const stops = o.stop ?? [];
      if (w.status === 400 && stops.length > 4 && this.maxStops === null && /stop/i.test(w.message)) {
        this.maxStops = 4;
        return this.call(request, o, n);
      }
      throw w;
    }
    const usage = parseUsage(res);
    const raw: RawResponse = {
      choices: parseChoices(res, route.chat).sort((a, b) => a.index - b.index),
      ...usage,
      warnings: built.warnings,
    };
    if (this.dialectInfo.uncountedEos) await this.resolveUncountedEos(raw, o);
    return raw;
  }

  /** Tokens the server's tokenize endpoint gives for `text` (BOS it adds taken off). */
  private async tokenizeCount(text: string): Promise<number> {
    const ep = this.dialectInfo.uncountedEos!;
    const root = this.baseURL.replace(/\/v1$/, '');
    const count = async (t: string) => {
      const r = await fetch(`${root}${ep.tokenizePath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ [ep.field]: t, model: this.model }),
      });
      if (!r.ok)
        throw runtimeError(`the ${this.dialectInfo.name} server's ${ep.tokenizePath} answered ${r.status}`, 'check the server version');
      const body = (await r.json()) as { tokens?: unknown };
      if (!Array.isArray(body.tokens))
        throw runtimeError(`the ${this.dialectInfo.name} server's ${ep.tokenizePath} sent no tokens`, 'check the server version');
      return body.tokens.length;
    };
    this.tokenizeOverhead ??= await count('');
    return (await count(text)) - this.tokenizeOverhead;
  }

  private tokenizeOverhead: number | undefined;

  /**
   * For servers that count neither the end-of-sequence token nor say why a choice stopped: tells
   * end-of-sequence from a stop string and adds the uncounted end token to the usage.
   */
  private async resolveUncountedEos(r: RawResponse, o: GenerateOptions): Promise<void> {
    if (r.choices.length !== 1 || r.completionTokens === undefined) return;
    const c = r.choices[0];
    if (c.finish !== 'stop' || c.stopReason !== undefined) return;
    let eos = true;
    if ((o.stop?.length ?? 0) > 0) eos = (await this.tokenizeCount(c.text)) === r.completionTokens;
    if (eos) {
      c.stopReason = null;
      r.completionTokens += 1;
      r.eosAdded = true;
    } else if (o.stop!.length === 1) c.stopReason = o.stop![0];
  }

  private toCompletions(r: RawResponse, o: GenerateOptions, asked: number): Completion[] {
    if (r.choices.length === 0) throw runtimeError(`model server ${this.baseURL} returned no choices`, 'check the server logs');
    if (o.logprobs && r.choices.some((c) => !c.logprobs)) {
      throw capabilityError(
        `the ${this.dialectInfo.name} server at ${this.baseURL}`,
        'logprobs',
        'return per-token log-probabilities for this request',
        'use a server that returns log-probs (vLLM, SGLang, llama.cpp, rlmkit serve), or run without log-probs',
      );
    }
    const counts = r.choices.map((c) => c.tokenIds?.length ?? c.logprobs?.length).map((x) => (x !== undefined && r.eosAdded ? x + 1 : x));
    const allCounted = counts.every((x): x is number => x !== undefined);
    const countedTotal = allCounted ? counts.reduce((a, b) => a + b, 0) : undefined;
    // The server's total is used when it covers every returned token; else our count.
    const serverOk = r.completionTokens !== undefined && (countedTotal === undefined || r.completionTokens >= countedTotal);
    return r.choices.map((c, k) => {
      const cut = truncateAtStop(c.text, o.stop);
      const { finishReason, stopSequence } = mapFinishReason(c, o.stop, cut.stopSequence);
      let completionTokens: number;
      let usageSource: Completion['usageSource'];
      if (serverOk && (asked === 1 || r.choices.length === 1)) {
        completionTokens = r.completionTokens!;
        usageSource = r.eosAdded ? 'counted' : 'server';
      } else if (serverOk && countedTotal === undefined) {
        completionTokens = Math.round(r.completionTokens! / r.choices.length);
        usageSource = 'server';
      } else if (counts[k] !== undefined) {
        completionTokens = counts[k]!;
        usageSource = serverOk && countedTotal === r.completionTokens ? 'server' : 'counted';
      } else {
        completionTokens = this.countTokens(c.text);
        usageSource = 'estimated';
      }
      const completion: Completion = {
        text: cut.text,
        finishReason,
        usage: { promptTokens: r.promptTokens ?? 0, completionTokens },
        usageSource,
      };
      if (stopSequence !== undefined) completion.stopSequence = stopSequence;
      if (o.logprobs && c.logprobs) completion.logprobs = c.logprobs;
      if (c.tokenIds) completion.tokenIds = c.tokenIds;
      if (c.tokens) completion.tokens = c.tokens;
      if (r.warnings.length > 0) completion.warnings = [...r.warnings];
      return completion;
    });
  }
}
