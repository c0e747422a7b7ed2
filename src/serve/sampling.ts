/**
 * Request fields that need something of the backend: token-id prompts (the model's tokenizer) and
 * the sampling controls `logit_bias`, `presence_penalty`, `frequency_penalty` and top log-probs.
 * Each is honoured where the backend can, else refused with a 400 naming the field: never
 * accepted and ignored.
 */
import type { GenerateOptions, Policy } from '../models/types.js';
import { HttpError } from './errors.js';

interface TokenizerLike {
  encode(text: string): number[];
  decode(ids: number[]): string;
  readonly vocabSize: number;
}

/** The model's tokenizer, where the policy (or the backend behind its scheduler) exposes one. */
function tokenizerOf(p: Policy): TokenizerLike | undefined {
  for (
    let q: unknown = p, depth = 0;
    q && depth < 4;
    q = (q as { backend?: unknown; inner?: unknown }).backend ?? (q as { inner?: unknown }).inner, depth++
  ) {
    const t = (q as { tokenizer?: TokenizerLike }).tokenizer;
    if (t && typeof t.decode === 'function' && typeof t.encode === 'function') return t;
  }
  return undefined;
}

/**
 * OpenAI's four prompt forms as texts. Token ids are decoded with the model's tokenizer and must
 * encode back to the same ids (else the model would not see the prompt that was sent).
 */
export function tokenIdPrompts(policy: Policy, prompt: string | string[] | number[] | number[][]): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (prompt.length === 0 || typeof prompt[0] === 'string') return prompt as string[];
  const lists = typeof prompt[0] === 'number' ? [prompt as number[]] : (prompt as number[][]);
  const tok = tokenizerOf(policy);
  if (!tok)
    throw new HttpError(
      400,
      `"prompt": model "${policy.id}" does not take token-id prompts (its tokenizer is not known to this server); send text`,
      'invalid_request_error',
      'prompt',
      'unsupported_parameter',
    );
  return lists.map((ids, i) => {
    const bad = ids.find((id) => id >= tok.vocabSize);
    if (bad !== undefined)
      throw new HttpError(
        400,
        `"prompt"${lists.length > 1 ? `[${i}]` : ''}: token id ${bad} is outside the model's vocabulary (0..${tok.vocabSize - 1})`,
        'invalid_request_error',
        'prompt',
      );
    let text: string;
    let back: number[];
    try {
      text = tok.decode(ids);
      back = tok.encode(text);
    } catch (e) {
      throw new HttpError(400, `"prompt"${lists.length > 1 ? `[${i}]` : ''}: ${(e as Error).message}`, 'invalid_request_error', 'prompt');
    }
    if (back.length !== ids.length || back.some((id, k) => id !== ids[k])) {
      throw new HttpError(
        400,
        `"prompt"${lists.length > 1 ? `[${i}]` : ''}: these token ids decode to text that encodes to other ids (special tokens such as end-of-sequence cannot be sent as prompt ids)`,
        'invalid_request_error',
        'prompt',
      );
    }
    return text;
  });
}

interface ControlFields {
  logit_bias?: Record<string, number> | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  top_logprobs?: number | null;
  logprobs?: number | boolean | null;
}

/** What a policy says it can do beyond the Policy contract (structural, optional). */
interface SamplingCapabilities {
  logitBias?: boolean;
  penalties?: boolean;
  topLogprobs?: boolean;
}

function capabilitiesOf(p: Policy): SamplingCapabilities {
  return (p.capabilities as unknown as { sampling?: SamplingCapabilities }).sampling ?? {};
}

function unsupported(field: string, model: string, what: string): HttpError {
  return new HttpError(
    400,
    `"${field}": model "${model}" does not support ${what}`,
    'invalid_request_error',
    field,
    'unsupported_parameter',
  );
}

/** GenerateOptions for the sampling controls a request sets; refuses the ones the model lacks. */
export function samplingControls(policy: Policy, body: ControlFields): Partial<GenerateOptions> {
  const caps = capabilitiesOf(policy);
  const out: Record<string, unknown> = {};
  const bias = body.logit_bias && Object.keys(body.logit_bias).length > 0 ? body.logit_bias : undefined;
  if (bias) {
    if (!caps.logitBias) throw unsupported('logit_bias', policy.id, 'logit_bias');
    const vocab = tokenizerOf(policy)?.vocabSize;
    const outside = vocab === undefined ? undefined : Object.keys(bias).find((k) => Number(k) >= vocab);
    if (outside !== undefined)
      throw new HttpError(
        400,
        `"logit_bias": token id ${outside} is outside the model's vocabulary (0..${vocab! - 1})`,
        'invalid_request_error',
        'logit_bias',
      );
    out.logitBias = Object.fromEntries(Object.entries(bias).map(([k, v]) => [Number(k), v]));
  }
  for (const [field, key] of [
    ['presence_penalty', 'presencePenalty'],
    ['frequency_penalty', 'frequencyPenalty'],
  ] as const) {
    const v = body[field];
    if (v === null || v === undefined || v === 0) continue;
    if (!caps.penalties) throw unsupported(field, policy.id, `${field.replace('_', ' ')}`);
    out[key] = v;
  }
  // Top alternatives. Chat's top_logprobs: k > 0 needs them. Completions' logprobs: k asks for the
  // sampled tokens' log-probs plus k alternatives; clients (rlmkit's own HTTP backend, eval
  // harnesses) send logprobs: 1 just for the former, so a model without alternatives answers
  // with the sampled tokens' log-probs and `top_logprobs: null` there.
  if (typeof body.top_logprobs === 'number' && body.top_logprobs > 0) {
    if (!caps.topLogprobs)
      throw unsupported(
        'top_logprobs',
        policy.id,
        "top log-probs (top_logprobs > 0); logprobs: true returns the sampled tokens' log-probs",
      );
    if (body.logprobs !== true) throw new HttpError(400, '"top_logprobs" needs "logprobs": true', 'invalid_request_error', 'top_logprobs');
    out.topLogprobs = body.top_logprobs;
  } else if (typeof body.logprobs === 'number' && body.logprobs > 0 && caps.topLogprobs) out.topLogprobs = body.logprobs;
  return out as Partial<GenerateOptions>;
}
