/**
 * Does the model behind a server have a chat format of its own? Two one-token requests with the
 * same text, one as a chat message and one as a plain prompt, answer it from the server's own
 * `usage.prompt_tokens`:
 * - the chat request fails with an HTTP error (4xx, or 5xx as llama-server answers a GGUF without
 *   a template): the model has no chat format (a base model on vLLM...) -> plain style;
 * - both prompts have the same length (up to one BOS token, which some servers add twice): the
 *   chat template only joins message texts (rlmkit's exports) -> plain style;
 * - otherwise the template adds role markers -> chat style. A server that sends no usage, or has
 *   no completions endpoint, is taken as a chat server.
 * Servers that invent a chat format for a model without one (llama-cpp-python falls back to
 * Llama-2's) look like chat models here: declare `?chat=false` for those.
 */
import { parseUsage } from './parse.js';

export type Post = (path: string, body: Record<string, unknown>) => Promise<unknown>;

const PROBE_TEXT = '1 2 3 4';

function statusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

export async function probeChatFormat(post: Post, model: string): Promise<{ chat: boolean; why: string }> {
  const common = { model, max_tokens: 1, temperature: 0, stream: false };
  let chatTokens: number | undefined;
  try {
    chatTokens = parseUsage(await post('/chat/completions', { ...common, messages: [{ role: 'user', content: PROBE_TEXT }] })).promptTokens;
  } catch (e) {
    const s = statusOf(e);
    if (s !== undefined && s >= 400 && s !== 401 && s !== 403 && s !== 429)
      return { chat: false, why: `the server failed a chat request (${s}): the model has no chat format` };
    throw e;
  }
  let plainTokens: number | undefined;
  try {
    plainTokens = parseUsage(await post('/completions', { ...common, prompt: PROBE_TEXT })).promptTokens;
  } catch (e) {
    const s = statusOf(e);
    if (s !== undefined && s >= 400 && s !== 401 && s !== 403 && s !== 429)
      return { chat: true, why: `the server failed a completions request (${s}): chat only` };
    throw e;
  }
  if (chatTokens === undefined || plainTokens === undefined)
    return { chat: true, why: 'the server reports no prompt usage: taken as a chat model' };
  if (Math.abs(chatTokens - plainTokens) <= 1)
    return { chat: false, why: `the chat template adds nothing to the text (${chatTokens} vs ${plainTokens} prompt tokens): plain model` };
  return { chat: true, why: `the chat template adds ${chatTokens - plainTokens} tokens of its own: chat model` };
}
