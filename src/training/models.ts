/**
 * Building and loading the models a recipe trains: a policy (LM head) and value models (the same
 * trunk with a tanh value head, docs/design.md), from a preset or from a checkpoint. A value model can
 * start from a policy checkpoint: its trunk is copied and a fresh value head is added (x1 does this
 * for its Q model).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inputError, runPathInside } from '../core/index.js';
import {
  type HostWeights,
  LlamaModel,
  type ModelConfig,
  type Tokenizer,
  initHostWeights,
  loadCheckpoint,
  presetConfig,
  tokenizerFromSpec,
} from '../engine/index.js';
import type { ModelSection } from './recipe.js';
import { readFinals } from './run.js';

export interface LoadedModel {
  config: ModelConfig;
  tokenizer: Tokenizer;
  weights: HostWeights;
  /** Where the weights came from ("init" for fresh ones). */
  source: string;
}

/**
 * Resolves `model.init`: a .safetensors checkpoint, or a run directory (or its checkpoints/ folder)
 * whose checkpoints/final.json names the final model of each kind.
 */
export function resolveCheckpoint(where: string, kind = 'policy'): string {
  if (where.endsWith('.safetensors')) {
    if (!fs.existsSync(where))
      throw inputError(`checkpoint ${where} does not exist`, 'check model.init (a .safetensors file or a run directory)');
    return where;
  }
  for (const candidate of [path.join(where, 'checkpoints', 'final.json'), path.join(where, 'final.json')]) {
    if (fs.existsSync(candidate)) {
      const finals = readFinals(candidate);
      const file = finals[kind];
      if (!file)
        throw inputError(
          `${candidate} names no final "${kind}" model (it has: ${Object.keys(finals).join(', ') || 'none'})`,
          `train a ${kind} model in that run first`,
        );
      return runPathInside(path.dirname(candidate), file, candidate, kind);
    }
  }
  throw inputError(
    `no finished run or checkpoint at ${where}`,
    'model.init must be a .safetensors file or a run directory whose training finished (it writes checkpoints/final.json)',
  );
}

function modelOverrides(m: ModelSection): Partial<ModelConfig> {
  const o: Partial<ModelConfig> = {};
  if (m.d_model !== undefined) o.dModel = m.d_model;
  if (m.n_layers !== undefined) o.nLayers = m.n_layers;
  if (m.n_heads !== undefined) o.nHeads = m.n_heads;
  if (m.d_ff !== undefined) o.dFF = m.d_ff;
  if (m.max_seq_len !== undefined) o.maxSeqLen = m.max_seq_len;
  return o;
}

/** Adds (a fresh value head) or removes the value head of loaded weights. */
export function withValueHead(src: LoadedModel, valueHead: boolean, seed: number): LoadedModel {
  if (src.config.valueHead === valueHead) return src;
  const config: ModelConfig = { ...src.config, valueHead };
  const weights: HostWeights = new Map([...src.weights].filter(([n]) => !n.startsWith('value_head.')));
  if (valueHead) {
    const fresh = initHostWeights(config, seed);
    for (const n of ['value_head.weight', 'value_head.bias']) weights.set(n, fresh.get(n)!);
  }
  return { ...src, config, weights };
}

/** The starting weights of a model: the init checkpoint, or fresh weights of the preset. */
export function startingModel(
  section: ModelSection,
  tokenizer: Tokenizer,
  seed: number,
  o: { valueHead?: boolean; kind?: string } = {},
): LoadedModel {
  const valueHead = o.valueHead ?? false;
  if (section.init) {
    const file = resolveCheckpoint(section.init, o.kind ?? 'policy');
    const ck = loadCheckpoint(file);
    return withValueHead(
      { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: file },
      valueHead,
      seed,
    );
  }
  const config = presetConfig(section.preset, { vocabSize: tokenizer.vocabSize, ...modelOverrides(section), valueHead });
  return { config, tokenizer, weights: initHostWeights(config, seed), source: 'init' };
}

export function toDevice(m: LoadedModel): LlamaModel {
  return LlamaModel.fromHostWeights(m.weights, m.config);
}
