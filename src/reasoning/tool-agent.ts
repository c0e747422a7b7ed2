/**
 * Multi-turn environments driven by an OpenAI-compatible chat server with native tool calling
 * (`tools` in the request, `tool_calls` in the reply, `role: "tool"` messages back): `rlmkit
 * serve`, vLLM, llama.cpp's server, a hosted API. The same environments the trainers use
 * (src/tasks/multiturn) run unchanged, so a user evaluates a real LLM with tools, or collects its
 * trajectories, on the tasks rlmkit trains on.
 *
 * One episode: the environment's first observation is the user message; each reply's tool calls
 * go to the environment as one action (OpenAI's JSON form, which `parseAction` reads with the ids
 * kept), each call's output comes back as a `role: "tool"` message answering its id; a reply with
 * content and no calls is the action as written ("answer: ..."; a server that answers in free text
 * gets the environment's error as the next user message, like the tiny policies do). The
 * conversation is the trajectory: it is stored as sent and received, never re-rendered.
 *
 * The HTTP client is deliberately small (one POST per turn, a time limit, the server's error
 * message in the thrown error); backends for the token-level Policy interface live in src/models.
 */
import { inputError } from '../core/index.js';
import type { MultiTurnTask } from '../tasks/multiturn/types.js';
import type { ToolCall, ToolSpec } from '../tasks/tools/types.js';
import type { Problem } from '../tasks/types.js';

/** A message of an OpenAI chat conversation with tools. */
export type ToolChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolChatReply {
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number };
}

/** One chat turn with tools; any OpenAI-compatible server, or a stand-in in tests. */
export interface ToolChatClient {
  chat(messages: readonly ToolChatMessage[], tools: readonly ToolSpec[]): Promise<ToolChatReply>;
}

export interface OpenAiToolChatOptions {
  /** Base URL with /v1, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  /** Time limit per request (default 120 s). */
  timeoutMs?: number;
  /** Extra body fields (e.g. tool_choice, top_p). */
  extra?: Record<string, unknown>;
}

/** A ToolChatClient over POST {baseUrl}/chat/completions. */
export function openAiToolChat(o: OpenAiToolChatOptions): ToolChatClient {
  if (!/^https?:\/\//.test(o.baseUrl))
    throw inputError(`not an http(s) URL: ${o.baseUrl}`, 'give the server base URL, e.g. http://127.0.0.1:8000/v1');
  const url = `${o.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    async chat(messages, tools) {
      const body = {
        model: o.model,
        messages,
        ...(tools.length ? { tools } : {}),
        temperature: o.temperature ?? 0,
        ...(o.maxTokens ? { max_tokens: o.maxTokens } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...o.extra,
      };
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs ?? 120_000),
      });
      const text = await res.text();
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
      }
      if (!res.ok) {
        const err = (json.error ?? {}) as { message?: string };
        throw new Error(`${url}: HTTP ${res.status}: ${err.message ?? text.slice(0, 200)}`);
      }
      const choice = (json.choices as Array<Record<string, unknown>> | undefined)?.[0];
      const msg = choice?.message as { content?: string | null; tool_calls?: ToolCall[] } | undefined;
      if (!msg) throw new Error(`${url}: the reply has no choices[0].message`);
      const usage = (json.usage ?? {}) as { prompt_tokens?: number; completion_tokens?: number };
      return {
        content: msg.content ?? null,
        toolCalls: (msg.tool_calls ?? []).filter((c) => c && c.function && typeof c.function.name === 'string'),
        finishReason: String(choice?.finish_reason ?? ''),
        usage: { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 },
      };
    },
  };
}

export interface ToolEpisode {
  problemId: string;
  /** The conversation as sent and received (the trajectory). */
  messages: ToolChatMessage[];
  /** The action of each turn as the environment got it, its observation and reward. */
  turns: Array<{ action: string; observation: string; reward: number; toolCalls: number; malformed: boolean }>;
  answer: string | null;
  reward: number;
  correct: boolean;
  /** Ended by the turn limit or the environment (not by an answer). */
  truncated: boolean;
  usage: { promptTokens: number; completionTokens: number };
}

export interface ToolEpisodeOptions {
  /** false: the environment without tools (the no-tool baseline). */
  tools?: boolean;
  /** A system message before the task's prompt (none by default: rlmkit's tiny policies read the prompt alone). */
  system?: string;
}

/** Runs one episode of `task` on `problem` with the chat server choosing the actions. */
export async function runToolEpisode(
  task: MultiTurnTask,
  problem: Problem,
  client: ToolChatClient,
  o: ToolEpisodeOptions = {},
): Promise<ToolEpisode> {
  const env = task.createEnv(problem, { tools: o.tools !== false });
  const ep: ToolEpisode = {
    problemId: problem.id,
    messages: [],
    turns: [],
    answer: null,
    reward: 0,
    correct: false,
    truncated: false,
    usage: { promptTokens: 0, completionTokens: 0 },
  };
  try {
    const first = await env.reset();
    if (o.system) ep.messages.push({ role: 'system', content: o.system });
    ep.messages.push({ role: 'user', content: first.observation });
    for (let turn = 0; turn < task.maxTurns; turn++) {
      const reply = await client.chat(ep.messages, env.tools);
      ep.usage.promptTokens += reply.usage.promptTokens;
      ep.usage.completionTokens += reply.usage.completionTokens;
      const calls = reply.toolCalls;
      const action = calls.length ? JSON.stringify({ tool_calls: calls }) : (reply.content ?? '');
      const out = await env.step(action);
      ep.reward += out.reward;
      ep.turns.push({
        action,
        observation: out.observation,
        reward: out.reward,
        toolCalls: calls.length,
        malformed: out.info.malformed === true,
      });
      ep.messages.push(
        calls.length
          ? { role: 'assistant', content: reply.content, tool_calls: calls }
          : { role: 'assistant', content: reply.content ?? '' },
      );
      if (out.info.answer !== undefined) ep.answer = out.info.answer;
      if (out.done) {
        ep.correct = out.info.correct === true;
        ep.truncated = !out.terminated;
        return ep;
      }
      if (calls.length) {
        // one tool message per call, in order, with that call's own output
        const results = out.info.toolResults ?? [];
        for (const call of calls) {
          const r = results.find((x) => x.call.id === call.id);
          ep.messages.push({ role: 'tool', tool_call_id: call.id, content: r ? r.output : out.observation });
        }
      } else ep.messages.push({ role: 'user', content: out.observation });
    }
    ep.truncated = true;
    return ep;
  } finally {
    env.close?.();
  }
}

/** Episodes for many problems, `concurrency` at a time (in problem order). */
export async function collectToolEpisodes(
  task: MultiTurnTask,
  problems: readonly Problem[],
  client: ToolChatClient,
  o: ToolEpisodeOptions & { concurrency?: number } = {},
): Promise<ToolEpisode[]> {
  const out: ToolEpisode[] = new Array(problems.length);
  let next = 0;
  const worker = async () => {
    while (next < problems.length) {
      const i = next++;
      out[i] = await runToolEpisode(task, problems[i], client, o);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, problems.length)) }, worker));
  return out;
}
