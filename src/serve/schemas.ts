/**
 * zod schemas of the OpenAI request bodies rlmkit serves. Unknown fields are ignored (clients send
 * vendor extensions freely); known fields are checked strictly and reported with their name.
 * `GET /openapi.json` is generated from these schemas (openapi.ts).
 */
import { z } from 'zod';

const stop = z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]).nullish();
const seed = z
  .number()
  .int()
  .min(-(2 ** 53))
  .max(2 ** 53)
  .nullish();

const sampling = {
  model: z.string().min(1).max(512),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  temperature: z.number().min(0).max(100).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(0).max(1_000_000).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop,
  seed,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().max(256).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  /** Token id (as a string, OpenAI's form) -> bias added to its logit, in [-100, 100]. */
  logit_bias: z.record(z.string().regex(/^\d{1,9}$/, 'keys are token ids'), z.number().min(-100).max(100)).nullish(),
  // rlmkit extensions for `<strategy>@<model>` (the reasoning proxy validates their contents).
  /** A task whose rule checks and answer extraction the search uses (e.g. "game24"). */
  task: z.string().min(1).max(64).nullish(),
  /** The task problem: an id, an index, or for number games the numbers ("4 4 6 8"). */
  problem: z.union([z.string().max(256), z.number().int().min(0)]).nullish(),
  /** Strategy settings, e.g. {"simulations": 16}. */
  settings: z.record(z.string(), z.unknown()).nullish(),
  /** Search budget: tokens, completionTokens, calls, evalCalls, wallMs, expansions. */
  budget: z.record(z.string(), z.unknown()).nullish(),
};

const tokenIds = z
  .array(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
  )
  .min(1)
  .max(1_000_000);

export const CompletionRequestSchema = z.object({
  ...sampling,
  /** Text, a list of texts, token ids, or a list of token-id lists (OpenAI's four forms). */
  prompt: z.union([
    z.string().max(1_000_000),
    z.array(z.string().max(1_000_000)).min(1).max(256),
    tokenIds,
    z.array(tokenIds).min(1).max(256),
  ]),
  /** Number of top alternatives per token in OpenAI's API; rlmkit returns the sampled token's only. */
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.literal(false).nullish(),
  suffix: z.string().max(1_000_000).nullish(),
  best_of: z.number().int().min(1).max(128).nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string().max(1_000_000), z.array(textPart).max(256)]),
  name: z.string().max(256).nullish(),
});

export const ChatRequestSchema = z.object({
  ...sampling,
  messages: z.array(message).min(1).max(1024),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** One line per problem, naming the field: "max_tokens: Too small: expected number to be >=1". */
export function describeIssues(error: z.ZodError): { message: string; param: string | null } {
  const first = error.issues[0];
  const param = first && first.path.length ? first.path.map(String).join('.') : null;
  const lines = error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.map(String).join('.') : '(body)'}: ${i.message}`);
  return { message: `invalid request: ${lines.join('; ')}`, param };
}
