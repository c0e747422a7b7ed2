/**
 * Reads the choices of OpenAI-style responses in every shape servers send:
 *
 * - log-probs on /v1/completions: OpenAI's legacy `{tokens, token_logprobs, top_logprobs}`, or the
 *   chat shape `{content: [{token, logprob, id?, bytes?}]}` that llama-server sends on both
 *   endpoints; on /v1/chat/completions: `logprobs.content[]`;
 * - token ids: `token_ids` on the choice (vLLM `return_token_ids`), `id` in llama-server's
 *   log-prob entries, or tokens written "token_id:N" (vLLM `return_tokens_as_token_ids`);
 * - which stop ended a choice: vLLM's `stop_reason` (a string or a token id; null for
 *   end-of-sequence), llama-server's `stopping_word` where present.
 */

export interface ParsedChoice {
  /** Choice index as the server numbered it. */
  index: number;
  text: string;
  finish: string | null;
  /** The stop string or token that ended the choice; null: end of sequence; undefined: not said. */
  stopReason: unknown;
  logprobs?: number[];
  tokens?: string[];
  tokenIds?: number[];
}

interface ContentEntry {
  token?: unknown;
  logprob?: unknown;
  id?: unknown;
}

function idOf(token: unknown): number | undefined {
  const m = typeof token === 'string' ? /^token_id:(\d+)$/.exec(token) : null;
  return m ? Number(m[1]) : undefined;
}

/** Log-probs, token texts and ids from any of the shapes. */
export function readLogprobs(lp: unknown): Pick<ParsedChoice, 'logprobs' | 'tokens' | 'tokenIds'> {
  if (!lp || typeof lp !== 'object') return {};
  const o = lp as { content?: unknown; token_logprobs?: unknown; tokens?: unknown };
  if (Array.isArray(o.content)) {
    const entries = o.content as ContentEntry[];
    const out: Pick<ParsedChoice, 'logprobs' | 'tokens' | 'tokenIds'> = {
      logprobs: entries.map((e) => (typeof e?.logprob === 'number' ? e.logprob : Number.NEGATIVE_INFINITY)),
      tokens: entries.map((e) => (typeof e?.token === 'string' ? e.token : '')),
    };
    const ids = entries.map((e) => (typeof e?.id === 'number' ? e.id : idOf(e?.token)));
    if (ids.length > 0 && ids.every((x) => typeof x === 'number')) out.tokenIds = ids as number[];
    return out;
  }
  if (Array.isArray(o.token_logprobs)) {
    const tokens = Array.isArray(o.tokens) ? (o.tokens as unknown[]).map((t) => (typeof t === 'string' ? t : '')) : undefined;
    const out: Pick<ParsedChoice, 'logprobs' | 'tokens' | 'tokenIds'> = {
      // The first entry of an echoed prompt is null; a generated token always has a number.
      logprobs: (o.token_logprobs as unknown[]).map((x) => (typeof x === 'number' ? x : 0)),
      ...(tokens ? { tokens } : {}),
    };
    const ids = tokens?.map(idOf);
    if (ids && ids.length > 0 && ids.every((x) => typeof x === 'number')) out.tokenIds = ids as number[];
    return out;
  }
  return {};
}

function stopReasonOf(c: Record<string, unknown>): unknown {
  if ('stop_reason' in c) return c.stop_reason ?? null;
  if (typeof c.stopping_word === 'string' && c.stopping_word !== '') return c.stopping_word;
  return undefined;
}

/** The choices of a /v1/completions or /v1/chat/completions body. */
export function parseChoices(body: unknown, chat: boolean): ParsedChoice[] {
  const raw = (body as { choices?: unknown })?.choices;
  if (!Array.isArray(raw)) return [];
  return (raw as Record<string, unknown>[]).map((c, k) => {
    const text = chat ? String((c.message as { content?: unknown } | undefined)?.content ?? '') : String(c.text ?? '');
    const parsed: ParsedChoice = {
      index: typeof c.index === 'number' ? c.index : k,
      text,
      finish: typeof c.finish_reason === 'string' ? c.finish_reason : null,
      stopReason: stopReasonOf(c),
      ...readLogprobs(c.logprobs),
    };
    if (Array.isArray(c.token_ids) && (c.token_ids as unknown[]).every((x) => typeof x === 'number'))
      parsed.tokenIds = c.token_ids as number[];
    return parsed;
  });
}

/** Prompt and completion token totals of a body (undefined when the server sent no usage). */
export function parseUsage(body: unknown): { promptTokens?: number; completionTokens?: number } {
  const u = (body as { usage?: Record<string, unknown> })?.usage;
  if (!u || typeof u !== 'object') return {};
  return {
    ...(typeof u.prompt_tokens === 'number' ? { promptTokens: u.prompt_tokens } : {}),
    ...(typeof u.completion_tokens === 'number' ? { completionTokens: u.completion_tokens } : {}),
  };
}
