/**
 * Outside-in: the shipped checkpoint exported to GGUF, served by a real third-party server
 * (llama-cpp-python, llama.cpp inside), driven by rlmkit's HTTP backend. The same weights in the
 * embedded backend are the reference: greedy text, log-probs, chat, continued assistant messages,
 * n, usage, and whole searches (cot, best-of-n, mcts) must agree; `rlmkit solve` and `rlmkit eval`
 * run against the server with the default prompt style.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPolicy, readEmbeddedCheckpoint } from '../../src/models/embedded.js';
import { writeGguf } from '../../src/models/gguf-export.js';
import { HttpPolicy } from '../../src/models/http.js';
import { loadPolicy } from '../../src/models/spec.js';
import type { Completion, GenerateRequest } from '../../src/models/types.js';
import { solve } from '../../src/reasoning/index.js';
import { game24Task } from '../../src/tasks/index.js';
import type { NumberGameProblem } from '../../src/tasks/index.js';
import { startLlamaCppPython, type RunningServer } from './llamacpp-fixture.js';

const run = promisify(execFile);
const CKPT = path.resolve('checkpoints/game24-sft/policy.safetensors');
let dir: string;
let gguf: string;
let server: RunningServer;
let http: HttpPolicy;
let embedded: EmbeddedPolicy;
let problems: NumberGameProblem[];
let prompts: string[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-llamacpp-'));
  gguf = path.join(dir, 'game24-sft.gguf');
  const src = readEmbeddedCheckpoint(CKPT);
  writeGguf(gguf, src.config, src.weights, src.tokenizer, { addBos: src.bos ?? false });
  server = await startLlamaCppPython(gguf, { alias: 'g24' });
  http = (await loadPolicy(`${server.baseURL}#g24`)) as HttpPolicy;
  embedded = await EmbeddedPolicy.load(CKPT);
  problems = (await game24Task.problems({ split: 'test' })).slice(0, 20);
  prompts = problems.map((p) => game24Task.renderPlain(p, []));
}, 120_000);
afterAll(async () => {
  await embedded?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function same(a: Completion[][], b: Completion[][], what: string[]): void {
  for (let i = 0; i < a.length; i++) {
    expect(a[i][0].text, what[i]).toBe(b[i][0].text);
    expect(a[i][0].finishReason, what[i]).toBe(b[i][0].finishReason);
  }
}

describe('rlmkit HTTP backend against llama-cpp-python serving the shipped checkpoint', () => {
  it('probes the server: llama-cpp-python dialect, a plain model (its template only joins messages)', () => {
    expect(http.probeReport).toMatchObject({ dialect: 'llama-cpp-python', chat: false });
    expect(http.capabilities.chat).toBe(false);
    expect(http.capabilities.n).toBe(false);
  });

  it('completions: greedy text and log-probs of 20 prompts equal the embedded backend; usage counts the generated tokens', async () => {
    const requests = prompts.map((prompt) => ({ prompt }));
    const o = { temperature: 0, maxTokens: 30, logprobs: true };
    const a = await http.generate(requests, o);
    const b = await embedded.generate(requests, o);
    same(a, b, prompts);
    for (let i = 0; i < a.length; i++) {
      const [x, y] = [a[i][0], b[i][0]];
      // The server leaves the end-of-sequence token out of its count and log-probs; rlmkit adds it back.
      expect(x.usage.completionTokens).toBe(y.usage.completionTokens);
      expect(x.logprobs!.length).toBe(x.usage.completionTokens - (x.finishReason === 'eos' ? 1 : 0));
      expect(x.usageSource).toBe(x.finishReason === 'eos' ? 'counted' : 'server');
      x.logprobs!.forEach((lp, t) => expect(Math.abs(lp - y.logprobs![t]), `${prompts[i]} token ${t}`).toBeLessThan(0.02));
      expect(x.usage.promptTokens).toBe(y.usage.promptTokens);
    }
  });

  it('steps: stop at "\\n" like the embedded backend, with the same token usage', async () => {
    const requests = prompts.map((prompt) => ({ prompt }));
    const o = { temperature: 0, maxTokens: 30, stop: ['\n'] };
    const a = await http.generate(requests, o);
    const b = await embedded.generate(requests, o);
    same(a, b, prompts);
    for (let i = 0; i < a.length; i++) {
      expect(a[i][0].stopSequence).toBe(b[i][0].stopSequence);
      expect(a[i][0].usage.completionTokens).toBe(b[i][0].usage.completionTokens);
    }
    // Whole chains end at <eos> on their last step: told apart from the "\n" stop, and counted.
    const last = await Promise.all(
      prompts.slice(0, 6).map(async (p) => {
        let text = p;
        for (let k = 0; k < 6; k++) {
          const [[step]] = await embedded.generate([{ prompt: text }], o);
          if (step.finishReason !== 'stop') return text;
          text += `${step.text}\n`;
        }
        return text;
      }),
    );
    const c = await http.generate(
      last.map((prompt) => ({ prompt })),
      o,
    );
    const d = await embedded.generate(
      last.map((prompt) => ({ prompt })),
      o,
    );
    same(c, d, last);
    expect(d.filter((x) => x[0].finishReason === 'eos').length).toBeGreaterThan(0);
    c.forEach((x, i) => expect(x[0].usage.completionTokens).toBe(d[i][0].usage.completionTokens));
  });

  it('chat: the server renders the exported template; text and log-probs match the embedded chat rendering', async () => {
    const chats: GenerateRequest[] = prompts.slice(0, 8).map((p) => ({ messages: [{ role: 'user', content: p }] }));
    const o = { temperature: 0, maxTokens: 24, logprobs: true };
    const a = await http.generate(chats, o);
    const b = await embedded.generate(chats, o);
    same(a, b, prompts);
    a.forEach((c, i) => c[0].logprobs!.forEach((lp, t) => expect(Math.abs(lp - b[i][0].logprobs![t])).toBeLessThan(0.02)));
  });

  it('continuing a final assistant message: refused by name without the template, exact with it (rendered here, sent to /v1/completions)', async () => {
    const [[first]] = await embedded.generate([{ prompt: prompts[1] }], { temperature: 0, maxTokens: 24, stop: ['\n'] });
    const conv: GenerateRequest = {
      messages: [
        { role: 'user', content: prompts[1] },
        { role: 'assistant', content: `${first.text}\n` },
      ],
    };
    await expect(http.generate([conv], { temperature: 0, maxTokens: 8 })).rejects.toThrow(/missing capability: continue_final_message/);
    const withTemplate = (await loadPolicy(`${server.baseURL}#g24?template=${gguf}`)) as HttpPolicy;
    expect(withTemplate.capabilities.chat).toBe(false);
    const [[x]] = await withTemplate.generate([conv], { temperature: 0, maxTokens: 24, stop: ['\n'] });
    const [[y]] = await embedded.generate([conv], { temperature: 0, maxTokens: 24, stop: ['\n'] });
    expect(x.text).toBe(y.text);
    expect(x.text.length).toBeGreaterThan(0);
  });

  it('n: four seeded samples come back (separate calls: this server ignores n), each with its own token count', async () => {
    const [cs] = await http.generate([{ prompt: prompts[2] }], { temperature: 1, n: 4, seed: 7, maxTokens: 20, logprobs: true });
    expect(cs).toHaveLength(4);
    for (const c of cs) expect(c.usage.completionTokens).toBe(c.logprobs!.length + (c.finishReason === 'eos' ? 1 : 0));
    const [again] = await http.generate([{ prompt: prompts[2] }], { temperature: 1, n: 4, seed: 7, maxTokens: 20 });
    expect(again.map((c) => c.text)).toEqual(cs.map((c) => c.text));
    const [greedy] = await http.generate([{ prompt: prompts[2] }], { temperature: 0, n: 3, maxTokens: 20 });
    expect(new Set(greedy.map((c) => c.text)).size).toBe(1);
    // Many stop sequences are sent as they are (no silent cut to 4), and nothing is reported changed.
    const stops = ['\n', '=24', '(1', '(2', '(3', '(4'];
    const [[s]] = await http.generate([{ prompt: prompts[3] }], { temperature: 0, maxTokens: 30, stop: stops });
    const [[t]] = await embedded.generate([{ prompt: prompts[3] }], { temperature: 0, maxTokens: 30, stop: stops });
    expect(s.text).toBe(t.text);
    expect(s.warnings).toBeUndefined();
  });

  it('a server held to OpenAI limits gets 4 stops; the others cut the text here and a warning says so', async () => {
    const capped = new HttpPolicy({ model: 'g24', baseURL: server.baseURL, dialect: 'openai' });
    const o = { temperature: 0, maxTokens: 30 };
    const [[free]] = await capped.generate([{ prompt: prompts[4] }], o);
    const hit = free.text.slice(4, 6);
    const [[c]] = await capped.generate([{ prompt: prompts[4] }], { ...o, stop: ['#1', '#2', '#3', '#4', hit] });
    expect(c.warnings?.join('\n')).toMatch(/at most 4 stop sequences: sent \["#1","#2","#3","#4"\]/);
    expect(c.text).toBe(free.text.slice(0, free.text.indexOf(hit)));
    expect(c).toMatchObject({ finishReason: 'stop', stopSequence: hit });
  });

  for (const [strategy, settings] of [
    ['cot', {}],
    ['best-of-n', { n: 3, temperature: 0 }],
    ['mcts', { simulations: 6, children: 2, temperature: 0 }],
  ] as const) {
    it(`${strategy} over the server gives the embedded backend's result on 4 problems`, async () => {
      for (const p of problems.slice(0, 4)) {
        const common = { task: game24Task, strategy, settings, seed: 3 };
        const viaServer = await solve(p, { ...common, models: { policy: http } });
        const local = await solve(p, { ...common, models: { policy: embedded } });
        expect(viaServer.answer, p.id).toBe(local.answer);
        expect(viaServer.correct).toBe(local.correct);
        expect(viaServer.graph.nodes.map((n) => n.step ?? null)).toEqual(local.graph.nodes.map((n) => n.step ?? null));
        expect(viaServer.usage.completionTokens).toBe(local.usage.completionTokens);
        expect(viaServer.usage.calls).toBe(local.usage.calls);
      }
    }, 120_000);
  }

  it('`<strategy>@<model>` through `rlmkit serve` searches over the third-party server (plain style, no chat failure)', async () => {
    const { buildRegistry } = await import('../../src/serve/build.js');
    const { startServer } = await import('../../src/serve/server.js');
    const { default: OpenAI } = await import('openai');
    const { registry } = await buildRegistry([`g24=${server.baseURL}#g24`]);
    const proxy = await startServer({ registry, port: 0 });
    try {
      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'none', maxRetries: 0 });
      for (const model of ['cot@g24', 'mcts@g24']) {
        const r = await client.completions.create({ model, prompt: prompts[0], max_tokens: 60, temperature: 0 });
        // A step line of the game: `a op b=c (remaining)`, where values may be fractions (5/4).
        const step = /[\d/]+[-+*/][\d/]+=-?[\d/]+ \(/;
        expect(r.choices[0].text, model).toMatch(new RegExp(`^${step.source}`));
        const c = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: prompts[0] }],
          max_tokens: 60,
          temperature: 0,
        });
        expect(c.choices[0].message.content, model).toMatch(step);
      }
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('`rlmkit solve` and `rlmkit eval` run against the server with the default prompt style', async () => {
    const cli = path.resolve('src/cli/main.ts');
    const tsx = path.resolve('node_modules/.bin/tsx');
    const spec = `${server.baseURL}#g24`;
    const solveArgs = (model: string) => [
      cli,
      'solve',
      '--task',
      'game24',
      '--strategy',
      'cot',
      '--model',
      model,
      '--problem',
      '0',
      '--json',
    ];
    const [remote, local] = await Promise.all([run(tsx, solveArgs(spec)), run(tsx, solveArgs(CKPT))]);
    const r = JSON.parse(remote.stdout.trim().split('\n').pop()!);
    const l = JSON.parse(local.stdout.trim().split('\n').pop()!);
    expect(r.answer).toBe(l.answer);
    expect(r.usage.completionTokens).toBe(l.usage.completionTokens);
    const out = path.join(dir, 'eval.json');
    const ev = await run(tsx, [
      cli,
      'eval',
      '--task',
      'game24',
      '--strategy',
      'cot',
      '--model',
      spec,
      '--limit',
      '3',
      '--out',
      out,
      '--json',
    ]);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(ev.stdout).toContain('"task"');
    expect(report.problems ?? report.n ?? report.results?.length).toBeTruthy();
  }, 120_000);
});
