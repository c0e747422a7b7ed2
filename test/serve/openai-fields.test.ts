/**
 * `rlmkit serve` as a faithful OpenAI server (issue 15), on the shipped Game of 24 checkpoint:
 * random seeds when none is given, token-id prompts, `<strategy>@<model>` with a task (rule checks
 * apply, only rule-valid steps come back), trace ids and GET /v1/traces/{id}, and the sampling
 * controls logit_bias, presence/frequency penalties and top log-probs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EOS } from '../../src/engine/tokenizer.js';
import type { Scheduler } from '../../src/models/scheduler.js';
import type { WorkerPolicy } from '../../src/models/worker-policy.js';
import { buildRegistry } from '../../src/serve/build.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import { SHIPPED_POLICY, postJson } from './serve-process.js';

let server: RunningServer;
let encode: (text: string) => number[];

beforeAll(async () => {
  const { registry } = await buildRegistry([`g24=embedded:${SHIPPED_POLICY}`]);
  const sched = (await registry.resolve('g24')) as Scheduler;
  const tok = (sched.backend as WorkerPolicy).tokenizer;
  encode = (t) => tok.encode(t);
  server = await startServer({ registry, port: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const post = (route: string, body: unknown) => postJson(server.url, route, body);

describe('sampling', () => {
  it('five T=1 requests without a seed are not all identical; a seed still reproduces', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 5; i++)
      texts.push(
        (await post('/v1/completions', { model: 'g24', prompt: '1 2 3 4|', max_tokens: 40, temperature: 1 })).body.choices[0].text,
      );
    expect(new Set(texts).size).toBeGreaterThan(1);
    const seeded: string[] = [];
    for (let i = 0; i < 3; i++)
      seeded.push(
        (await post('/v1/completions', { model: 'g24', prompt: '1 2 3 4|', max_tokens: 40, temperature: 1, seed: 77 })).body.choices[0]
          .text,
      );
    expect(new Set(seeded).size).toBe(1);
  });

  it('takes token-id prompts (one list, or a list of lists) as the text they spell', async () => {
    const text = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 30, temperature: 0 });
    const ids = await post('/v1/completions', { model: 'g24', prompt: encode('4 4 6 8|'), max_tokens: 30, temperature: 0 });
    expect(ids.status).toBe(200);
    expect(ids.body.choices[0].text).toBe(text.body.choices[0].text);
    expect(ids.body.usage.prompt_tokens).toBe(text.body.usage.prompt_tokens);
    const many = await post('/v1/completions', {
      model: 'g24',
      prompt: [encode('4 4 6 8|'), encode('1 2 3 4|')],
      max_tokens: 30,
      temperature: 0,
    });
    expect(many.body.choices).toHaveLength(2);
    expect(many.body.choices[0].text).toBe(text.body.choices[0].text);
    const bad = await post('/v1/completions', { model: 'g24', prompt: [1, 2, 999999], max_tokens: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/token id 999999 is outside the model's vocabulary/);
  });

  it('applies logit_bias: -100 bans a token, +100 forces it', async () => {
    const [plus] = encode('+');
    const [times] = encode('*');
    const plain = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 40, temperature: 0 });
    expect(plain.body.choices[0].text).toContain('*');
    const banned = await post('/v1/completions', {
      model: 'g24',
      prompt: '4 4 6 8|',
      max_tokens: 40,
      temperature: 0,
      logit_bias: { [times]: -100 },
    });
    expect(banned.status).toBe(200);
    expect(banned.body.choices[0].text).not.toContain('*');
    const forced = await post('/v1/chat/completions', {
      model: 'g24',
      messages: [{ role: 'user', content: '4 4 6 8|' }],
      max_tokens: 5,
      temperature: 1,
      logit_bias: { [plus]: 100 },
    });
    expect(forced.body.choices[0].message.content).toBe('+++++');
    const outside = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 3, logit_bias: { '999999': 1 } });
    expect(outside.status).toBe(400);
    expect(outside.body.error.param).toBe('logit_bias');
  });

  it('applies presence and frequency penalties (fewer repeated tokens), and 0 changes nothing', async () => {
    // EOS is banned so every answer runs the full 60 tokens: repeats are then compared at equal length.
    const base = { model: 'g24', prompt: '4 4 6 8|', max_tokens: 60, temperature: 0, logit_bias: { [String(EOS)]: -100 } };
    const plain = (await post('/v1/completions', base)).body.choices[0].text as string;
    const zero = (await post('/v1/completions', { ...base, presence_penalty: 0, frequency_penalty: 0 })).body.choices[0].text as string;
    expect(zero).toBe(plain);
    const maxRepeat = (t: string) => Math.max(...[...new Set(t)].map((ch) => t.split(ch).length - 1));
    for (const field of ['presence_penalty', 'frequency_penalty']) {
      const r = await post('/v1/completions', { ...base, [field]: 2 });
      expect(r.status).toBe(200);
      const text = r.body.choices[0].text as string;
      expect(text, field).not.toBe(plain);
      if (field === 'frequency_penalty') expect(maxRepeat(text)).toBeLessThan(maxRepeat(plain));
    }
  });

  it('returns top log-probs: chat top_logprobs and completions logprobs: k', async () => {
    const chat = await post('/v1/chat/completions', {
      model: 'g24',
      messages: [{ role: 'user', content: '4 4 6 8|' }],
      max_tokens: 12,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    });
    expect(chat.status).toBe(200);
    const content = chat.body.choices[0].logprobs.content as {
      token: string;
      logprob: number;
      top_logprobs: { token: string; logprob: number }[];
    }[];
    expect(content.length).toBeGreaterThan(0);
    for (const c of content) {
      expect(c.top_logprobs).toHaveLength(3);
      expect(c.top_logprobs[0].logprob).toBeGreaterThanOrEqual(c.top_logprobs[1].logprob);
      // Greedy: the chosen token is the most likely one.
      expect(c.top_logprobs[0].token).toBe(c.token);
      expect(c.top_logprobs[0].logprob).toBeCloseTo(c.logprob, 4);
    }
    const comp = await post('/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 12, temperature: 0, logprobs: 2 });
    const top = comp.body.choices[0].logprobs.top_logprobs as Record<string, number>[];
    expect(top).toHaveLength(comp.body.choices[0].logprobs.tokens.length);
    expect(Object.keys(top[0]).length).toBeGreaterThanOrEqual(1);
    const needsLogprobs = await post('/v1/chat/completions', {
      model: 'g24',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
      top_logprobs: 2,
    });
    expect(needsLogprobs.status).toBe(400);
  });
});

describe('<strategy>@<model> with a task', () => {
  it('mcts@g24 with task game24 returns only rule-valid steps and a fetchable trace', async () => {
    for (const [prompt, simulations] of [
      ['4 4 6 8|', 16],
      ['1 5 5 5|', 8],
      ['3 3 8 8|', 8],
    ] as const) {
      const r = await post('/v1/completions', { model: 'mcts@g24', prompt, task: 'game24', simulations, children: 4 });
      expect(r.status).toBe(200);
      const steps = (r.body.choices[0].text as string).split('\n').filter(Boolean);
      const numbers = prompt.replace('|', '').split(' ').map(Number);
      const problem = { id: 'x', question: '', data: { numbers, target: 24 } };
      for (let i = 0; i < steps.length; i++)
        expect(game24Task.checkStep!(problem, steps.slice(0, i + 1)).valid, `${prompt}: ${steps.join(' / ')}`).toBe(true);
      const id = r.body.rlmkit.trace_id as string;
      const trace = await fetch(`${server.url}/v1/traces/${id}`);
      expect(trace.status).toBe(200);
      const t = (await trace.json()) as { id: string; traces: { task: string; problem: { data: unknown } }[] };
      expect(t.id).toBe(id);
      expect(t.traces[0].task).toBe('game24');
      expect(t.traces[0].problem.data).toEqual({ numbers, target: 24 });
    }
    expect((await fetch(`${server.url}/v1/traces/trace-nope`)).status).toBe(404);
  }, 60_000);

  it('takes the puzzle from "problem" too, and refuses unknown tasks and missing puzzles with 400', async () => {
    const r = await post('/v1/chat/completions', {
      model: 'best-of-n@g24',
      messages: [{ role: 'user', content: 'solve this one' }],
      task: 'game24',
      problem: '4 4 6 8',
      settings: { n: 4 },
    });
    expect(r.status).toBe(200);
    expect(r.body.rlmkit.trace_id).toMatch(/^trace-/);
    const unknown = await post('/v1/completions', { model: 'cot@g24', prompt: '4 4 6 8|', task: 'chess' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/unknown task "chess"/);
    const none = await post('/v1/completions', { model: 'cot@g24', prompt: 'no numbers here', task: 'game24' });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toMatch(/gives no puzzle/);
  }, 30_000);
});
