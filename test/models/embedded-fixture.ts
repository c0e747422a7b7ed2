/**
 * A real tiny embedded model for tests: a random-init Llama-style checkpoint (character tokenizer,
 * optional value head) written to a temporary folder with the engine's own checkpoint writer.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveCheckpoint } from '../../src/engine/checkpoint.js';
import { validateModelConfig, type ModelConfig } from '../../src/engine/config.js';
import { initHostWeights } from '../../src/engine/model.js';
import { CharTokenizer } from '../../src/engine/tokenizer.js';

export const TINY_CHARS = [...'0123456789+-*/=()| abcdefghijklmnopqrstuvwxyz.,'];

export function tinyConfig(vocabSize: number, over: Partial<ModelConfig> = {}): ModelConfig {
  return validateModelConfig({ vocabSize, dModel: 32, nLayers: 2, nHeads: 4, dFF: 64, maxSeqLen: 64, ...over });
}

/** Writes a random-init checkpoint and returns its path (and the folder to delete). */
export function writeTinyCheckpoint(
  o: {
    seed?: number;
    valueHead?: boolean;
    tie?: boolean;
    dir?: string;
    config?: Partial<ModelConfig>;
    chars?: readonly string[];
    name?: string;
  } = {},
): { file: string; dir: string; config: ModelConfig } {
  const tok = new CharTokenizer(o.chars ?? TINY_CHARS);
  const config = tinyConfig(tok.vocabSize, { valueHead: o.valueHead ?? false, tieEmbeddings: o.tie ?? false, ...o.config });
  const weights = initHostWeights(config, o.seed ?? 1);
  // Random init at std 0.02 gives near-uniform outputs; sharpen the head so greedy text varies by prompt.
  const head = weights.get(config.tieEmbeddings ? 'tok_embeddings.weight' : 'output.weight')!;
  for (let i = 0; i < head.data.length; i++) head.data[i] *= 60;
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-models-'));
  const file = path.join(dir, `${o.name ?? 'tiny'}-${o.seed ?? 1}${o.valueHead ? '-value' : ''}.safetensors`);
  saveCheckpoint(file, { kind: o.valueHead ? 'value' : 'policy', config, tokenizer: tok.spec(), step: 0, extra: {} }, weights);
  return { file, dir, config };
}
