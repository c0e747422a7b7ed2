/**
 * The official openai client against a live `rlmkit serve` app on 127.0.0.1 (port 0), streaming and
 * not, plus the HTTP backend against the same live server (no mocks).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/models/scheduler.js';
import { HttpPolicy } from '../../src/models/http.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { FlakyPolicy, ToyPolicy, toyCompletion } from '../models/fixtures.js';

let server: RunningServer;
let client: OpenAI;
const toy = new ToyPolicy('toy');

beforeAll(async () => {
  const registry = new ModelRegistry().register(staticProvider({ toy: new Scheduler(toy, { maxWaitMs: 5 }) }));
  server = await startServer({ registry, port: 0, apiKey: 'sekret', maxBodyBytes: 64 * 1024 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('openai client against a live server', () => {
  it('lists models and answers /health', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['toy']);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('answers completions with n, stop, logprobs and usage', async () => {
    const res = await client.completions.create({
      model: 'toy',
      prompt: 'hello',
      n: 3,
      max_tokens: 12,
      temperature: 0.7,
      seed: 5,
      logprobs: 0,
      stop: ['\n'],
    });
    expect(res.choices).toHaveLength(3);
    for (const [j, ch] of res.choices.entries()) {
      const expected = toyCompletion('hello', { n: 3, maxTokens: 12, temperature: 0.7, seed: 5, stop: ['\n'], logprobs: true }, j);
      expect(ch.text).toBe(expected.text);
      expect(ch.logprobs?.token_logprobs).toHaveLength([...expected.text].length);
      expect(ch.finish_reason).toBe(expected.finishReason === 'length' ? 'length' : 'stop');
    }
    expect(res.usage?.prompt_tokens).toBe(5);
  });

  it('answers a prompt list in order', async () => {
    const res = await client.completions.create({ model: 'toy', prompt: ['a', 'bb', 'ccc'], max_tokens: 8, temperature: 0 });
    expect(res.choices.map((c) => c.text)).toEqual(
      ['a', 'bb', 'ccc'].map((p) => toyCompletion(p, { maxTokens: 8, temperature: 0 }, 0).text),
    );
  });

  it('streams completions as SSE chunks that add up to the whole text', async () => {
    const whole = await client.completions.create({ model: 'toy', prompt: 'stream me', max_tokens: 20, temperature: 0 });
    const stream = await client.completions.create({ model: 'toy', prompt: 'stream me', max_tokens: 20, temperature: 0, stream: true });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(whole.choices[0].text);
    expect(chunks).toBeGreaterThan(1);
    expect(finish).toBe(whole.choices[0].finish_reason);
  });

  it('answers chat, streaming and not, with logprobs', async () => {
    const messages = [{ role: 'user' as const, content: 'hi there' }];
    const res = await client.chat.completions.create({ model: 'toy', messages, max_tokens: 10, temperature: 0, logprobs: true });
    const content = res.choices[0].message.content ?? '';
    expect(content).toBe(toyCompletion('hi there', { maxTokens: 10, temperature: 0 }, 0).text);
    expect(res.choices[0].logprobs?.content?.length).toBe([...content].length);
    const stream = await client.chat.completions.create({
      model: 'toy',
      messages,
      max_tokens: 10,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(content);
    expect(usage?.completion_tokens).toBe(res.usage?.completion_tokens);
  });

  it('rejects a wrong API key and an unknown model with OpenAI errors', async () => {
    const bad = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
    await expect(client.completions.create({ model: 'nope', prompt: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(client.completions.create({ model: 'toy', prompt: 'x', max_tokens: -3 })).rejects.toMatchObject({ status: 400 });
  });
});

describe('HTTP backend against the same live server', () => {
  it('gets the same completions as the model in-process, with logprobs, stop and n', async () => {
    const remote = new HttpPolicy({ model: 'toy', baseURL: `${server.url}/v1`, apiKey: 'sekret' });
    const opts = { n: 2, maxTokens: 15, temperature: 0.9, seed: 11, stop: ['\n'], logprobs: true };
    const [viaHttp] = await remote.generate([{ prompt: 'remote prompt' }], opts);
    const direct = await toy.generate([{ prompt: 'remote prompt' }], opts);
    expect(viaHttp.map((c) => c.text)).toEqual(direct[0].map((c) => c.text));
    expect(viaHttp.map((c) => c.finishReason)).toEqual(direct[0].map((c) => c.finishReason));
    expect(viaHttp[0].logprobs).toEqual(direct[0][0].logprobs);
    expect(remote.supportsNativeN).toBe(true);
  });

  it('sends chat requests to the chat endpoint', async () => {
    const remote = new HttpPolicy({ model: 'toy', baseURL: `${server.url}/v1`, apiKey: 'sekret' });
    const [[c]] = await remote.generate([{ messages: [{ role: 'user', content: 'chat me' }] }], { maxTokens: 9, temperature: 0 });
    expect(c.text).toBe(toyCompletion('chat me', { maxTokens: 9, temperature: 0 }, 0).text);
  });

  it('retries a server that fails with a 5xx and then answers', async () => {
    const flaky = new FlakyPolicy(1);
    const s = await startServer({ registry: new ModelRegistry().register(staticProvider({ flaky })), port: 0 });
    try {
      const remote = new HttpPolicy({ model: 'flaky', baseURL: `${s.url}/v1`, maxRetries: 2 });
      const [[c]] = await remote.generate([{ prompt: 'again' }], { maxTokens: 4, temperature: 0 });
      expect(typeof c.text).toBe('string');
      expect(flaky.calls).toBe(2);
      const noRetry = new HttpPolicy({ model: 'flaky', baseURL: `${s.url}/v1`, maxRetries: 0 });
      flaky.calls = -5; // the next calls fail again
      await expect(noRetry.generate([{ prompt: 'x' }], { maxTokens: 2 })).rejects.toThrow(/answered 500/);
    } finally {
      await s.close();
    }
  });

  it('reads base URL and key from the environment and reports a server that is down', async () => {
    const env = { RLMKIT_BASE_URL: `${server.url}/v1`, RLMKIT_API_KEY: 'sekret' };
    const remote = new HttpPolicy({ model: 'toy', env });
    const [[c]] = await remote.generate([{ prompt: 'env' }], { maxTokens: 4, temperature: 0 });
    expect(c.text).toBe(toyCompletion('env', { maxTokens: 4, temperature: 0 }, 0).text);
    const down = new HttpPolicy({ model: 'toy', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
    await expect(down.generate([{ prompt: 'x' }], { maxTokens: 2 })).rejects.toThrow(/cannot reach the model server/);
  });
});

describe('model providers', () => {
  it('resolves computed names through a pluggable provider that wraps a registered model', async () => {
    const toy = new ToyPolicy('inner');
    const registry = new ModelRegistry().register(staticProvider({ inner: toy }));
    // A provider in the style of the reasoning proxy: "<prefix>@<model>" upper-cases the inner model's answer.
    registry.register({
      name: 'shout',
      list: () => ['shout@inner'],
      async resolve(model, reg) {
        const m = /^shout@(.+)$/.exec(model);
        const inner = m ? await reg.resolve(m[1]) : undefined;
        if (!inner) return undefined;
        return {
          id: model,
          capabilities: inner.capabilities,
          generate: async (r, o) =>
            (await inner.generate(r, o)).map((cs) => cs.map((c) => ({ ...c, text: c.text.toUpperCase(), tokens: undefined }))),
        };
      },
    });
    const s = await startServer({ registry, port: 0 });
    try {
      const c = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'none', maxRetries: 0 });
      expect((await c.models.list()).data.map((m) => m.id)).toEqual(['inner', 'shout@inner']);
      const res = await c.completions.create({ model: 'shout@inner', prompt: 'abc', max_tokens: 8, temperature: 0 });
      expect(res.choices[0].text).toBe(toyCompletion('abc', { maxTokens: 8, temperature: 0 }, 0).text.toUpperCase());
      await expect(c.completions.create({ model: 'shout@missing', prompt: 'abc' })).rejects.toMatchObject({ status: 404 });
    } finally {
      await s.close();
    }
  });
});
