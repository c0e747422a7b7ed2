/**
 * Multimodal prompts: chat messages with image parts (`image_url` and `input_image` with data URLs
 * and http URLs) go unchanged to an OpenAI-compatible backend (a real local HTTP server that records
 * each request), both from the library and through `rlmkit serve`; text-only models (embedded,
 * chat templates, plain text rendering) refuse them with one clear message; serve answers 400 for
 * models that cannot take images and for malformed image parts.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageFromContent, toWireMessage } from '../../src/models/multimodal.js';
import { Scheduler } from '../../src/models/scheduler.js';
import { loadPolicy } from '../../src/models/spec.js';
import { renderChatAsText } from '../../src/models/text.js';
import type { ChatContentPart, ChatMessage, Policy } from '../../src/models/types.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { writeTinyCheckpoint } from './embedded-fixture.js';
import { ToyPolicy } from './fixtures.js';

// A 1×1 PNG, as a VLM client would send it.
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const parts: ChatContentPart[] = [
  { type: 'text', text: 'What is in these pictures? ' },
  { type: 'image_url', image_url: { url: PNG, detail: 'low' } },
  { type: 'input_image', image_url: 'https://example.invalid/cat.png' },
  { type: 'text', text: 'One word.' },
];

/** An OpenAI-compatible server on 127.0.0.1 that records every chat request body. */
function recordingServer(): Promise<{ url: string; bodies: Record<string, unknown>[]; close: () => Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'vlm', object: 'model', created: 0, owned_by: 'test' }] }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        bodies.push(JSON.parse(data) as Record<string, unknown>);
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 0,
            model: 'vlm',
            choices: [{ index: 0, message: { role: 'assistant', content: 'cats' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 20, completion_tokens: 1, total_tokens: 21 },
          }),
        );
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: 'not found' } }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/v1`, bodies, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

let upstream: Awaited<ReturnType<typeof recordingServer>>;
let vlm: Policy;
beforeAll(async () => {
  upstream = await recordingServer();
  vlm = await loadPolicy(`${upstream.url}#vlm?chat=true&dialect=generic`);
});
afterAll(async () => {
  await vlm?.close?.();
  await upstream?.close();
});

describe('image parts through the HTTP backend', () => {
  it('reach the OpenAI-compatible server unchanged (image_url and input_image, data and http URLs)', async () => {
    const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, messageFromContent('user', parts)];
    expect(messages[1].content).toBe('What is in these pictures? One word.');
    expect(vlm.capabilities.images).toBe(true);
    const [[c]] = await vlm.generate([{ messages }], { maxTokens: 4, temperature: 0 });
    expect(c.text).toBe('cats');
    const sent = upstream.bodies[upstream.bodies.length - 1];
    expect(sent.model).toBe('vlm');
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: parts },
    ]);
    expect(JSON.stringify(sent)).not.toContain('"parts"');
  });

  it('text messages keep their plain string content on the wire', () => {
    expect(toWireMessage(messageFromContent('user', [{ type: 'text', text: 'hi' }]))).toEqual({ role: 'user', content: 'hi' });
  });
});

describe('text-only models refuse images with one clear message', () => {
  const messages = [messageFromContent('user', parts)];

  it('plain rendering and an embedded model', async () => {
    expect(() => renderChatAsText(messages)).toThrow(/reads text only.*2 image parts/);
    const { file, dir } = writeTinyCheckpoint({ seed: 2 });
    const tiny = await loadPolicy(`embedded:${file}?worker=false`);
    try {
      expect(tiny.capabilities.images ?? false).toBe(false);
      await expect(tiny.generate([{ messages }], { maxTokens: 2 })).rejects.toThrow(/reads text only/);
      // Text-only messages still work.
      const [[ok]] = await tiny.generate([{ messages: [messageFromContent('user', [{ type: 'text', text: '1+1' }])] }], { maxTokens: 2 });
      expect(typeof ok.text).toBe('string');
    } finally {
      await tiny.close?.();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an HTTP model sent as text (api=completions) refuses before any request', async () => {
    const before = upstream.bodies.length;
    const asText = await loadPolicy(`${upstream.url}#vlm?api=completions&chat=false&dialect=generic`);
    expect(asText.capabilities.images).toBe(false);
    await expect(asText.generate([{ messages }], { maxTokens: 2 })).rejects.toThrow(/reads text only/);
    expect(upstream.bodies.length).toBe(before);
  });
});

describe('rlmkit serve with image parts', () => {
  let server: RunningServer;
  let client: OpenAI;
  beforeAll(async () => {
    const registry = new ModelRegistry().register(
      staticProvider({ vlm: new Scheduler(vlm, { maxWaitMs: 5 }), toy: new Scheduler(new ToyPolicy('toy'), { maxWaitMs: 5 }) }),
    );
    server = await startServer({ registry, port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('passes them unchanged to a VLM backend (the official openai client in front)', async () => {
    const r = await client.chat.completions.create({
      model: 'vlm',
      messages: [{ role: 'user', content: parts as OpenAI.Chat.ChatCompletionContentPart[] }],
      max_tokens: 4,
      temperature: 0,
    });
    expect(r.choices[0].message.content).toBe('cats');
    expect(upstream.bodies[upstream.bodies.length - 1].messages).toEqual([{ role: 'user', content: parts }]);
  });

  it('answers 400 for a text-only model and for malformed image parts', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const toy = await post({ model: 'toy', messages: [{ role: 'user', content: parts }] });
    expect(toy.status).toBe(400);
    const err = ((await toy.json()) as { error: { message: string; param: string } }).error;
    expect(err.message).toMatch(/"toy" reads text only; the messages hold 2 image parts/);
    expect(err.param).toBe('messages.0.content');
    for (const bad of [
      { type: 'image_url', image_url: { url: 'ftp://x/y.png' } },
      { type: 'image_url', image_url: 'data:image/png;base64,AAAA' },
      { type: 'input_image' },
      { type: 'video_url', video_url: { url: 'https://x' } },
    ]) {
      const res = await post({ model: 'vlm', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, bad] }] });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/image|content|type/i);
    }
  });
});
