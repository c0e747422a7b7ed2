/**
 * OpenAI tool calling on /v1/chat/completions (`tools`, `tool_choice`, `parallel_tool_calls`,
 * assistant `tool_calls` and `role: "tool"` messages in the history).
 *
 * rlmkit's models have no native function-calling head: a tool conversation is rendered in the
 * text protocol the multi-turn tasks use (src/tasks/multiturn/protocol.ts), and the reply is read
 * back with the same parser the environments use, so a policy trained on a multi-turn task
 * (`calc-tool`, `masksearch`, ...) is served with tools exactly as it acted in training:
 *
 *   plain models (no chat format: rlmkit's embedded checkpoints)
 *     the user's question, "|", then one line per action and "> " lines per tool result:
 *       347*589+612|calculator: 347*589\n> 204383\n
 *     (renderPlainTranscript, renderToolCall, observationText: the training transcript, byte for
 *     byte); the model writes one line (stop "\n"). `calculator: 204383+612` comes back as a
 *     tool call, `answer: 204995` as content.
 *   chat models
 *     the tools are described in the system message (describeTools), tool calls go back as the
 *     assistant's action lines and tool results as "> " lines of a user message; the reply may be
 *     a plain action line or OpenAI-style JSON ({"tool_calls": [...]} or {"name", "arguments"}).
 *
 * A reply is a tool call only when it names a declared tool; anything else is content.
 * `tool_choice: {"type": "function", ...}` (and "required" with one tool) starts the model's
 * line with the call ("calculator: ") for plain models; "none" never reads calls.
 */
import type { ChatMessage, GenerateRequest } from '../models/types.js';
import { describeTools, parseAction, renderToolCall, shorthandParameter } from '../tasks/multiturn/protocol.js';
import { renderPlainTranscript } from '../tasks/multiturn/base.js';
import { observationText } from '../tasks/multiturn/env.js';
import type { JsonSchema, ToolCall, ToolSpec } from '../tasks/tools/types.js';
import { HttpError } from './errors.js';
import type { ChatRequestMessage, ChatTool, ChatToolChoice } from './schemas.js';

export interface ToolRequest {
  tools: ToolSpec[];
  /** 'none' | 'auto' | 'required', or the one function the model must call. */
  choice: 'none' | 'auto' | 'required' | { name: string };
  /** false: at most one call per reply. */
  parallel: boolean;
}

/** What one choice's text became: content, or tool calls (finish_reason "tool_calls"). */
export interface ToolReply {
  content: string | null;
  toolCalls: ToolCall[];
}

const bad = (message: string, param: string) => new HttpError(400, message, 'invalid_request_error', param);

function textOf(content: string | ReadonlyArray<{ type: string; text?: string }> | null | undefined): string {
  if (content === null || content === undefined) return '';
  // Image parts never reach here: the chat route refuses them with tools (app.ts).
  return typeof content === 'string' ? content : content.map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
}

function toSpec(t: ChatTool, i: number): ToolSpec {
  const p = t.function.parameters;
  if (p) {
    if (p.type !== undefined && p.type !== 'object')
      throw bad(
        `tools.${i}.function.parameters: the parameters of a function are a JSON Schema of type "object"`,
        `tools.${i}.function.parameters`,
      );
    if (p.properties !== undefined && (typeof p.properties !== 'object' || p.properties === null || Array.isArray(p.properties)))
      throw bad(`tools.${i}.function.parameters.properties: must be an object`, `tools.${i}.function.parameters.properties`);
    if (p.required !== undefined && !(Array.isArray(p.required) && p.required.every((r) => typeof r === 'string')))
      throw bad(`tools.${i}.function.parameters.required: must be a list of property names`, `tools.${i}.function.parameters.required`);
  }
  const parameters = (p ? { type: 'object', ...p } : { type: 'object', properties: {} }) as JsonSchema;
  return { type: 'function', function: { name: t.function.name, description: t.function.description ?? '', parameters } };
}

/**
 * The tool side of a chat request, checked across fields (each problem a 400 naming its field), or
 * null for a request with no tools and no tool calls in its history.
 */
export function toolRequest(body: {
  messages: ChatRequestMessage[];
  tools?: ChatTool[] | null;
  tool_choice?: ChatToolChoice | null;
  parallel_tool_calls?: boolean | null;
}): ToolRequest | null {
  const tools = (body.tools ?? []).map(toSpec);
  const seen = new Set<string>();
  tools.forEach((t, i) => {
    if (seen.has(t.function.name))
      throw bad(`tools.${i}.function.name: "${t.function.name}" is declared twice`, `tools.${i}.function.name`);
    seen.add(t.function.name);
  });
  let choice: ToolRequest['choice'] = tools.length ? 'auto' : 'none';
  const c = body.tool_choice;
  if (c !== null && c !== undefined) {
    if (c !== 'none' && tools.length === 0) throw bad('tool_choice: given without tools; declare the functions in "tools"', 'tool_choice');
    if (typeof c === 'object') {
      if (!seen.has(c.function.name))
        throw bad(`tool_choice: "${c.function.name}" is not one of the declared tools (${[...seen].join(', ')})`, 'tool_choice');
      choice = { name: c.function.name };
    } else choice = c;
  }
  // The history: every tool message answers a call of the assistant message before it.
  let open = new Set<string>();
  let hasToolTurns = false;
  body.messages.forEach((m, i) => {
    if (m.role === 'assistant') {
      open = new Set();
      if ((m.content === null || m.content === undefined) && !m.tool_calls?.length)
        throw bad(`messages.${i}.content: an assistant message needs content or tool_calls`, `messages.${i}.content`);
      m.tool_calls?.forEach((call, j) => {
        hasToolTurns = true;
        let args: unknown;
        try {
          args = JSON.parse(call.function.arguments);
        } catch {
          throw bad(`messages.${i}.tool_calls.${j}.function.arguments: not valid JSON`, `messages.${i}.tool_calls.${j}.function.arguments`);
        }
        if (args === null || typeof args !== 'object' || Array.isArray(args))
          throw bad(
            `messages.${i}.tool_calls.${j}.function.arguments: must be a JSON object`,
            `messages.${i}.tool_calls.${j}.function.arguments`,
          );
        if (open.has(call.id))
          throw bad(`messages.${i}.tool_calls.${j}.id: "${call.id}" is used twice`, `messages.${i}.tool_calls.${j}.id`);
        open.add(call.id);
      });
    } else if (m.role === 'tool') {
      hasToolTurns = true;
      if (!open.has(m.tool_call_id))
        throw bad(
          `messages.${i}.tool_call_id: "${m.tool_call_id}" answers no tool call of the assistant message before it` +
            (open.size ? ` (open calls: ${[...open].join(', ')})` : ''),
          `messages.${i}.tool_call_id`,
        );
      open.delete(m.tool_call_id);
    } else open = new Set();
  });
  if (tools.length === 0 && !hasToolTurns) return null;
  return { tools, choice, parallel: body.parallel_tool_calls ?? true };
}

/** The plain line of a call (shorthand when the declared tool allows it), as in training transcripts. */
function callLine(call: { function: { name: string; arguments: string } }, tools: readonly ToolSpec[]): string {
  const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
  const spec = tools.find((t) => t.function.name === call.function.name);
  return spec ? renderToolCall(spec, args) : `${call.function.name} ${JSON.stringify(args)}`;
}

/** What the model starts its line with when tool_choice forces one function. */
export function forcedPrefix(req: ToolRequest): string {
  const name =
    typeof req.choice === 'object'
      ? req.choice.name
      : req.choice === 'required' && req.tools.length === 1
        ? req.tools[0].function.name
        : null;
  if (name === null) return '';
  const spec = req.tools.find((t) => t.function.name === name)!;
  return shorthandParameter(spec) ? `${name}: ` : `${name} `;
}

/** The model request of a tool conversation: the training transcript (plain models) or messages (chat models). */
export function renderToolConversation(
  messages: ChatRequestMessage[],
  req: ToolRequest,
  chat: boolean,
): { request: GenerateRequest; prefix: string; stop: string[] } {
  const offered = req.choice === 'none' ? [] : req.tools;
  if (!chat) {
    let k = 0;
    const question: string[] = [];
    while (k < messages.length && (messages[k].role === 'system' || messages[k].role === 'developer' || messages[k].role === 'user'))
      question.push(textOf(messages[k++].content));
    const lines: string[] = [];
    for (const m of messages.slice(k)) {
      if (m.role === 'tool') lines.push(observationText(textOf(m.content)));
      else if (m.role === 'assistant') {
        const text = textOf(m.content).trim();
        if (text) lines.push(text);
        for (const call of m.tool_calls ?? []) lines.push(callLine(call, req.tools));
      } else lines.push(textOf(m.content));
    }
    const prefix = req.choice === 'none' ? '' : forcedPrefix(req);
    return { request: { prompt: renderPlainTranscript(question.join('\n'), lines) + prefix }, prefix, stop: ['\n'] };
  }
  const out: ChatMessage[] = [];
  const push = (role: ChatMessage['role'], content: string) => {
    const last = out.at(-1);
    if (last && last.role === role && role !== 'system') last.content += `\n${content}`;
    else out.push({ role, content });
  };
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content));
  out.push({ role: 'system', content: [...system, describeTools(offered)].join('\n') });
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') continue;
    if (m.role === 'tool') push('user', observationText(textOf(m.content)));
    else if (m.role === 'assistant') {
      const lines = [textOf(m.content).trim(), ...(m.tool_calls ?? []).map((c) => callLine(c, req.tools))].filter((l) => l);
      push('assistant', lines.join('\n'));
    } else push('user', textOf(m.content));
  }
  return { request: { messages: out }, prefix: '', stop: [] };
}

let callCounter = 0;
function newCallId(): string {
  callCounter = (callCounter + 1) % 1e9;
  return `call_${Date.now().toString(36)}${callCounter.toString(36).padStart(5, '0')}`;
}

/** Reads one choice: tool calls when the text calls declared tools, else content. */
export function readToolReply(text: string, req: ToolRequest, prefix: string): ToolReply {
  const full = prefix + text;
  if (req.choice === 'none' || req.tools.length === 0) return { content: full, toolCalls: [] };
  const parsed = parseAction(full, req.tools);
  if (parsed.kind !== 'tool-calls') return { content: full, toolCalls: [] };
  const names = new Set(req.tools.map((t) => t.function.name));
  if (!parsed.calls.every((c) => names.has(c.function.name))) return { content: full, toolCalls: [] };
  const calls = parsed.calls.map((c) => ({ id: newCallId(), type: 'function' as const, function: c.function }));
  return { content: null, toolCalls: req.parallel ? calls : calls.slice(0, 1) };
}
