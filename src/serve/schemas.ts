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
/** Image parts (Chat Completions' image_url, the Responses API's input_image): passed unchanged to backends that take images. */
const imageUrl = z.string().min(1).max(20_000_000);
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: imageUrl, detail: z.string().max(16).optional() }),
});
const inputImagePart = z.object({
  type: z.literal('input_image'),
  image_url: z.union([imageUrl, z.object({ url: imageUrl })]),
  detail: z.string().max(16).optional(),
});
const content = z.union([z.string().max(1_000_000), z.array(z.union([textPart, imagePart, inputImagePart])).max(256)]);
/** OpenAI's function names: letters, digits, underscores and dashes, at most 64. */
const functionName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'a function name is 1-64 letters, digits, _ or - (not starting with a digit or -)');

/** An assistant message's tool call (`tool_calls[i]`), as a client sends it back in the history. */
const toolCall = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.object({ name: functionName, arguments: z.string().max(1_000_000) }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer', 'user']), content, name: z.string().max(256).nullish() }),
  z.object({
    role: z.literal('assistant'),
    /** null when the message holds only tool calls. */
    content: content.nullish(),
    name: z.string().max(256).nullish(),
    tool_calls: z.array(toolCall).max(128).nullish(),
    refusal: z.string().nullish(),
  }),
  /** A tool's result, answering the assistant's call with this id. */
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1).max(256) }),
]);

/** A function the model may call (`tools[i]`); `parameters` is a JSON Schema object. */
const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: functionName,
    description: z.string().max(100_000).nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: functionName }) }),
]);

export const ChatRequestSchema = z.object({
  ...sampling,
  messages: z.array(message).min(1).max(1024),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  /** Functions the model may call (OpenAI tool calling; see tools.ts for how a model is prompted and read). */
  tools: z.array(tool).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
});
export type ChatTool = z.infer<typeof tool>;
export type ChatToolChoice = z.infer<typeof toolChoice>;
export type ChatRequestMessage = z.infer<typeof message>;
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** One line per problem, naming the field: "max_tokens: Too small: expected number to be >=1". */
export function describeIssues(error: z.ZodError): { message: string; param: string | null } {
  const first = error.issues[0];
  const param = first && first.path.length ? first.path.map(String).join('.') : null;
  const lines = error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.map(String).join('.') : '(body)'}: ${i.message}`);
  return { message: `invalid request: ${lines.join('; ')}`, param };
}
