/**
 * The reasoning proxy behind `rlmkit serve`: `<strategy>@<model>` names, settings from the extra
 * body, full message history, usage of every internal token, progress events while streaming.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';
import { inputError } from '../../src/core/errors.js';
import { conversationTask, parseReasoningModel, reasoningProvider } from '../../src/reasoning/proxy.js';
import { createServeApp } from '../../src/serve/app.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';

/** A chat model that thinks one paragraph, then answers 42 (every third sample says 41). */
class ToyChat implements Policy {
  readonly id = 'toy';
  readonly capabilities = { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: true, maxBatch: 64 };
  seen: ChatMessage[][] = [];
  prompt = 0;
  completion = 0;
  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    return requests.map((r) => {
      const messages = r.messages ?? [{ role: 'user' as const, content: r.prompt ?? '' }];
      this.seen.push(messages);
      const last = messages[messages.length - 1];
      const thought = last.role === 'assistant' && last.content.includes('think');
      const promptTokens = messages.reduce((s, m) => s + m.content.length, 0);
      this.prompt += promptTokens;
      return Array.from({ length: o.n ?? 1 }, (_, j) => {
        const text = thought ? `The answer is \\boxed{${j % 3 === 2 ? 41 : 42}}.` : 'Let me think: 6 times 7.';
        this.completion += text.length;
        return thought
          ? { text, finishReason: 'stop' as const, usage: { promptTokens, completionTokens: text.length } }
          : { text, finishReason: 'stop' as const, stopSequence: '\n\n', usage: { promptTokens, completionTokens: text.length } };
      });
    });
  }
}

function server() {
  const toy = new ToyChat();
  const registry = new ModelRegistry().register(staticProvider({ toy })).register(reasoningProvider());
  const { app } = createServeApp({ registry });
  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { toy, post };
}

const history: ChatMessage[] = [
  { role: 'system', content: 'You are careful.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: '4' },
  { role: 'user', content: 'And 6*7?' },
];

describe('reasoning proxy', () => {
  it('parses <strategy>@<model> names and leaves other names alone', () => {
    expect(parseReasoningModel('mcts@tiny')).toEqual({ strategy: 'mcts', model: 'tiny' });
    expect(parseReasoningModel('self-consistency@http@x')).toEqual({ strategy: 'self-consistency', model: 'http@x' });
    expect(parseReasoningModel('tiny')).toBeNull();
    expect(parseReasoningModel('nostrategy@tiny')).toBeNull();
  });

  it('answers a chat request with self-consistency, keeping the whole history and counting every token', async () => {
    const { toy, post } = server();
    const res = await post('/v1/chat/completions', { model: 'self-consistency@toy', messages: history, settings: { n: 6 } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0].message.content).toContain('\\boxed{42}');
    expect(body.choices[0].message.content).toContain('Let me think');
    // Every internal call saw the full history, with the partial answer as a trailing assistant turn.
    for (const m of toy.seen) expect(m.slice(0, 4)).toEqual(history);
    expect(toy.seen.some((m) => m.length === 5 && m[4].role === 'assistant')).toBe(true);
    expect(body.usage.prompt_tokens).toBe(toy.prompt);
    expect(body.usage.completion_tokens).toBe(toy.completion);
  });

  it('reads top-level settings that are not OpenAI fields, and rejects bad ones with 400', async () => {
    const { post } = server();
    const ok = await post('/v1/chat/completions', {
      model: 'mcts@toy',
      messages: history,
      simulations: 3,
      children: 2,
      budget: { calls: 50 },
    });
    expect(ok.status).toBe(200);
    const bad = await post('/v1/chat/completions', { model: 'mcts@toy', messages: history, settings: { simulations: -3 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/simulations/);
    const missing = await post('/v1/chat/completions', { model: 'mcts@nobody', messages: history });
    expect(missing.status).toBe(404);
  });

  it('streams progress as SSE comment lines before the final answer, never as a chunk without choices', async () => {
    const { post } = server();
    const res = await post('/v1/chat/completions', {
      model: 'best-of-n@toy',
      messages: history,
      stream: true,
      stream_options: { include_usage: true },
      settings: { n: 4, scorer: 'judge' },
    });
    expect(res.status).toBe(200);
    const blocks = (await res.text()).split('\n\n').filter((e) => e.length > 0);
    const events = blocks.filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as { choices: { delta?: { content?: string } }[]; usage?: unknown; rlmkit?: { trace_id?: string } });
    const progress = blocks.map((b, i) => ({ b, i })).filter(({ b }) => b.startsWith(': rlmkit_progress '));
    expect(progress.length).toBeGreaterThan(0);
    const firstData = blocks.findIndex((b) => b.startsWith('data: '));
    expect(progress[0].i).toBeLessThan(firstData);
    for (const { b } of progress) expect(JSON.parse(b.slice(': rlmkit_progress '.length))).toHaveProperty('model', 'best-of-n@toy');
    // Only the usage chunk the client asked for has no choices (OpenAI's own protocol).
    expect(chunks.slice(0, -1).every((c) => c.choices.length > 0)).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toContain('\\boxed{');
    expect(chunks[chunks.length - 1].usage).toBeDefined();
    expect(chunks[chunks.length - 1].rlmkit?.trace_id).toMatch(/^trace-/);
  });

  it('serves completion-style requests too, with n independent searches', async () => {
    const { post } = server();
    const res = await post('/v1/completions', { model: 'cot@toy', prompt: 'What is 6*7?\n', n: 2, max_tokens: 50 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { text: string }[] };
    expect(body.choices).toHaveLength(2);
  });

  it('refuses to rank with a judge the policy cannot read (no silent 0.5), and returns the furthest chain when nothing was answered', async () => {
    /** A completion model that cannot read natural-language judge prompts (like a character model). */
    const picky: Policy = {
      id: 'picky',
      capabilities: { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 8 },
      async generate(requests, o = {}) {
        return requests.map((r) => {
          if (r.prompt!.includes('Problem:')) throw inputError('character "P" is not in the vocabulary');
          const first = !r.prompt!.includes('carry');
          return Array.from({ length: o.n ?? 1 }, () =>
            first
              ? {
                  text: 'carry the one',
                  finishReason: 'stop' as const,
                  stopSequence: '\n',
                  usage: { promptTokens: 5, completionTokens: 3 },
                }
              : { text: 'so \\boxed{5}', finishReason: 'eos' as const, usage: { promptTokens: 8, completionTokens: 4 } },
          );
        });
      },
    };
    const registry = new ModelRegistry().register(staticProvider({ picky })).register(reasoningProvider());
    const { app } = createServeApp({ registry });
    // Issue 13: best-of-n used to pick an unranked candidate (every judge score a quiet 0.5) with HTTP 200.
    const res = await app.request('/v1/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'best-of-n@picky', prompt: 'Q: 2+3?\n', settings: { n: 2 } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/scorer "judge" failed/);
    const cut = await app.request('/v1/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cot@picky', prompt: 'Q: 2+3?\n', settings: { max_depth: 1 } }),
    });
    expect(((await cut.json()) as { choices: { text: string }[] }).choices[0].text).toBe('carry the one');
  });

  it('clusters conversation answers by value, not by spelling', () => {
    expect(conversationTask.sameAnswer('0.50', '.5')).toBe(true);
    expect(conversationTask.sameAnswer('42', '41')).toBe(false);
    expect(conversationTask.extractAnswer('so \\boxed{7}.')).toBe('7');
  });
});
