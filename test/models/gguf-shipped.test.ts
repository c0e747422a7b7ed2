/**
 * The shipped checkpoint (checkpoints/game24-sft/policy.safetensors: digits and arithmetic signs,
 * no letters) exported to GGUF loads in node-llama-cpp, tokenises as our tokenizer does, and gives
 * the embedded backend's greedy continuations on 20 Game of 24 prompts, for completion and chat
 * requests alike; node-llama-cpp's own chat session runs on it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPolicy, readEmbeddedCheckpoint } from '../../src/models/embedded.js';
import { PLAIN_CHAT_TEMPLATE, writeGguf } from '../../src/models/gguf-export.js';
import { GgufPolicy } from '../../src/models/gguf.js';
import { readGgufHeader } from '../../src/models/gguf-read.js';
import { game24Task } from '../../src/tasks/index.js';

const CKPT = path.resolve('checkpoints/game24-sft/policy.safetensors');
let dir: string;
let out: string;
let gguf: GgufPolicy;
let embedded: EmbeddedPolicy;
let prompts: string[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-shipped-gguf-'));
  out = path.join(dir, 'game24-sft.gguf');
  const src = readEmbeddedCheckpoint(CKPT);
  writeGguf(out, src.config, src.weights, src.tokenizer, { addBos: src.bos ?? false });
  gguf = await GgufPolicy.load(out, { threads: 1, parallel: 4 });
  embedded = await EmbeddedPolicy.load(CKPT);
  const problems = (await game24Task.problems({ split: 'test' })).slice(0, 20);
  // Half fresh prompts, half with a first step already taken (its "\n" must be <eos_step>).
  prompts = await Promise.all(
    problems.map(async (p, i) => {
      if (i % 2 === 0) return game24Task.renderPlain(p, []);
      const [[first]] = await embedded.generate([{ prompt: game24Task.renderPlain(p, []) }], {
        temperature: 0,
        maxTokens: 24,
        stop: ['\n'],
      });
      return game24Task.renderPlain(p, [first.text]);
    }),
  );
});
afterAll(async () => {
  await gguf?.close();
  await embedded?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the shipped checkpoint as GGUF in node-llama-cpp', () => {
  it('carries byte-level BPE tokenizer metadata and a plain chat template', () => {
    const h = readGgufHeader(out);
    expect(h.metadata['tokenizer.ggml.model']).toBe('gpt2');
    expect(h.metadata['tokenizer.chat_template']).toContain(PLAIN_CHAT_TEMPLATE);
    // The model reads chat as plain text, so rlmkit prompts it in plain style by default.
    expect(gguf.capabilities.chat).toBe(false);
    expect(gguf.chatTemplate?.isPlain()).toBe(true);
  });

  it('tokenises the 20 prompts exactly as the checkpoint tokenizer does', () => {
    const src = readEmbeddedCheckpoint(CKPT);
    for (const p of prompts) {
      expect(gguf.model.tokenize(p).map(Number), JSON.stringify(p)).toEqual(src.tokenizer.encode(p));
      expect(gguf.model.detokenize(src.tokenizer.encode(p) as never)).toBe(p);
    }
  });

  it('gives the embedded greedy continuations on 20 prompts, with log-probs close', async () => {
    const requests = prompts.map((prompt) => ({ prompt }));
    const opts = { temperature: 0, maxTokens: 40, logprobs: true };
    const a = await gguf.generate(requests, opts);
    const b = await embedded.generate(requests, opts);
    for (let i = 0; i < prompts.length; i++) {
      expect(a[i][0].tokenIds, `prompt ${JSON.stringify(prompts[i])}`).toEqual(b[i][0].tokenIds);
      expect(a[i][0].text).toBe(b[i][0].text);
      expect(a[i][0].finishReason).toBe(b[i][0].finishReason);
      expect(a[i][0].usage).toEqual(b[i][0].usage);
      a[i][0].logprobs!.forEach((lp, t) => expect(Math.abs(lp - b[i][0].logprobs![t])).toBeLessThan(0.02));
    }
    // The model really solves steps: most continuations are Game of 24 steps.
    expect(b.filter((c) => /^\d+[-+*/]\d+=\d+/.test(c[0].text)).length).toBeGreaterThan(15);
  });

  it('answers chat requests through the template with the same greedy text as the embedded backend', async () => {
    const chats = prompts.slice(0, 6).map((p) => {
      const [question, ...rest] = p.split('|');
      const steps = rest.join('|');
      // A conversation that ends with a partial assistant message is continued, not answered anew.
      return {
        messages: steps
          ? [
              { role: 'user' as const, content: `${question}|` },
              { role: 'assistant' as const, content: steps.replace(/\n$/, '') },
            ]
          : [{ role: 'user' as const, content: p }],
      };
    });
    const a = await gguf.generate(chats, { temperature: 0, maxTokens: 30 });
    const b = await embedded.generate(chats, { temperature: 0, maxTokens: 30 });
    for (let i = 0; i < chats.length; i++) {
      expect(a[i][0].text, JSON.stringify(chats[i])).toBe(b[i][0].text);
      expect(a[i][0].tokenIds).toEqual(b[i][0].tokenIds);
    }
  });

  it('refuses a prompt with characters outside the vocabulary instead of aborting or dropping them', async () => {
    await expect(gguf.generate([{ prompt: 'Solve 1 2 3 4' }], { maxTokens: 4 })).rejects.toThrow(/cannot encode: "S", "o", "l", "v", "e"/);
    // The process is still alive and the model still answers.
    const [[c]] = await gguf.generate([{ prompt: prompts[0] }], { temperature: 0, maxTokens: 4 });
    expect(c.text.length).toBeGreaterThan(0);
  });

  it("runs node-llama-cpp's own chat session on the export", async () => {
    const { LlamaChatSession } = await import('node-llama-cpp');
    const ctx = await gguf.model.createContext({ contextSize: 80, threads: 1 });
    try {
      const seq = ctx.getSequence();
      const session = new LlamaChatSession({ contextSequence: seq, systemPrompt: '' });
      const reply = await session.prompt(prompts[0], { temperature: 0, maxTokens: 12 });
      expect(typeof reply).toBe('string');
      // The session rendered the conversation with the exported template (contents joined by "\n").
      const src = readEmbeddedCheckpoint(CKPT);
      const seen = seq.contextTokens.map(Number);
      const userIds = src.tokenizer.encode(prompts[0]);
      const at = seen.findIndex((_, k) => userIds.every((id, j) => seen[k + j] === id));
      expect(at).toBeGreaterThanOrEqual(0);
    } finally {
      await ctx.dispose();
    }
  });
});
