/**
 * Hostile clients: >= 200 malformed requests (bad JSON, wrong types, out-of-range values, unknown
 * models, huge bodies, wrong methods and paths) must each get a 4xx OpenAI error JSON, never a 5xx,
 * and the server must keep answering. Also: the 429 concurrency limit and graceful shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Scheduler } from '../../src/models/scheduler.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { ToyPolicy } from '../models/fixtures.js';

const MAX_BODY = 16 * 1024;
let server: RunningServer;

beforeAll(async () => {
  const registry = new ModelRegistry().register(staticProvider({ toy: new Scheduler(new ToyPolicy(), { maxWaitMs: 1 }) }));
  server = await startServer({ registry, port: 0, maxBodyBytes: MAX_BODY, maxConcurrent: 16 });
});
afterAll(async () => {
  await server.close();
});

interface Case {
  what: string;
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}

const validCompletion = { model: 'toy', prompt: 'hi', max_tokens: 4, temperature: 0 };
const validChat = { model: 'toy', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };

/** Values that are wrong for each field, whatever else the request holds. */
const badValues: Record<string, unknown[]> = {
  model: [null, 1, true, [], {}, '', 'x'.repeat(600), 'no-such-model', 'toy ', 'TOY'],
  prompt: [null, 5, true, {}, [], [1, 2], [null], [{}], ['ok', 3]],
  max_tokens: [-1, 0, -1000, 1.5, '16', true, [], {}, 1e12, 'many'],
  temperature: [-0.1, -5, '0.7', true, [], {}, 1000],
  top_p: [0, -0.5, 1.5, 2, '0.9', true, []],
  top_k: [-1, 1.5, 'ten', [], {}],
  n: [0, -1, 1.5, 129, 10_000, '2', true, []],
  stop: [5, true, {}, [1, 2], [''], '', Array.from({ length: 17 }, (_, i) => `s${i}`), [null]],
  seed: ['abc', 1.5, true, [], {}, 1e300],
  stream: ['yes', 1, [], {}],
  logprobs: ['yes', -1, 21, 1.5, []],
  user: [5, [], {}, 'u'.repeat(300)],
  echo: [true, 'yes'],
  best_of: [0, 2, -1],
};
const badChatValues: Record<string, unknown[]> = {
  messages: [
    null,
    'hi',
    5,
    {},
    [],
    [null],
    [{}],
    [{ role: 'robot', content: 'x' }],
    [{ role: 'user' }],
    [{ role: 'user', content: 5 }],
    [{ role: 'user', content: [{ type: 'image_url', image_url: 'x' }] }],
    [{ role: 'user', content: [{ type: 'text' }] }],
    [{ content: 'no role' }],
  ],
  logprobs: [1, 'true', []],
  top_logprobs: [-1, 21, 'x'],
  max_completion_tokens: [0, -5, 'x'],
};

function buildCases(rng: Rng): Case[] {
  const cases: Case[] = [];
  const post = (path: string, body: string, what: string, headers?: Record<string, string>) =>
    cases.push({ what, method: 'POST', path, body, headers });
  // 1. Broken JSON and non-object bodies on both endpoints.
  const broken = [
    '',
    ' ',
    '{',
    '}',
    '{"model":',
    '{"model":"toy","prompt":"x",}',
    "{'model':'toy'}",
    'null',
    '[]',
    '"text"',
    '42',
    'true',
    '[{"model":"toy"}]',
    '{"model":"toy" "prompt":"x"}',
    'NaN',
    '\u0000\u0001\u0002',
    '{"a":1}{"b":2}',
    '<xml/>',
    'model=toy&prompt=x',
  ];
  for (const b of broken) {
    post('/v1/completions', b, `broken json ${JSON.stringify(b)}`);
    post('/v1/chat/completions', b, `broken json (chat) ${JSON.stringify(b)}`);
  }
  // 2. Each bad value of each field, on an otherwise valid request.
  for (const [field, values] of Object.entries(badValues))
    for (const v of values)
      post(
        '/v1/completions',
        JSON.stringify({ ...validCompletion, [field]: v }),
        `completions ${field}=${JSON.stringify(v)?.slice(0, 40)}`,
      );
  for (const [field, values] of Object.entries(badChatValues))
    for (const v of values)
      post('/v1/chat/completions', JSON.stringify({ ...validChat, [field]: v }), `chat ${field}=${JSON.stringify(v)?.slice(0, 40)}`);
  for (const field of ['model', 'prompt']) {
    const { [field as 'model']: _drop, ...rest } = validCompletion;
    post('/v1/completions', JSON.stringify(rest), `completions without ${field}`);
  }
  post('/v1/chat/completions', JSON.stringify({ model: 'toy' }), 'chat without messages');
  // 3. Random combinations of several bad fields.
  const fields = Object.keys(badValues);
  for (let i = 0; i < 40; i++) {
    const req: Record<string, unknown> = { ...validCompletion };
    const k = rng.int(2, 4);
    for (let j = 0; j < k; j++) {
      const f = rng.pick(fields);
      req[f] = rng.pick(badValues[f]);
    }
    post('/v1/completions', JSON.stringify(req), `random mix ${i}`);
  }
  // 4. Huge bodies, with and without a content-length.
  post('/v1/completions', JSON.stringify({ ...validCompletion, prompt: 'x'.repeat(MAX_BODY * 4) }), 'huge body');
  post(
    '/v1/chat/completions',
    JSON.stringify({ ...validChat, messages: [{ role: 'user', content: 'y'.repeat(MAX_BODY * 2) }] }),
    'huge chat body',
  );
  post('/v1/completions', 'z'.repeat(MAX_BODY + 1), 'huge non-json body');
  // 5. Wrong methods and paths.
  for (const [method, path] of [
    ['GET', '/v1/completions'],
    ['PUT', '/v1/chat/completions'],
    ['DELETE', '/v1/models'],
    ['POST', '/v1/models'],
    ['GET', '/v2/completions'],
    ['POST', '/v1/embeddings'],
    ['GET', '/'],
    ['GET', '/v1/models/no-such-model'],
    ['POST', '/v1/completions/extra'],
  ] as const) {
    cases.push({ what: `${method} ${path}`, method, path, body: method === 'GET' ? undefined : JSON.stringify(validCompletion) });
  }
  return cases;
}

async function send(c: Case): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}${c.path ?? '/v1/completions'}`, {
    method: c.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...c.headers },
    body: c.body,
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json };
}

describe('fuzzed malformed requests', () => {
  it('answers at least 200 malformed requests with 4xx OpenAI errors and keeps serving', async () => {
    const cases = buildCases(new Rng(2026));
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    // Eight clients at a time, as a busy server would see them.
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      const results = await Promise.all(batch.map(send));
      results.forEach((r, j) => {
        const c = batch[j];
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status < 400 || r.status >= 500) failures.push(`${c.what}: status ${r.status}`);
        else if (typeof r.json?.error?.message !== 'string' || typeof r.json?.error?.type !== 'string')
          failures.push(`${c.what}: no OpenAI error JSON`);
      });
    }
    expect(failures).toEqual([]);
    // Several kinds of 4xx, not one blanket answer.
    expect([...statuses.keys()].sort()).toEqual([400, 404, 405, 413]);
    // Still alive and correct.
    const ok = await send({ what: 'valid', body: JSON.stringify(validCompletion) });
    expect(ok.status).toBe(200);
    expect(ok.json.choices).toHaveLength(1);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });

  it('answers a huge streamed (chunked) body with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(4096));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 16) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('request_too_large');
  });
});

describe('limits and shutdown', () => {
  it('answers requests beyond the concurrency limit with 429 and Retry-After', async () => {
    const registry = new ModelRegistry().register(staticProvider({ slow: new ToyPolicy('slow', 500) }));
    const s = await startServer({ registry, port: 0, maxConcurrent: 2 });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(`${s.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: 'slow', prompt: 'x', max_tokens: 2 }) }).then(
            async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: (await r.json()) as any }),
          ),
        ),
      );
      const statuses = results.map((r) => r.status);
      // Two are served; the rest arrive while both slots are busy (a loaded machine may let a
      // straggler in after a slot frees, so count rather than match exactly).
      expect(statuses.every((x) => x === 200 || x === 429)).toBe(true);
      expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(2);
      expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(3);
      const busy = results.find((r) => r.status === 429)!;
      expect(busy.retry).toBe('1');
      expect(busy.body.error.type).toBe('rate_limit_error');
    } finally {
      await s.close();
    }
  });

  it('finishes in-flight requests on shutdown, then refuses connections', async () => {
    const registry = new ModelRegistry().register(staticProvider({ slow: new ToyPolicy('slow', 800) }));
    const s = await startServer({ registry, port: 0 });
    const inflight = fetch(`${s.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'slow', prompt: 'finish me', max_tokens: 3, temperature: 0 }),
    });
    for (let i = 0; i < 200 && s.state.inflight === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.state.inflight).toBe(1);
    const closing = s.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].text).toBeTypeOf('string');
    await closing;
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });

  it('requires the bearer key on /v1 when one is set, but not on /health', async () => {
    const registry = new ModelRegistry().register(staticProvider({ toy: new ToyPolicy() }));
    const s = await startServer({ registry, port: 0, apiKey: 'k3y' });
    try {
      const no = await fetch(`${s.url}/v1/models`);
      expect(no.status).toBe(401);
      expect(((await no.json()) as any).error.type).toBe('authentication_error');
      const wrong = await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer k3z' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer k3y' } });
      expect(right.status).toBe(200);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
