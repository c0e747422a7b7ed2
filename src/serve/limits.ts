/**
 * What one request may cost, checked before any work starts; a request over a limit gets a 400
 * that names the limit and the flag that sets it. Searches also get a budget (tokens, wall time)
 * filled in up to the caps, so every search ends on its own.
 *
 * The OpenAI request fields rlmkit does not implement are refused here with a 400 naming the
 * field, never accepted and ignored.
 */
import type { Budget } from '../reasoning/budget.js';
import { settingName } from '../reasoning/strategies/index.js';
import { HttpError } from './errors.js';

export interface ServeLimits {
  /** prompts x n x max_tokens of one plain request. */
  maxRequestTokens: number;
  /** Search size of one `<strategy>@<model>` request: problems x the strategy's breadth settings. */
  maxSearchNodes: number;
  /** Tokens one search may use (its `budget.tokens`, filled in when absent). */
  maxSearchTokens: number;
  /** Wall time one search may take in ms (its `budget.wall_ms`, filled in when absent). */
  maxSearchWallMs: number;
  /** Wall time of any request in ms, body excluded; past it the request is cancelled (504). */
  maxRequestMs: number;
  /** Time allowed for the request body to arrive, in ms (408 after). */
  bodyTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxRequestTokens: 262_144,
  maxSearchNodes: 65_536,
  maxSearchTokens: 2_000_000,
  maxSearchWallMs: 300_000,
  maxRequestMs: 600_000,
  bodyTimeoutMs: 10_000,
};

/** The CLI flag of each limit, named in every refusal. */
export const LIMIT_FLAGS: Record<keyof ServeLimits, string> = {
  maxRequestTokens: '--max-request-tokens',
  maxSearchNodes: '--max-search-nodes',
  maxSearchTokens: '--max-search-tokens',
  maxSearchWallMs: '--max-search-wall-ms',
  maxRequestMs: '--max-request-ms',
  bodyTimeoutMs: '--body-timeout-ms',
};

function over(limit: keyof ServeLimits, what: string, value: number, max: number, param: string | null): HttpError {
  return new HttpError(
    400,
    `${what} = ${value} exceeds this server's limit ${limit} = ${max} (set by ${LIMIT_FLAGS[limit]})`,
    'invalid_request_error',
    param,
    'limit_exceeded',
  );
}

/** prompts x n x max_tokens within maxRequestTokens. */
export function checkPlainCost(limits: ServeLimits, prompts: number, n: number, maxTokens: number): void {
  const cost = prompts * n * maxTokens;
  if (cost > limits.maxRequestTokens)
    throw over(
      'maxRequestTokens',
      `prompts (${prompts}) x n (${n}) x max_tokens (${maxTokens})`,
      cost,
      limits.maxRequestTokens,
      'max_tokens',
    );
}

/** Settings (parsed: camelCase fields) that multiply how many nodes a search may expand (whatever the strategy calls them). */
const BREADTH = ['simulations', 'children', 'n', 'm', 'beamWidth', 'k', 'breadth', 'rollouts', 'maxChildren', 'initial'];

/**
 * A search's size: problems x the product of its breadth settings (MCTS: simulations x children;
 * best-of-n: n; beam: beam_width x k; ...). An upper-bound style estimate, computed from the
 * validated settings before the search starts.
 */
export function searchNodes(problems: number, settings: Record<string, unknown>): { nodes: number; factors: string } {
  let nodes = problems;
  const factors: string[] = [`problems (${problems})`];
  for (const k of BREADTH) {
    const v = settings[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 1) {
      nodes *= v;
      factors.push(`${settingName(k)} (${v})`);
    }
  }
  return { nodes, factors: factors.join(' x ') };
}

export function checkSearchCost(limits: ServeLimits, problems: number, settings: Record<string, unknown>, budget: Budget): void {
  const { nodes, factors } = searchNodes(problems, settings);
  if (nodes > limits.maxSearchNodes) throw over('maxSearchNodes', factors, nodes, limits.maxSearchNodes, null);
  if (budget.tokens !== undefined && budget.tokens > limits.maxSearchTokens)
    throw over('maxSearchTokens', 'budget.tokens', budget.tokens, limits.maxSearchTokens, 'budget.tokens');
  if (budget.completionTokens !== undefined && budget.completionTokens > limits.maxSearchTokens)
    throw over('maxSearchTokens', 'budget.completion_tokens', budget.completionTokens, limits.maxSearchTokens, 'budget.completion_tokens');
  if (budget.wallMs !== undefined && budget.wallMs > limits.maxSearchWallMs)
    throw over('maxSearchWallMs', 'budget.wall_ms', budget.wallMs, limits.maxSearchWallMs, 'budget.wall_ms');
}

/** The caps a search's budget is filled in up to. */
export function searchBudgetCap(limits: ServeLimits): Budget {
  return { tokens: limits.maxSearchTokens, wallMs: limits.maxSearchWallMs };
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/**
 * OpenAI request fields this server does not implement. A request that gives one of them a value
 * that would change the answer gets a 400 naming it (null, false, [] and {} pass: clients send
 * those as defaults). `ok` says which values are the same as not sending the field.
 */
const REFUSED: Record<string, { why: string; ok?: (v: unknown) => boolean }> = {
  suffix: { why: 'insertion (suffix) is not supported', ok: (v) => v === '' },
  tools: { why: 'tool calling is supported on /v1/chat/completions only; it is not supported' },
  tool_choice: { why: 'tool calling is supported on /v1/chat/completions only; it is not supported', ok: (v) => v === 'none' },
  parallel_tool_calls: { why: 'tool calling is supported on /v1/chat/completions only; it is not supported' },
  functions: { why: 'function calling is not supported' },
  function_call: { why: 'function calling is not supported', ok: (v) => v === 'none' },
  response_format: {
    why: 'structured output is not supported; only {"type": "text"}',
    ok: (v) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'text' && Object.keys(v).length === 1,
  },
  audio: { why: 'audio output is not supported' },
  modalities: { why: 'only text output is supported', ok: (v) => Array.isArray(v) && v.every((m) => m === 'text') },
  prediction: { why: 'predicted outputs are not supported' },
  web_search_options: { why: 'web search is not supported' },
  reasoning_effort: { why: 'reasoning_effort is not supported; choose a strategy with "<strategy>@<model>"' },
  service_tier: { why: 'service tiers are not supported', ok: (v) => v === 'auto' || v === 'default' },
};

/** Refuses the REFUSED fields a request sets, except those its endpoint implements (`supported`). */
export function refuseUnsupported(body: Record<string, unknown>, supported: readonly string[] = []): void {
  for (const [field, rule] of Object.entries(REFUSED)) {
    if (!(field in body) || supported.includes(field)) continue;
    const v = body[field];
    if (isEmpty(v) || rule.ok?.(v)) continue;
    throw new HttpError(400, `"${field}": ${rule.why} by this server`, 'invalid_request_error', field, 'unsupported_parameter');
  }
}
