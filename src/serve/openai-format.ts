/**
 * Completions -> OpenAI response and stream-chunk JSON. Kept apart from the routes so the shapes
 * can be read against OpenAI's API reference in one place.
 */
import type { Completion, FinishReason } from '../models/types.js';
import type { ToolReply } from './tools.js';

let counter = 0;
/** Response ids: unique per server process, no randomness needed. */
export function responseId(prefix: string): string {
  counter = (counter + 1) % 1e9;
  return `${prefix}-${Date.now().toString(36)}${counter.toString(36).padStart(5, '0')}`;
}

export function openaiFinish(r: FinishReason): 'stop' | 'length' {
  return r === 'length' ? 'length' : 'stop';
}

/** Token texts of a completion: the backend's when known, else one piece holding the whole text. */
export function tokenPieces(c: Completion): string[] {
  if (c.tokens && c.tokens.length > 0) {
    // Backends include the token that ended a completion (e.g. "\n" for end-of-step) in `tokens`
    // but not in `text`: keep the pieces that spell the text.
    const pieces: string[] = [];
    let len = 0;
    for (const t of c.tokens) {
      if (len >= c.text.length) break;
      pieces.push(t);
      len += t.length;
    }
    if (pieces.join('') === c.text) return pieces;
  }
  return c.text ? [c.text] : [];
}

export function usageOf(groups: Completion[][]) {
  let prompt = 0;
  let completion = 0;
  for (const g of groups) {
    if (g.length > 0) prompt += g[0].usage.promptTokens;
    for (const c of g) completion += c.usage.completionTokens;
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * Completion-style logprobs: the sampled tokens' log-probs. When the backend gives no token texts,
 * the tokens are the completion's characters if the counts agree (character-level models), else
 * empty strings of the right count.
 */
function completionLogprobs(c: Completion) {
  if (!c.logprobs) return null;
  let tokens: string[];
  let lp: number[];
  let top: { token: string; logprob: number }[][] | null = null;
  if (c.tokens && c.tokens.length === c.logprobs.length) {
    // Only the tokens that spell the text (the ending token is not part of it).
    let len = 0;
    let k = 0;
    while (k < c.tokens.length && len < c.text.length) len += c.tokens[k++].length;
    tokens = c.tokens.slice(0, k);
    lp = c.logprobs.slice(0, k);
    if (c.topLogprobs && c.topLogprobs.length >= k) top = c.topLogprobs.slice(0, k);
  } else {
    lp = c.logprobs;
    tokens = [...c.text].length === lp.length ? [...c.text] : lp.map(() => '');
  }
  const offsets: number[] = [];
  let at = 0;
  for (const t of tokens) {
    offsets.push(at);
    at += t.length;
  }
  return {
    tokens,
    token_logprobs: lp,
    top_logprobs: top ? top.map(topDict) : null,
    text_offset: offsets,
    ...(top ? { rlmkitTop: top } : {}),
  };
}

/** OpenAI completions' top_logprobs entry: token text -> log-prob (the most likely first). */
function topDict(alts: { token: string; logprob: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of alts) if (!(a.token in out)) out[a.token] = a.logprob;
  return out;
}

function topList(alts: { token: string; logprob: number }[] | undefined) {
  return (alts ?? []).map((a) => ({ token: a.token, logprob: a.logprob, bytes: [...Buffer.from(a.token, 'utf8')] }));
}

function chatLogprobs(c: Completion) {
  const l = completionLogprobs(c);
  if (!l) return null;
  const top = (l as { rlmkitTop?: { token: string; logprob: number }[][] }).rlmkitTop;
  return {
    content: l.tokens.map((token, i) => ({
      token,
      logprob: l.token_logprobs[i],
      bytes: [...Buffer.from(token, 'utf8')],
      top_logprobs: topList(top?.[i]),
    })),
  };
}

/** The completions logprobs object without rlmkit's internal field. */
function publicLogprobs(c: Completion) {
  const l = completionLogprobs(c);
  if (!l) return null;
  const { rlmkitTop: _t, ...rest } = l as typeof l & { rlmkitTop?: unknown };
  return rest;
}

export function completionResponse(model: string, groups: Completion[][], created: number) {
  const choices = groups.flatMap((g, p) =>
    g.map((c, j) => ({
      index: p * g.length + j,
      text: c.text,
      finish_reason: openaiFinish(c.finishReason),
      stop_reason: c.stopSequence ?? null,
      logprobs: publicLogprobs(c),
    })),
  );
  return { id: responseId('cmpl'), object: 'text_completion', created, model, choices, usage: usageOf(groups) };
}

/** A chat choice's finish_reason: "tool_calls" when its reply called tools. */
function chatFinish(c: Completion, reply?: ToolReply): 'stop' | 'length' | 'tool_calls' {
  return reply?.toolCalls.length ? 'tool_calls' : openaiFinish(c.finishReason);
}

/** `replies` (tool requests): each completion read as content or tool calls (tools.ts). */
export function chatResponse(model: string, completions: Completion[], created: number, replies?: ToolReply[]) {
  const choices = completions.map((c, index) => ({
    index,
    message: replies?.[index].toolCalls.length
      ? { role: 'assistant', content: null, refusal: null, tool_calls: replies[index].toolCalls }
      : { role: 'assistant', content: replies ? replies[index].content : c.text, refusal: null },
    finish_reason: chatFinish(c, replies?.[index]),
    stop_reason: c.stopSequence ?? null,
    logprobs: chatLogprobs(c),
  }));
  return { id: responseId('chatcmpl'), object: 'chat.completion', created, model, choices, usage: usageOf([completions]) };
}

/** True when pieces[t] is token t and logprobs[t] belongs to it. */
function alignedLogprobs(c: Completion, pieces: string[]): boolean {
  return !!c.tokens && !!c.logprobs && c.logprobs.length === c.tokens.length && pieces.every((p, i) => p === c.tokens![i]);
}

/** The stream chunks of a completion request, in order (the final usage chunk excluded). */
export function* completionChunks(id: string, model: string, groups: Completion[][], created: number, withLogprobs: boolean) {
  for (let p = 0; p < groups.length; p++) {
    const g = groups[p];
    for (let j = 0; j < g.length; j++) {
      const c = g[j];
      const index = p * g.length + j;
      const pieces = tokenPieces(c);
      const perToken = withLogprobs && alignedLogprobs(c, pieces);
      for (let t = 0; t < pieces.length; t++) {
        const logprobs = perToken
          ? {
              tokens: [pieces[t]],
              token_logprobs: [c.logprobs![t]],
              top_logprobs: c.topLogprobs?.[t] ? [topDict(c.topLogprobs[t])] : null,
              text_offset: [0],
            }
          : null;
        yield { id, object: 'text_completion', created, model, choices: [{ index, text: pieces[t], finish_reason: null, logprobs }] };
      }
      yield {
        id,
        object: 'text_completion',
        created,
        model,
        choices: [{ index, text: '', finish_reason: openaiFinish(c.finishReason), stop_reason: c.stopSequence ?? null, logprobs: null }],
      };
    }
  }
}

export function* chatChunks(
  id: string,
  model: string,
  completions: Completion[],
  created: number,
  withLogprobs: boolean,
  replies?: ToolReply[],
) {
  for (let index = 0; index < completions.length; index++) {
    const c = completions[index];
    const reply = replies?.[index];
    if (reply?.toolCalls.length) {
      // OpenAI's tool-call stream: the role, then per call its id and name, then its arguments.
      yield {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index, delta: { role: 'assistant', content: null }, finish_reason: null, logprobs: null }],
      };
      for (let k = 0; k < reply.toolCalls.length; k++) {
        const call = reply.toolCalls[k];
        for (const fn of [
          { index: k, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
          { index: k, function: { arguments: call.function.arguments } },
        ])
          yield {
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [{ index, delta: { tool_calls: [fn] }, finish_reason: null, logprobs: null }],
          };
      }
      yield {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index, delta: {}, finish_reason: 'tool_calls', stop_reason: c.stopSequence ?? null, logprobs: null }],
      };
      continue;
    }
    yield {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
    };
    const pieces = reply && reply.content !== c.text ? (reply.content ? [reply.content] : []) : tokenPieces(c);
    for (let t = 0; t < pieces.length; t++) {
      const logprobs =
        withLogprobs && alignedLogprobs(c, pieces)
          ? {
              content: [
                {
                  token: pieces[t],
                  logprob: c.logprobs![t],
                  bytes: [...Buffer.from(pieces[t], 'utf8')],
                  top_logprobs: topList(c.topLogprobs?.[t]),
                },
              ],
            }
          : null;
      yield {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index, delta: { content: pieces[t] }, finish_reason: null, logprobs }],
      };
    }
    yield {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index, delta: {}, finish_reason: openaiFinish(c.finishReason), stop_reason: c.stopSequence ?? null, logprobs: null }],
    };
  }
}
