/**
 * zod schemas of the OpenAI request bodies rlmkit serves. Unknown fields are ignored (clients send
 * vendor extensions freely); known fields are checked strictly and reported with their name.
 */
import { z } from 'zod';

const stop = z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]).nullish();
const seed = z.number().int().min(-(2 ** 53)).max(2 ** 53).nullish();

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
};

export const CompletionRequestSchema = z.object({
  ...sampling,
  prompt: z.union([z.string().max(1_000_000), z.array(z.string().max(1_000_000)).min(1).max(256)]),
  /** Number of top alternatives per token in OpenAI's API; rlmkit returns the sampled token's only. */
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.literal(false).nullish(),
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
