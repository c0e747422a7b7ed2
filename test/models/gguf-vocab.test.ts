/**
 * GGUF tokenizer metadata survives any character vocabulary: without letters, without a space,
 * with accents, CJK and emoji (several UTF-8 bytes, so BPE merges join them), and with the very
 * characters GPT-2's byte alphabet and SentencePiece use as markers ("Ġ", "Ċ", "▁"). llama.cpp
 * (node-llama-cpp) must tokenise in-vocabulary text exactly as our tokenizer and continue it as
 * the embedded backend does; text outside the vocabulary is refused by name, never an abort.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { EmbeddedPolicy, readEmbeddedCheckpoint } from '../../src/models/embedded.js';
import { writeGguf } from '../../src/models/gguf-export.js';
import { GgufPolicy } from '../../src/models/gguf.js';
import { writeTinyCheckpoint } from './embedded-fixture.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-gguf-vocab-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const VOCABS: Record<string, string[]> = {
  'digits only': [...'0123456789'],
  'signs without a space': [...'0123456789+-*/=()|'],
  'accents, CJK and emoji': [...'0123 éèüß中文字😀🎲ñ'],
  'marker characters': [...'ĠĊ▁ 01<>'],
};

describe('GGUF export for any vocabulary', () => {
  for (const [name, chars] of Object.entries(VOCABS)) {
    it(`${name}: llama.cpp tokenises and continues like the embedded model`, async () => {
      const ck = writeTinyCheckpoint({ seed: 5, chars, dir, name: name.replace(/\W+/g, '-') });
      const src = readEmbeddedCheckpoint(ck.file);
      const out = ck.file.replace(/\.safetensors$/, '.gguf');
      writeGguf(out, src.config, src.weights, src.tokenizer);
      const g = await GgufPolicy.load(out, { threads: 1, parallel: 2 });
      const e = await EmbeddedPolicy.load(ck.file);
      try {
        const rng = new Rng(chars.length);
        const texts = Array.from({ length: 12 }, (_, i) => {
          let s = '';
          for (let k = 0; k < rng.int(1, 10); k++) s += rng.pick(chars);
          return i % 3 === 2 ? `${s}\n${rng.pick(chars)}` : s;
        });
        for (const t of texts) {
          expect(g.model.tokenize(t).map(Number), JSON.stringify(t)).toEqual(src.tokenizer.encode(t));
          expect(g.model.detokenize(src.tokenizer.encode(t) as never, false)).toBe(t);
        }
        const requests = texts.slice(0, 6).map((prompt) => ({ prompt }));
        const [a, b] = [
          await g.generate(requests, { temperature: 0, maxTokens: 8 }),
          await e.generate(requests, { temperature: 0, maxTokens: 8 }),
        ];
        expect(a.map((c) => c[0].tokenIds)).toEqual(b.map((c) => c[0].tokenIds));
        expect(a.map((c) => c[0].text)).toEqual(b.map((c) => c[0].text));
        // A character the vocabulary lacks is refused by name; the process survives it.
        await expect(g.generate([{ prompt: `${texts[0]}Q` }], { maxTokens: 2 })).rejects.toThrow(/cannot encode: "Q"/);
        const [[again]] = await g.generate([{ prompt: texts[0] }], { temperature: 0, maxTokens: 8 });
        expect(again.tokenIds).toEqual(b[0][0].tokenIds);
      } finally {
        await g.close();
        await e.close();
      }
    });
  }
});
