/**
 * Builds the body of one OpenAI-style request for a dialect, and says what it had to change.
 *
 * - Sampling is explicit: temperature (default 1, the contract's), top_p (default 1) and the
 *   dialect's neutral values for samplers the server would otherwise switch on by default (e.g.
 *   llama.cpp's top_k 40 / min_p 0.05, llama-cpp-python's repeat_penalty 1.1), so every server
 *   samples from the same distribution as the embedded backend.
 * - Stop sequences past the server's limit are not sent; they are applied to the text afterwards
 *   and a warning says so. `top_k` on a server that has none is dropped with a warning.
 * - Log-probs: `logprobs: 1` on /v1/completions, `logprobs: true` on chat. They are also asked for,
 *   without being returned, when the server's usage would undercount (n > 1) so the tokens of
 *   each choice can be counted.
 */
import type { GenerateOptions } from '../types.js';
import type { Dialect } from './dialect.js';

export interface BuiltRequest {
  body: Record<string, unknown>;
  warnings: string[];
  /** Log-probs were asked for only to count tokens. */
  countOnly: boolean;
}

export function buildBody(d: Dialect, model: string, o: GenerateOptions, n: number, chat: boolean, maxStops: number | null): BuiltRequest {
  const warnings: string[] = [];
  const body: Record<string, unknown> = { model, n, stream: false };
  for (const [k, v] of Object.entries(d.neutralSampling)) body[k] = v;
  body.temperature = o.temperature ?? 1;
  body.top_p = o.topP ?? 1;
  if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
  if (o.seed !== undefined) body.seed = o.seed;
  if (o.topK) {
    if (d.topK) body.top_k = o.topK;
    else warnings.push(`top_k=${o.topK} dropped: the ${d.name} server has no top_k`);
  } else if (!d.topK) delete body.top_k;
  const stops = o.stop ?? [];
  if (stops.length > 0) {
    const limit = maxStops ?? Infinity;
    body.stop = stops.slice(0, limit);
    if (stops.length > limit)
      warnings.push(
        `${d.name} accepts at most ${limit} stop sequences: sent ${JSON.stringify(stops.slice(0, limit))}; ${JSON.stringify(stops.slice(limit))} applied to the text afterwards (the server generated past them)`,
      );
  }
  const countOnly = !o.logprobs && n > 1 && d.usageCoversAllChoices !== true;
  if (o.logprobs || countOnly) Object.assign(body, chat ? { logprobs: true, top_logprobs: 1 } : { logprobs: 1 });
  if (d.fixedSettings) warnings.push(`the server applies ${d.fixedSettings}`);
  return { body, warnings, countOnly };
}
