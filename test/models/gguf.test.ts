/**
 * GGUF export: node-llama-cpp (llama.cpp) loads the exported file and produces the same greedy
 * continuations as the embedded backend on 20 prompts, and tokenises text as our tokenizer does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { EmbeddedPolicy, readEmbeddedCheckpoint } from '../../src/models/embedded.js';
import { encodeGguf, writeGguf } from '../../src/models/gguf-export.js';
import { GgufPolicy } from '../../src/models/gguf.js';
import { readGgufHeader } from '../../src/models/gguf-read.js';
import { TINY_CHARS, writeTinyCheckpoint } from './embedded-fixture.js';

const rng = new Rng(24);
const PROMPTS = Array.from({ length: 20 }, (_, i) => {
  const len = rng.int(2, 12);
  let s = '';
  for (let k = 0; k < len; k++) s += rng.pick(TINY_CHARS);
  // Some prompts end a step with "\n", which must encode to <eos_step> on both sides.
  return i % 5 === 4 ? `${s}\n${rng.pick(TINY_CHARS)}` : s;
});

let dir: string;
let file: string;
let gguf: GgufPolicy;
let embedded: EmbeddedPolicy;

beforeAll(async () => {
  ({ file, dir } = writeTinyCheckpoint({ seed: 11 }));
  const src = readEmbeddedCheckpoint(file);
  const out = path.join(dir, 'tiny.gguf');
  writeGguf(out, src.config, src.weights, src.tokenizer);
  gguf = await GgufPolicy.load(out, { threads: 1, parallel: 4 });
  embedded = await EmbeddedPolicy.load(file);
});
afterAll(async () => {
  await gguf?.close();
  await embedded?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GGUF export', () => {
  it('writes a GGUF v3 header with llama metadata and aligned F32 tensors', () => {
    const src = readEmbeddedCheckpoint(file);
    const bytes = encodeGguf(src.config, src.weights, src.tokenizer);
    expect(bytes.toString('latin1', 0, 4)).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(Number(bytes.readBigUInt64LE(8))).toBe(src.weights.size);
    const header = readGgufHeader(path.join(dir, 'tiny.gguf'));
    expect(header.metadata['general.architecture']).toBe('llama');
    expect(header.metadata['llama.block_count']).toBe(src.config.nLayers);
    expect(header.metadata['llama.rope.dimension_count']).toBe(src.config.dModel / src.config.nHeads);
    expect((header.metadata['tokenizer.ggml.tokens'] as string[]).slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', 'Ċ']);
    expect(header.metadata['tokenizer.ggml.model']).toBe('gpt2');
    expect(typeof header.metadata['tokenizer.chat_template']).toBe('string');
    expect(header.tensors.find((t) => t.name === 'blk.1.ffn_gate.weight')?.dims).toEqual([src.config.dModel, src.config.dFF]);
    expect(header.tensors.every((t) => t.offset % 32 === 0 && t.type === 0)).toBe(true);
    expect(bytes.length - header.expectedBytes!).toBeGreaterThanOrEqual(0);
    expect(bytes.length - header.expectedBytes!).toBeLessThan(32);
    const params = [...src.weights.values()].reduce((n, w) => n + w.data.length, 0);
    expect(bytes.length).toBeGreaterThanOrEqual(params * 4);
    expect(() => writeGguf(path.join(dir, 'x.bin'), src.config, src.weights, src.tokenizer)).toThrow(/must end in .gguf/);
  });

  it('tokenises text in llama.cpp exactly as our character tokenizer does', () => {
    const src = readEmbeddedCheckpoint(file);
    for (const p of PROMPTS) expect(gguf.model.tokenize(p).map(Number)).toEqual(src.tokenizer.encode(p));
    expect(gguf.model.detokenize(src.tokenizer.encode('1 + 2\n3') as never)).toBe('1 + 2\n3');
  });

  it('gives the same greedy continuations as the embedded backend on 20 prompts', async () => {
    const requests = PROMPTS.map((prompt) => ({ prompt }));
    const opts = { temperature: 0, maxTokens: 16, logprobs: true };
    const [a, b] = await Promise.all([gguf.generate(requests, opts), embedded.generate(requests, opts)]);
    for (let i = 0; i < PROMPTS.length; i++) {
      expect(a[i][0].tokenIds, `prompt ${JSON.stringify(PROMPTS[i])}`).toEqual(b[i][0].tokenIds);
      expect(a[i][0].text).toBe(b[i][0].text);
      expect(a[i][0].finishReason).toBe(b[i][0].finishReason);
      // llama.cpp keeps its KV cache in F16, so log-probs agree only approximately.
      a[i][0].logprobs!.forEach((lp, t) => expect(Math.abs(lp - b[i][0].logprobs![t])).toBeLessThan(0.02));
    }
    expect(new Set(b.map((c) => c[0].text)).size).toBeGreaterThan(5);
  });

  it('exports a model with tied embeddings (llama.cpp reuses token_embd as the head)', async () => {
    const tied = writeTinyCheckpoint({ seed: 12, tie: true, dir });
    const src = readEmbeddedCheckpoint(tied.file);
    const out = path.join(dir, 'tied.gguf');
    writeGguf(out, src.config, src.weights, src.tokenizer);
    const g = await GgufPolicy.load(out, { threads: 1, parallel: 2 });
    const e = await EmbeddedPolicy.load(tied.file);
    try {
      const req = PROMPTS.slice(0, 4).map((prompt) => ({ prompt }));
      const [x, y] = await Promise.all([
        g.generate(req, { temperature: 0, maxTokens: 10 }),
        e.generate(req, { temperature: 0, maxTokens: 10 }),
      ]);
      expect(x.map((c) => c[0].tokenIds)).toEqual(y.map((c) => c[0].tokenIds));
    } finally {
      await g.close();
      await e.close();
    }
  });

  it('stops on stop sequences and samples reproducibly from a seed', async () => {
    const [[free]] = await gguf.generate([{ prompt: PROMPTS[0] }], { temperature: 0, maxTokens: 16 });
    const stop = free.text.slice(2, 4);
    const [[cut]] = await gguf.generate([{ prompt: PROMPTS[0] }], { temperature: 0, maxTokens: 16, stop: [stop] });
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
    expect(cut.finishReason).toBe('stop');
    const s1 = await gguf.generate([{ prompt: 'ab' }], { temperature: 1, seed: 3, n: 3, maxTokens: 8 });
    const s2 = await gguf.generate([{ prompt: 'ab' }], { temperature: 1, seed: 3, n: 3, maxTokens: 8 });
    expect(s1[0].map((c) => c.text)).toEqual(s2[0].map((c) => c.text));
  });

  it('reports a missing or broken GGUF file as an input error', async () => {
    await expect(GgufPolicy.load(path.join(dir, 'missing.gguf'))).rejects.toThrow(/does not exist/);
    const broken = path.join(dir, 'broken.gguf');
    fs.writeFileSync(broken, Buffer.from('GGUF\x03\x00\x00\x00garbage'));
    await expect(GgufPolicy.load(broken)).rejects.toThrow(/not a GGUF file/);
    const header = Buffer.alloc(40);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(1n, 8);
    header.writeBigUInt64LE(5n, 16);
    fs.writeFileSync(broken, header);
    await expect(GgufPolicy.load(broken)).rejects.toThrow(/truncated: its header runs past/);
    const whole = fs.readFileSync(path.join(dir, 'tiny.gguf'));
    fs.writeFileSync(broken, whole.subarray(0, whole.length - 100));
    await expect(GgufPolicy.load(broken)).rejects.toThrow(/truncated: its tensors need/);
    fs.writeFileSync(broken, 'not a model at all, just text');
    await expect(GgufPolicy.load(broken)).rejects.toThrow(/not a GGUF file/);
  });
});
