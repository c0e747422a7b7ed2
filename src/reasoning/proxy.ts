/**
 * The reasoning proxy: every strategy served as a model. `rlmkit serve` resolves the model name
 * `<strategy>@<model>` (e.g. `self-consistency@tiny`, `mcts@http-backend`) to a `ReasoningPolicy`
 * that runs the strategy with `<model>` as its policy, like optillm but:
 *
 * - the full message history is kept: the conversation is the problem, rendered whole into every
 *   step prompt (chat models) or as text (completion models);
 * - usage counts every internal token: the response's usage is the sum over all the policy calls
 *   the search made (and `n` > 1 runs n searches, batched in lockstep);
 * - streaming reports progress while the search runs (the server sends it as SSE comment lines,
 *   which every SSE client skips), then the final answer;
 * - `task` in the extra body (`{"task": "game24"}`) makes the search run on that task's problem,
 *   with its rule checks, answer extraction and verifier (src/reasoning/served-problem.ts);
 * - every model call carries the request's abort signal and fairness flow, so a client that goes
 *   away stops its search within one model call.
 *
 * Strategy settings come from the request's extra body (`extra_body` in the OpenAI SDKs): a
 * `settings` object (`{"settings": {"n": 8, "vote": "weighted"}}`), or top-level fields that name
 * a setting and are not OpenAI request fields (`{"simulations": 16}`; `n`, `temperature`, ... keep
 * their OpenAI meaning at the top level), plus `budget` (`{"budget": {"tokens": 20000, "wall_ms": 5000}}`,
 * snake_case like the settings, camelCase accepted). Other
 * unknown fields are ignored, as OpenAI servers do.
 *
 * The provider is structural (name, list, resolve), so this file needs nothing from src/serve.
 */
import { usageError } from '../core/errors.js';
import type { ChatMessage, Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from '../models/types.js';
import { extractAnswer as extractMathAnswer } from '../tasks/grader/extract.js';
import { normalizeAnswer } from '../tasks/grader/normalize.js';
import type { Problem, Task } from '../tasks/types.js';
import { type Budget, parseBudget } from './budget.js';
import { isProblemAware } from './legal-policy.js';
import { servedProblem, servedTask } from './served-problem.js';
import type { Trace } from './trace.js';
import { canonicalSettings, getStrategy, parseSettings, settingName, strategyNames } from './strategies/index.js';
import type { Strategy } from './strategy.js';
import type { ReasoningNode } from './structure.js';
import { solveMany, type SolveProgress, type SolveResult } from './solve.js';

/** A served conversation as a problem: the messages (chat) or the prompt text (completions). */
export type ConversationProblem = Problem & { data: { messages?: ChatMessage[]; prompt?: string } };

/** Steps of chat answers are paragraphs; of completion-style answers, lines (x1's "\n"). */
const CHAT_STEP_SEPARATOR = '\n\n';

/**
 * The task behind the proxy: no rules and no answer key, so terminal states are where the model
 * ends its answer, answers are extracted like math answers (\boxed{}, ####, "the answer is"), and
 * two answers agree when they normalise to the same text or number.
 */
export const conversationTask: Task<ConversationProblem> = {
  name: 'conversation',
  description: 'a served chat or completion request (reasoning proxy)',
  splits: [],
  verifierNeedsAnswer: true,
  chatStepStop: [CHAT_STEP_SEPARATOR],
  async problems() {
    return [];
  },
  renderPlain(p, steps = []) {
    const base = p.data.prompt ?? (p.data.messages ?? []).map((m) => m.content).join('\n');
    return `${base}${steps.map((s) => `${s}\n`).join('')}`;
  },
  renderChat(p, steps = []) {
    const messages = p.data.messages ?? [{ role: 'user' as const, content: p.data.prompt ?? '' }];
    if (steps.length === 0) return messages.map((m) => ({ ...m }));
    // The steps so far continue the assistant's turn (appended to a trailing assistant message).
    const last = messages[messages.length - 1];
    const partial = steps.map((s) => `${s}${CHAT_STEP_SEPARATOR}`).join('');
    if (last?.role === 'assistant') return [...messages.slice(0, -1), { role: 'assistant', content: `${last.content}${partial}` }];
    return [...messages, { role: 'assistant', content: partial }];
  },
  extractAnswer(text) {
    // Only an explicit answer counts (a step that states one ends the solution); a free-form
    // reply without one is still returned whole by the proxy.
    const found = extractMathAnswer(text);
    const explicit = found.method === 'boxed' || found.method === 'hash' || found.method === 'answer-is' || found.method === 'answer-colon';
    return explicit && found.answer && found.answer.trim() !== '' ? found.answer.trim() : null;
  },
  async verify(answer) {
    return { correct: false, score: 0, extracted: answer, details: 'a served conversation has no reference answer' };
  },
  sameAnswer(a, b) {
    const x = normalizeAnswer(a);
    const y = normalizeAnswer(b);
    if (x === y) return true;
    // Plain numbers compare by value ("0.50" = ".5"); the symbolic grader is too slow to load here.
    const nx = Number(x.replace(/,/g, ''));
    const ny = Number(y.replace(/,/g, ''));
    return (
      x !== '' &&
      y !== '' &&
      Number.isFinite(nx) &&
      Number.isFinite(ny) &&
      Math.abs(nx - ny) <= 1e-9 * Math.max(1, Math.abs(nx), Math.abs(ny))
    );
  },
};

export interface RequestContext {
  /** The raw request body (settings are read from its extra fields). */
  body: Record<string, unknown>;
  onProgress?: (event: Record<string, unknown>) => void;
  /** The server's caps: the search budget is filled in (and clipped) up to these. */
  budgetCap?: Budget;
  /** Receives the searches' traces (one per problem); traces are built only when this is given. */
  onTraces?: (traces: Trace[]) => void;
}

/**
 * The inner policy as one request sees it: every call carries the request's fairness flow and,
 * when the call has none of its own (lockstep's merged calls), the request's abort signal.
 */
function scopedPolicy(inner: Policy, flow: string | undefined, signal: AbortSignal | undefined): Policy {
  if (flow === undefined && signal === undefined) return inner;
  const p: Policy & { attach?: unknown } = {
    id: inner.id,
    capabilities: inner.capabilities,
    generate: (requests: GenerateRequest[], o: GenerateOptions = {}) =>
      inner.generate(requests, { ...o, ...(flow !== undefined ? { flow } : {}), signal: o.signal ?? signal }),
  };
  if (inner.countTokens) p.countTokens = inner.countTokens.bind(inner);
  if (isProblemAware(inner)) p.attach = inner.attach.bind(inner);
  return p;
}

let conversationCounter = 0;

/** Fields of OpenAI completion/chat requests: never read as strategy settings at the top level. */
const OPENAI_FIELDS = new Set([
  'model',
  'prompt',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'n',
  'stop',
  'seed',
  'stream',
  'stream_options',
  'user',
  'logprobs',
  'top_logprobs',
  'echo',
  'best_of',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'response_format',
  'tools',
  'tool_choice',
  'settings',
  'budget',
  'task',
  'problem',
]);

export class ReasoningPolicy implements Policy {
  readonly id: string;
  /** The model interface version implemented (../models/interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: PolicyCapabilities;
  /** Marks this policy for servers that stream progress before the answer. */
  readonly streamsProgress = true;

  constructor(
    readonly strategy: Strategy,
    readonly inner: Policy,
    readonly modelName: string,
    private readonly defaults: { settings?: Record<string, unknown>; budget?: Budget } = {},
  ) {
    this.id = `${strategy.name}@${modelName}`;
    this.capabilities = { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: true, maxBatch: 64 };
  }

  countTokens(text: string): number {
    return this.inner.countTokens ? this.inner.countTokens(text) : Math.ceil(text.length / 4);
  }

  generate(requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> {
    return this.generateForRequest(requests, options, { body: {} });
  }

  /** Settings and budget from the request body's extra fields, over the provider's defaults. */
  settingsFrom(body: Record<string, unknown>): { settings: Record<string, unknown>; budget: Budget } {
    // Top-level body fields that name a setting (either spelling), then "settings", over the defaults.
    const fields = Object.keys((this.strategy.settings as unknown as { shape: Record<string, unknown> }).shape);
    const known = new Set([...fields, ...fields.map(settingName)]);
    const topLevel = Object.fromEntries(Object.entries(body).filter(([k]) => known.has(k) && !OPENAI_FIELDS.has(k)));
    if (body.settings !== undefined && (typeof body.settings !== 'object' || body.settings === null || Array.isArray(body.settings)))
      throw usageError(
        '"settings" must be an object of strategy settings',
        `run \`rlmkit strategies ${this.strategy.name}\` for the settings`,
      );
    const raw = {
      ...canonicalSettings(this.defaults.settings ?? {}),
      ...canonicalSettings(topLevel),
      ...canonicalSettings((body.settings as Record<string, unknown> | undefined) ?? {}),
    };
    const settings = parseSettings(this.strategy, raw);
    const budget = { ...parseBudget(this.defaults.budget), ...parseBudget(body.budget) };
    return { settings, budget };
  }

  async generateForRequest(requests: GenerateRequest[], options: GenerateOptions, request: RequestContext): Promise<Completion[][]> {
    const { settings, budget } = this.settingsFrom(request.body);
    for (const [k, cap] of Object.entries(request.budgetCap ?? {}) as [keyof Budget, number][]) budget[k] = Math.min(budget[k] ?? cap, cap);
    const task: Task<Problem> =
      request.body.task !== undefined && request.body.task !== null ? servedTask(request.body.task) : conversationTask;
    const n = options.n ?? 1;
    const problems: Problem[] = [];
    for (const r of requests) {
      const id = `conversation/${++conversationCounter}`;
      const question = r.messages ? ([...r.messages].reverse().find((m) => m.role === 'user')?.content ?? '') : (r.prompt ?? '');
      const base: Problem =
        task === conversationTask
          ? { id, question, data: r.messages ? { messages: r.messages } : { prompt: r.prompt ?? '' } }
          : await servedProblem(task, question, request.body.problem, id);
      for (let j = 0; j < n; j++) problems.push({ ...base, id: n > 1 ? `${base.id}/${j}` : base.id });
    }
    const onProgress = request.onProgress;
    const many = await solveMany(problems, {
      task,
      strategy: this.strategy,
      settings,
      budget,
      models: { policy: scopedPolicy(this.inner, options.flow, options.signal) },
      seed: options.seed ?? 0,
      style: this.inner.capabilities.chat ? 'chat' : 'plain',
      trace: request.onTraces !== undefined,
      caller: options.caller,
      signal: options.signal,
      ...(onProgress ? { onProgress: (p: SolveProgress) => onProgress({ ...p }), progressEveryMs: 200 } : {}),
      onResult: onProgress
        ? (r, i) =>
            onProgress({
              event: 'solved',
              problemIndex: i,
              answer: r.answer,
              stopReason: r.stopReason,
              tokens: r.usage.promptTokens + r.usage.completionTokens,
            })
        : undefined,
    });
    if (request.onTraces) request.onTraces(many.results.flatMap((r) => (r.trace ? [r.trace] : [])));
    const stepSeparator = task === conversationTask ? CHAT_STEP_SEPARATOR : '\n';
    return requests.map((_, i) => {
      const results = many.results.slice(i * n, (i + 1) * n);
      const prompt = results.reduce((s, r) => s + r.usage.promptTokens, 0);
      return results.map((r, j) => this.toCompletion(r, j === 0 ? prompt : 0, requests[i].messages !== undefined ? stepSeparator : '\n'));
    });
  }

  /** The final path's text as the assistant's answer; usage is the whole search's. */
  private toCompletion(r: SolveResult, promptTokens: number, separator: string): Completion {
    const node = r.node ?? fallbackNode(r);
    const steps = node ? [...node.steps] : [];
    const text = steps.join(separator) || (r.answer ?? '');
    return {
      text,
      finishReason: r.stopReason === 'done' ? 'stop' : 'length',
      usage: { promptTokens, completionTokens: r.usage.completionTokens },
    };
  }
}

/**
 * When a search found no answer, the reply is still the furthest it got: a finished solution if
 * any (the most visited, then the first), else the deepest explored node.
 */
function fallbackNode(r: SolveResult): ReasoningNode | null {
  // Only steps the search kept: with a task's rule check on, a rule-breaking step is never shown.
  const nodes = r.graph.nodes.filter((n) => n !== r.graph.root && !n.pruned && n.valid !== false);
  if (nodes.length === 0) return null;
  const finished = nodes.filter((n) => n.terminal);
  const pool = finished.length > 0 ? finished : nodes;
  return pool.reduce((a, b) => (b.visits > a.visits || (b.visits === a.visits && b.steps.length > a.steps.length) ? b : a));
}

/** Anything that resolves model names (the serve registry). */
export interface PolicyResolver {
  resolve(model: string): Promise<Policy | undefined>;
}

export interface ReasoningProviderOptions {
  /** Base model names to list as `<strategy>@<name>` in /v1/models (resolution works for any name). */
  baseModels?: () => string[];
  /** Default settings per strategy name, and a default budget for every request. */
  settings?: Record<string, Record<string, unknown>>;
  budget?: Budget;
}

/** Splits `<strategy>@<model>`; null when the name is not of that form or the strategy is unknown. */
export function parseReasoningModel(name: string): { strategy: string; model: string } | null {
  const at = name.indexOf('@');
  if (at <= 0 || at === name.length - 1) return null;
  const strategy = name.slice(0, at);
  if (!strategyNames().includes(strategy)) return null;
  return { strategy, model: name.slice(at + 1) };
}

/** The provider `rlmkit serve` registers: resolves `<strategy>@<model>` through the registry. */
export function reasoningProvider(o: ReasoningProviderOptions = {}) {
  const cache = new Map<string, ReasoningPolicy>();
  return {
    name: 'reasoning',
    list: (): string[] => (o.baseModels?.() ?? []).flatMap((m) => strategyNames().map((s) => `${s}@${m}`)),
    async resolve(model: string, registry: PolicyResolver): Promise<Policy | undefined> {
      const parsed = parseReasoningModel(model);
      if (!parsed) return undefined;
      // A search whose every model call is itself a search multiplies the cost of each level, and
      // names could nest a hundred deep: refused.
      if (parseReasoningModel(parsed.model))
        throw usageError(
          `"${model}": a strategy over another strategy is not served`,
          'name one strategy and a served model, e.g. mcts@<model>',
        );
      const hit = cache.get(model);
      if (hit) return hit;
      const inner = await registry.resolve(parsed.model);
      if (!inner) return undefined;
      const policy = new ReasoningPolicy(getStrategy(parsed.strategy), inner, parsed.model, {
        settings: o.settings?.[parsed.strategy],
        budget: o.budget,
      });
      cache.set(model, policy);
      return policy;
    },
  };
}

export function isRequestAware(
  p: Policy,
): p is Policy & { generateForRequest: ReasoningPolicy['generateForRequest']; streamsProgress: true } {
  return typeof (p as Partial<ReasoningPolicy>).generateForRequest === 'function';
}
