/**
 * Language-model training data: JSONL lines `{"text": ...}` (loss on every token) or
 * `{"prompt": ..., "response": ...}` (loss on the response only), tokenised as
 *   <bos> text <eos>            or            <bos> prompt response <eos>
 * and a data order that is a pure function of (seed, step), so a resumed run sees exactly the
 * batches it would have seen.
 */
import { inputError } from '../core/errors.js';
import { readText } from '../core/fs.js';
import { Rng } from '../core/rng.js';
import type { TrainBatch } from './train-types.js';
import { BOS, EOS, type Tokenizer } from './tokenizer.js';

export interface TextExample {
  /** Text before the part that is trained on ('' for plain text). */
  prompt: string;
  /** Text trained on. */
  response: string;
}

export interface EncodedExample {
  ids: number[];
  /** 1 where ids[t] is a training target (predicted from ids[<t]). */
  target: number[];
}

/** Reads and validates a JSONL dataset; every failure names the line. */
export function readTextDataset(file: string): TextExample[] {
  const text = readText(file);
  const out: TextExample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw inputError(
        `${where}: not valid JSON (${(e as Error).message})`,
        'each line must be one JSON object like {"text": "..."} or {"prompt": "...", "response": "..."}',
      );
    }
    const o = obj as Record<string, unknown>;
    if (!o || typeof o !== 'object' || Array.isArray(o))
      throw inputError(`${where}: expected a JSON object`, 'write {"text": "..."} or {"prompt": "...", "response": "..."}');
    if (typeof o.text === 'string') out.push({ prompt: '', response: o.text });
    else if (typeof o.prompt === 'string' && typeof o.response === 'string') out.push({ prompt: o.prompt, response: o.response });
    else throw inputError(`${where}: needs a string "text", or string "prompt" and "response"`, 'fix the line; other fields are ignored');
    if (out[out.length - 1].prompt.length + out[out.length - 1].response.length === 0) throw inputError(`${where}: the example is empty`);
  }
  if (out.length === 0) throw inputError(`${file} holds no examples`, 'add JSONL lines like {"text": "..."}');
  return out;
}

/** Tokenises examples; throws naming the example that has an unknown character or is too long. */
export function encodeExamples(examples: TextExample[], tok: Tokenizer, maxSeqLen: number, source = 'data'): EncodedExample[] {
  return examples.map((ex, i) => {
    let p: number[];
    let r: number[];
    try {
      p = [BOS, ...tok.encode(ex.prompt)];
      r = [...tok.encode(ex.response), EOS];
    } catch (e) {
      throw inputError(`${source}: example ${i + 1}: ${(e as Error).message}`, (e as { hint?: string }).hint);
    }
    const ids = [...p, ...r];
    // A sequence of n ids gives n-1 (input, target) pairs, so n may be maxSeqLen + 1.
    if (ids.length > maxSeqLen + 1) {
      throw inputError(
        `${source}: example ${i + 1} is ${ids.length} tokens long (with <bos>/<eos>), more than the context of ${maxSeqLen} + 1`,
        'shorten the example or raise maxSeqLen (--set maxSeqLen=N)',
      );
    }
    return { ids, target: ids.map((_, t) => (t >= p.length ? 1 : 0)) };
  });
}

/** Example indices for global batch `step` (0-based): epochs of seeded permutations, back to back. */
export function batchIndices(n: number, batchSize: number, step: number, seed: number): number[] {
  const out: number[] = [];
  const root = new Rng(seed).fork('lm.data');
  let pos = step * batchSize;
  let epoch = Math.floor(pos / n);
  let perm = root.fork(`epoch.${epoch}`).shuffle(Array.from({ length: n }, (_, i) => i));
  while (out.length < batchSize) {
    const e = Math.floor(pos / n);
    if (e !== epoch) {
      epoch = e;
      perm = root.fork(`epoch.${epoch}`).shuffle(Array.from({ length: n }, (_, i) => i));
    }
    out.push(perm[pos % n]);
    pos++;
  }
  return out;
}

/** Builds a TrainBatch (tokens, targets, float `mask`) from encoded examples. */
export function makeBatch(examples: EncodedExample[]): TrainBatch {
  return {
    tokens: examples.map((e) => e.ids.slice(0, -1)),
    targets: examples.map((e) => e.ids.slice(1)),
    floats: { mask: examples.map((e) => e.target.slice(1)) },
  };
}
