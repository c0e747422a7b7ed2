/**
 * The text protocol of an agent's turn. A tiny character-level policy writes one line per action:
 *
 *   calculator: 347*589          a call of a tool whose one required parameter is a string
 *   sql {"query": "select 1"}    a call with JSON arguments (any tool)
 *   answer: 204383               the final answer (ends the episode)
 *
 * A real LLM may instead answer in OpenAI's form: a JSON object `{"tool_calls": [...]}` (or
 * `{"name": ..., "arguments": ...}` for one call), which is read the same way. `parseAction`
 * turns either into OpenAI `ToolCall`s; `renderToolCall` writes the plain form back (solver
 * traces use it).
 */
import type { ToolCall, ToolSpec } from '../tools/types.js';

export type ParsedAction =
  { kind: 'tool-calls'; calls: ToolCall[] } | { kind: 'answer'; answer: string } | { kind: 'malformed'; reason: string };

/** The one required string parameter of a tool, when it has exactly one (the shorthand form's target). */
export function shorthandParameter(spec: ToolSpec): string | null {
  const p = spec.function.parameters;
  const req = p.required ?? [];
  if (req.length !== 1) return null;
  return p.properties?.[req[0]]?.type === 'string' ? req[0] : null;
}

let callCounter = 0;
function callId(turn?: number): string {
  return `call_${turn ?? callCounter++}`;
}

function fromJson(obj: unknown, tools: readonly ToolSpec[]): ParsedAction | null {
  if (!obj || typeof obj !== 'object') return null;
  const o = obj as Record<string, unknown>;
  const toCall = (c: Record<string, unknown>, i: number): ToolCall | null => {
    const fn = (c.function ?? c) as Record<string, unknown>;
    if (typeof fn.name !== 'string') return null;
    const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? fn.parameters ?? {});
    return { id: typeof c.id === 'string' ? c.id : callId(i), type: 'function', function: { name: fn.name, arguments: args } };
  };
  if (Array.isArray(o.tool_calls)) {
    const calls = o.tool_calls.map((c, i) => (c && typeof c === 'object' ? toCall(c as Record<string, unknown>, i) : null));
    if (calls.length && calls.every((c) => c)) return { kind: 'tool-calls', calls: calls as ToolCall[] };
    if (typeof o.content === 'string') return parseAction(o.content, tools);
    return { kind: 'malformed', reason: 'tool_calls holds no valid call' };
  }
  if (typeof o.name === 'string') {
    const c = toCall(o, 0);
    return c ? { kind: 'tool-calls', calls: [c] } : null;
  }
  if (typeof o.answer === 'string' || typeof o.answer === 'number') return { kind: 'answer', answer: String(o.answer) };
  if (typeof o.content === 'string') return parseAction(o.content, tools);
  return null;
}

/** Reads one action. Unknown tool names still parse (the call then fails with an observation). */
export function parseAction(text: string, tools: readonly ToolSpec[]): ParsedAction {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const r = fromJson(JSON.parse(t), tools);
      if (r) return r;
    } catch {
      // not JSON: read as text below
    }
  }
  const ans = /^answer\s*:\s*([\s\S]*)$/i.exec(t);
  if (ans) return { kind: 'answer', answer: ans[1].trim() };
  const json = /^(?:call\s+)?([A-Za-z_][\w-]*)\s*(\{[\s\S]*\})$/.exec(t);
  if (json) {
    try {
      JSON.parse(json[2]);
      return { kind: 'tool-calls', calls: [{ id: callId(), type: 'function', function: { name: json[1], arguments: json[2] } }] };
    } catch {
      return { kind: 'malformed', reason: `the arguments of ${json[1]} are not valid JSON` };
    }
  }
  const short = /^([A-Za-z_][\w-]*)\s*:\s?([\s\S]*)$/.exec(t);
  if (short) {
    const spec = tools.find((s) => s.function.name === short[1]);
    const param = spec ? shorthandParameter(spec) : null;
    if (spec && !param) return { kind: 'malformed', reason: `${short[1]} takes JSON arguments: ${short[1]} {"...": ...}` };
    // an unknown tool name: keep it a call so that the observation names the tools
    return {
      kind: 'tool-calls',
      calls: [
        { id: callId(), type: 'function', function: { name: short[1], arguments: JSON.stringify({ [param ?? 'input']: short[2] }) } },
      ],
    };
  }
  return { kind: 'malformed', reason: t === '' ? 'empty action' : 'expected a tool call ("name: input" or name {json}) or "answer: ..."' };
}

/** The plain one-line form of a tool call (shorthand when the tool allows it). */
export function renderToolCall(spec: ToolSpec, args: Record<string, unknown>): string {
  const param = shorthandParameter(spec);
  const keys = Object.keys(args);
  if (param && keys.length === 1 && keys[0] === param && typeof args[param] === 'string' && !(args[param] as string).includes('\n'))
    return `${spec.function.name}: ${args[param] as string}`;
  return `${spec.function.name} ${JSON.stringify(args)}`;
}

/** A one-paragraph description of the tools and the action syntax, for chat prompts. */
export function describeTools(tools: readonly ToolSpec[]): string {
  if (tools.length === 0) return 'No tools are available. Reply with one line: answer: <your answer>.';
  const lines = tools.map(
    (t) => `- ${t.function.name}: ${t.function.description} Parameters (JSON schema): ${JSON.stringify(t.function.parameters)}`,
  );
  return [
    'Tools:',
    ...lines,
    'Each turn, reply with one line: a tool call ("name: input", or name {"param": ...}) or your final "answer: ...". Tool results come back as "> ..." lines.',
  ].join('\n');
}
