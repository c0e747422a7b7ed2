/**
 * Tools an agent calls between turns, declared as JSON-schema functions in OpenAI's tool format
 * (`{type: "function", function: {name, description, parameters}}`), so the same declaration goes
 * to a real LLM's `tools` field and to rlmkit's own environments.
 *
 * A tool never throws at the agent: `callTool` (./run.ts) turns bad arguments, a timeout or a
 * crash into an error observation ("error: ...") the agent reads on its next turn.
 */

/** The subset of JSON Schema tools use for their parameters. */
export interface JsonSchema {
  type: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: (string | number)[];
  additionalProperties?: boolean;
}

/** OpenAI's tool declaration (`tools: [...]` of /v1/chat/completions). */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: JsonSchema };
}

/** OpenAI's tool call (`message.tool_calls[i]`); `arguments` is a JSON string. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolContext {
  /** Aborted when the call's time limit passes. */
  signal: AbortSignal;
  /** The call's time limit in ms. */
  timeoutMs: number;
}

/** A tool: its declaration and how to run it. `run` may throw; the caller reports it as an error observation. */
export interface Tool {
  readonly spec: ToolSpec;
  /** Default time limit per call in ms. */
  readonly timeoutMs: number;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<string>;
  /** Frees resources (a database, a worker). */
  close?(): void;
}

/** What one tool call gave: the observation text and whether it failed. */
export interface ToolResult {
  call: ToolCall;
  output: string;
  status: 'ok' | 'error' | 'timeout' | 'unknown-tool' | 'bad-arguments';
  ms: number;
}

/** An error a tool raises on purpose (bad input): its message becomes the observation as is. */
export class ToolError extends Error {}
