/**
 * Calling a tool safely: arguments checked against the declared JSON schema, a time limit (the
 * call's AbortSignal fires and the result is a timeout observation even if the tool ignores the
 * signal), output cut to a size, and every failure turned into an "error: ..." observation.
 */
import type { JsonSchema, Tool, ToolCall, ToolResult } from './types.js';
import { ToolError } from './types.js';

/** Longest observation text a tool returns (characters); the rest is cut with a note. */
export const MAX_TOOL_OUTPUT = 2000;

/** Checks `value` against `schema`; returns the first problem or null. */
export function schemaProblem(value: unknown, schema: JsonSchema, at = 'arguments'): string | null {
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at} must be an object`;
      const obj = value as Record<string, unknown>;
      for (const k of schema.required ?? []) if (!(k in obj)) return `${at} is missing "${k}"`;
      for (const [k, v] of Object.entries(obj)) {
        const sub = schema.properties?.[k];
        if (!sub) {
          if (schema.additionalProperties === false) return `${at} has an unknown field "${k}"`;
          continue;
        }
        const p = schemaProblem(v, sub, `${at}.${k}`);
        if (p) return p;
      }
      return null;
    }
    case 'string':
      if (typeof value !== 'string') return `${at} must be a string`;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${at} must be a number`;
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${at} must be an integer`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `${at} must be true or false`;
      break;
    case 'array': {
      if (!Array.isArray(value)) return `${at} must be an array`;
      for (let i = 0; i < value.length; i++) {
        const p = schema.items ? schemaProblem(value[i], schema.items, `${at}[${i}]`) : null;
        if (p) return p;
      }
      return null;
    }
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) return `${at} must be one of ${schema.enum.join(', ')}`;
  return null;
}

function cut(s: string, max = MAX_TOOL_OUTPUT): string {
  return s.length <= max ? s : `${s.slice(0, max)}... [${s.length - max} more characters cut]`;
}

/** Runs one tool call; never throws. `timeoutMs` overrides the tool's own limit. */
export async function callTool(tools: readonly Tool[], call: ToolCall, timeoutMs?: number): Promise<ToolResult> {
  const t0 = performance.now();
  const done = (status: ToolResult['status'], output: string): ToolResult => ({
    call,
    status,
    output: cut(output),
    ms: Math.round(performance.now() - t0),
  });
  const tool = tools.find((t) => t.spec.function.name === call.function.name);
  if (!tool)
    return done(
      'unknown-tool',
      `error: unknown tool "${call.function.name}"; tools: ${tools.map((t) => t.spec.function.name).join(', ') || 'none'}`,
    );
  let args: unknown;
  try {
    args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch {
    return done('bad-arguments', `error: the arguments of ${tool.spec.function.name} are not valid JSON`);
  }
  const problem = schemaProblem(args, tool.spec.function.parameters);
  if (problem) return done('bad-arguments', `error: ${problem}`);
  const limit = timeoutMs ?? tool.timeoutMs;
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve('timeout');
    }, limit);
  });
  try {
    const r = await Promise.race([tool.run(args as Record<string, unknown>, { signal: ac.signal, timeoutMs: limit }), timeout]);
    if (r === 'timeout') return done('timeout', `error: ${tool.spec.function.name} timed out after ${limit} ms`);
    return done('ok', r);
  } catch (e) {
    if (ac.signal.aborted) return done('timeout', `error: ${tool.spec.function.name} timed out after ${limit} ms`);
    const msg = e instanceof ToolError ? e.message : `${tool.spec.function.name} failed: ${e instanceof Error ? e.message : String(e)}`;
    return done('error', `error: ${msg}`);
  } finally {
    clearTimeout(timer);
  }
}
