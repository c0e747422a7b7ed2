/**
 * A real tiny embedded model (random-init checkpoint written in the test) served by `rlmkit serve`:
 * in-process with the openai client and the HTTP backend, and as a CLI subprocess with graceful
 * SIGTERM shutdown. Also `rlmkit export gguf` from the CLI.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageError } from '../../src/core/errors.js';
import { EmbeddedPolicy } from '../../src/models/embedded.js';
import { readGgufHeader } from '../../src/models/gguf-read.js';
import { HttpPolicy } from '../../src/models/http.js';
import type { GenerateOptions, GenerateRequest } from '../../src/models/types.js';
import { buildRegistry } from '../../src/serve/build.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { repoRoot, runCli, tsxLoader } from '../helpers/cli.js';
import { writeTinyCheckpoint } from '../models/embedded-fixture.js';
import { ToyPolicy } from '../models/fixtures.js';

let dir: string;
let file: string;
let server: RunningServer;
let direct: EmbeddedPolicy;

beforeAll(async () => {
  ({ file, dir } = writeTinyCheckpoint({ seed: 21 }));
  const { registry } = await buildRegistry([`tiny=embedded:${file}`], { maxWaitMs: 2 });
  server = await startServer({ registry, port: 0 });
  direct = await EmbeddedPolicy.load(file);
});
afterAll(async () => {
  await server?.close();
  await direct?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('serving a real embedded model', () => {
  it('answers the openai client with the same completions as the model in-process', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    const res = await client.completions.create({
      model: 'tiny',
      prompt: '4 4 6 8|',
      max_tokens: 12,
      temperature: 0.9,
      seed: 4,
      n: 2,
      logprobs: 0,
    });
    const [want] = await direct.generate([{ prompt: '4 4 6 8|' }], { maxTokens: 12, temperature: 0.9, seed: 4, n: 2, logprobs: true });
    expect(res.choices.map((c) => c.text)).toEqual(want.map((c) => c.text));
    for (const [j, c] of res.choices.entries()) {
      expect(c.logprobs?.tokens?.join('')).toBe(c.text);
      c.logprobs!.token_logprobs!.forEach((lp, t) => expect(lp).toBeCloseTo(want[j].logprobs![t], 5));
    }
    expect(res.usage?.prompt_tokens).toBe(8);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny']);
  });

  it('streams chat completions that add up to the non-streamed answer', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: '12+7=' }];
    const whole = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 15, temperature: 0 });
    const stream = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 15, temperature: 0, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(whole.choices[0].message.content);
  });

  it('maps a character the model cannot encode to a 400, not a 5xx', async () => {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'tiny', prompt: 'ünïcode', max_tokens: 3 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/not in the tokenizer's vocabulary/);
  });

  it('drives the HTTP backend against the live server: stop "\\n", log-probs, token counts', async () => {
    const remote = new HttpPolicy({ model: 'tiny', baseURL: `${server.url}/v1` });
    const opts = { maxTokens: 20, temperature: 0, stop: ['\n'], logprobs: true };
    const [[viaHttp]] = await remote.generate([{ prompt: 'hello world' }], opts);
    const [[local]] = await direct.generate([{ prompt: 'hello world' }], opts);
    expect(viaHttp.text).toBe(local.text);
    expect(viaHttp.finishReason).toBe(local.finishReason);
    // The server returns the log-probs of the tokens that spell the text (the ending "\n" token is
    // not part of it; an untrained model also emits specials that spell nothing).
    const n = viaHttp.logprobs!.length;
    expect(n).toBeGreaterThanOrEqual([...local.text].length);
    expect(n).toBeLessThanOrEqual(local.logprobs!.length);
    viaHttp.logprobs!.forEach((lp, t) => expect(lp).toBeCloseTo(local.logprobs![t], 5));
  });
});

describe('HTTP backend n fallback against a live server that rejects n', () => {
  it('switches to separate calls after the server answers n > 1 with a 400', async () => {
    const toy = new ToyPolicy('single');
    const noN = {
      id: 'single',
      capabilities: { ...toy.capabilities, n: false },
      generate: (r: GenerateRequest[], o: GenerateOptions = {}) => {
        if ((o.n ?? 1) > 1) throw usageError('this server does not support n > 1');
        return toy.generate(r, o);
      },
    };
    const s = await startServer({ registry: new ModelRegistry().register(staticProvider({ single: noN })), port: 0 });
    try {
      const remote = new HttpPolicy({ model: 'single', baseURL: `${s.url}/v1` });
      const [out] = await remote.generate([{ prompt: 'p' }], { n: 3, temperature: 1, seed: 10, maxTokens: 8 });
      expect(out).toHaveLength(3);
      expect(remote.supportsNativeN).toBe(false);
      // Seeds 10, 11, 12: three different samples.
      expect(new Set(out.map((c) => c.text)).size).toBe(3);
    } finally {
      await s.close();
    }
  });
});

describe('CLI', () => {
  it('rlmkit serve listens, answers, and exits 0 after SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, path.join(repoRoot, 'src/cli/main.ts'), 'serve', '--model', `tiny=${file}`, '--port', '0'],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /"url":"([^"]+)"/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const res = await fetch(`${url}/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'tiny', prompt: 'ab', max_tokens: 5, temperature: 0 }),
    });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/server stopped/);
  });

  it('rlmkit serve rejects a bad --model spec with a usage error', () => {
    const r = runCli(['serve', '--model', 'vllm:foo', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad --model "vllm:foo": unknown kind/);
    expect(r.stderr).toMatch(/hint: use one of/);
  });

  it('rlmkit export gguf writes a loadable llama GGUF and rejects non-embedded models', () => {
    const out = path.join(dir, 'cli.gguf');
    const r = runCli(['export', 'gguf', '--model', file, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).bytes).toBe(fs.statSync(out).size);
    expect(readGgufHeader(out).metadata['general.architecture']).toBe('llama');
    const bad = runCli(['export', 'gguf', '--model', 'openai:gpt-4o', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/needs an embedded checkpoint/);
  });
});
