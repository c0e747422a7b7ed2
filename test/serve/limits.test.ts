/**
 * Every client mistake is a 4xx naming what was wrong (issue 13, items 7 and 9): requests over the
 * per-request cost limits get a 400 naming the limit and its flag; values that used to reach the
 * backend and fail there (a 5e9 ms budget, a subnormal temperature) are answered properly; the
 * OpenAI fields rlmkit does not implement are refused by name (issue 15).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry } from '../../src/serve/build.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { SHIPPED_POLICY, postJson } from './serve-process.js';
import { ABANDONED_SEARCH } from '../../src/serve/hostile-load.js';

let server: RunningServer;

beforeAll(async () => {
  const { registry } = await buildRegistry([`g24=embedded:${SHIPPED_POLICY}`]);
  server = await startServer({ registry, port: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const post = (route: string, body: unknown) => postJson(server.url, route, body);

describe('per-request cost limits (defaults)', () => {
  it("refuses the issue's huge MCTS request with a 400 naming maxSearchNodes", async () => {
    const r = await post('/v1/completions', { ...ABANDONED_SEARCH });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/simulations \(100000\) x children \(256\).*maxSearchNodes = 65536.*--max-search-nodes/);
    expect(r.body.error.code).toBe('limit_exceeded');
  });

  it('refuses 256 prompts x n 128 x max_tokens 80 with a 400 naming maxRequestTokens', async () => {
    const r = await post('/v1/completions', {
      model: 'g24',
      prompt: Array.from({ length: 256 }, () => '4 4 6 8|'),
      n: 128,
      max_tokens: 80,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/prompts \(256\) x n \(128\) x max_tokens \(80\) = 2621440 exceeds .*maxRequestTokens = 262144/);
    expect(r.body.error.param).toBe('max_tokens');
  });

  it('answers budget.wall_ms 5e9 with a 400 naming maxSearchWallMs, not a 500 (13.9)', async () => {
    const r = await post('/v1/completions', { model: 'mcts@g24', prompt: '4 4 6 8|', budget: { wall_ms: 5_000_000_000 } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/budget\.wall_ms = 5000000000 exceeds .*maxSearchWallMs/);
    const tokens = await post('/v1/chat/completions', {
      model: 'best-of-n@g24',
      messages: [{ role: 'user', content: '4 4 6 8' }],
      budget: { tokens: 1e12 },
    });
    expect(tokens.status).toBe(400);
    expect(tokens.body.error.message).toMatch(/maxSearchTokens/);
    const bad = await post('/v1/completions', { model: 'mcts@g24', prompt: '4 4 6 8|', budget: { wallMs: -1 } });
    expect(bad.status).toBe(400);
  });

  it('answers temperature 1e-320 greedily instead of a 502 (13.9)', async () => {
    const tiny = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 30, temperature: 1e-320 });
    const greedy = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 30, temperature: 0 });
    expect(tiny.status).toBe(200);
    expect(tiny.body.choices[0].text).toBe(greedy.body.choices[0].text);
    const chat = await post('/v1/chat/completions', {
      model: 'g24',
      messages: [{ role: 'user', content: '4 4 6 8|' }],
      max_tokens: 10,
      temperature: 5e-324,
    });
    expect(chat.status).toBe(200);
  });

  it('a search within the limits runs with its budget filled in up to the caps', async () => {
    const r = await post('/v1/completions', {
      model: 'mcts@g24',
      prompt: '4 4 6 8|',
      simulations: 4,
      children: 2,
      budget: { wallMs: 20_000 },
    });
    expect(r.status).toBe(200);
    expect(typeof r.body.choices[0].text).toBe('string');
  }, 30_000);
});

describe('OpenAI fields rlmkit does not implement are refused by name', () => {
  const chat = { model: 'g24', messages: [{ role: 'user', content: '4 4 6 8|' }], max_tokens: 5 };
  const cases: [string, Record<string, unknown>, string][] = [
    ['/v1/completions', { model: 'g24', prompt: 'a', suffix: 'b' }, 'suffix'],
    // tool calling is served on chat completions (test/serve/tools.test.ts), not on completions
    ['/v1/completions', { model: 'g24', prompt: 'a', tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools'],
    ['/v1/completions', { model: 'g24', prompt: 'a', tool_choice: 'required' }, 'tool_choice'],
    ['/v1/chat/completions', { ...chat, response_format: { type: 'json_object' } }, 'response_format'],
    ['/v1/chat/completions', { ...chat, functions: [{ name: 'f' }] }, 'functions'],
    ['/v1/chat/completions', { ...chat, audio: { voice: 'alloy', format: 'wav' } }, 'audio'],
    ['/v1/chat/completions', { ...chat, modalities: ['text', 'audio'] }, 'modalities'],
    ['/v1/chat/completions', { ...chat, prediction: { type: 'content', content: 'x' } }, 'prediction'],
    ['/v1/chat/completions', { ...chat, reasoning_effort: 'high' }, 'reasoning_effort'],
  ];
  for (const [route, body, field] of cases) {
    it(`${field} -> 400 naming it`, async () => {
      const r = await post(route, body);
      expect(r.status).toBe(400);
      expect(r.body.error.param).toBe(field);
      expect(r.body.error.message).toContain(`"${field}"`);
    });
  }

  it('accepts the defaults clients send for those fields', async () => {
    const r = await post('/v1/chat/completions', {
      ...chat,
      tools: [],
      tool_choice: 'none',
      response_format: { type: 'text' },
      modalities: ['text'],
      suffix: null,
      functions: null,
    });
    expect(r.status).toBe(200);
    const c = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 4, suffix: '' });
    expect(c.status).toBe(200);
  });
});

describe('model names', () => {
  it('refuses a strategy over another strategy (nested searches) with a 400', async () => {
    const r = await post('/v1/completions', { model: 'mcts@mcts@best-of-n@g24', prompt: '4 4 6 8|' });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/a strategy over another strategy is not served/);
    const ok = await post('/v1/completions', { model: 'cot@g24', prompt: '4 4 6 8|' });
    expect(ok.status).toBe(200);
  }, 30_000);
});
