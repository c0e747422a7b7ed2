/**
 * A Hugging Face byte-level BPE tokenizer.json (trained here by the real `tokenizers` library, as
 * GPT-2/Llama-3/Qwen tokenizers are) loads in rlmkit and encodes text exactly as the Python
 * library does; `split` cuts text into token pieces that join back to it; bad files fail by name.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HfTokenizer } from '../../src/models/hf-tokenizer.js';
import { HttpPolicy } from '../../src/models/http.js';

const PY = path.resolve('test/models/py/hf_reference.py');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-hf-tok-'));
let file: string;

beforeAll(() => {
  // The corpus: this project's own documentation (English, code, numbers, markdown).
  const corpus = path.join(dir, 'corpus.txt');
  fs.writeFileSync(
    corpus,
    ['README.md', 'src/models/README.md', 'src/reasoning/README.md'].map((f) => fs.readFileSync(f, 'utf8')).join('\n'),
  );
  file = path.join(dir, 'tokenizer.json');
  const r = spawnSync('python3', [PY, 'train-bpe', file, corpus, '600'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`training the reference tokenizer failed (run npm run setup): ${r.stderr}`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TEXTS = [
  'Solve the Game of 24 with 4 4 6 8.',
  '  leading spaces, trailing spaces  ',
  'MCTS with the value model beats greedy CoT by 47 points.\n\nNew paragraph\twith a tab.',
  'Unicode: naïve café, 中文, emoji 🎲 and ∑ symbols',
  '```ts\nconst x = await policy.generate([{ prompt }], { n: 4 });\n```',
  '',
];

describe('Hugging Face tokenizer.json', () => {
  it('encodes exactly as the Python tokenizers library', () => {
    const tok = HfTokenizer.load(file);
    expect(tok.modelType).toBe('BPE');
    const r = spawnSync('python3', [PY, 'encode', file], { input: JSON.stringify(TEXTS), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as number[][];
    TEXTS.forEach((t, i) => {
      expect(tok.encode(t), JSON.stringify(t)).toEqual(ref[i]);
      expect(tok.countTokens(t)).toBe(ref[i].length);
      expect(tok.decode(ref[i])).toBe(t);
    });
    // Real merges happened: common words are one token.
    expect(tok.countTokens('the model')).toBeLessThan('the model'.length);
  });

  it('splits text into token pieces that join back to it, multi-byte characters kept whole', () => {
    const tok = HfTokenizer.load(dir);
    for (const t of TEXTS) {
      const pieces = tok.split(t);
      expect(pieces.join('')).toBe(t);
      expect(pieces.length).toBe(tok.countTokens(t));
      expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
    }
    expect(tok.tokenId('<|im_end|>')).toBeTypeOf('number');
  });

  it('gives the HTTP backend exact token counts', () => {
    const tok = HfTokenizer.load(file);
    const p = new HttpPolicy({ model: 'm', baseURL: 'http://127.0.0.1:9/v1', tokenizer: tok });
    expect(p.countTokens(TEXTS[2])).toBe(tok.countTokens(TEXTS[2]));
  });

  it('refuses files that are not tokenizers, by name', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"version": "1.0"}');
    expect(() => HfTokenizer.load(bad)).toThrow(/is not a Hugging Face tokenizer.json/);
    fs.writeFileSync(bad, 'not json');
    expect(() => HfTokenizer.load(bad)).toThrow(/cannot read the tokenizer/);
    expect(() => HfTokenizer.load(path.join(dir, 'nope.json'))).toThrow(/does not exist/);
  });
});
