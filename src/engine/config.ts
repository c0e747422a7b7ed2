/**
 * Model configuration and presets. The architecture is fixed (Llama-style, see README.md); the
 * config only sets sizes. Validation errors are usage errors naming the field.
 */
import { usageError } from '../core/errors.js';

export interface ModelConfig {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Hidden width of the SwiGLU MLP. */
  dFF: number;
  /** Longest sequence (prompt + generation) the model accepts; sets the KV-cache size. */
  maxSeqLen: number;
  ropeTheta: number;
  normEps: number;
  /** Use the token embedding as the LM head (no separate `output.weight`). */
  tieEmbeddings: boolean;
  /** Add a scalar value head (tanh to [-1, 1]) for value/Q models and PPO critics. */
  valueHead: boolean;
}

export type PresetName = 'tiny' | 'small' | 'reference';

const BASE = { ropeTheta: 10000, normEps: 1e-5, tieEmbeddings: false, valueHead: false };

/**
 * Presets. `tiny` (~1M parameters, sized after CALIBRATION.md's 0.8M model that learns Game of 24
 * in 20 CPU minutes), `small` (~5M), `reference` (the benchmark model of issue 3).
 */
export const PRESETS: Record<PresetName, Omit<ModelConfig, 'vocabSize'> & { vocabSize: number }> = {
  tiny: { ...BASE, vocabSize: 64, dModel: 128, nLayers: 5, nHeads: 4, dFF: 352, maxSeqLen: 128 },
  small: { ...BASE, vocabSize: 64, dModel: 256, nLayers: 6, nHeads: 8, dFF: 704, maxSeqLen: 256 },
  reference: { ...BASE, vocabSize: 64, dModel: 128, nLayers: 4, nHeads: 4, dFF: 352, maxSeqLen: 64 },
};

export function presetConfig(name: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base = PRESETS[name as PresetName];
  if (!base) throw usageError(`unknown model preset "${name}"`, `use one of: ${Object.keys(PRESETS).join(', ')}`);
  return validateModelConfig({ ...base, ...overrides });
}

/** Checks a config (e.g. read from a checkpoint or a --set flag) and returns it with defaults. */
export function validateModelConfig(c: Partial<ModelConfig>): ModelConfig {
  const cfg: ModelConfig = { ...BASE, ...c } as ModelConfig;
  const positiveInts: (keyof ModelConfig)[] = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'dFF', 'maxSeqLen'];
  for (const k of positiveInts) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw usageError(`model config: ${k} must be a positive integer, got ${JSON.stringify(v)}`, 'fix the model config');
  }
  if (cfg.dModel % cfg.nHeads !== 0)
    throw usageError(`model config: dModel (${cfg.dModel}) must be divisible by nHeads (${cfg.nHeads})`, 'change dModel or nHeads');
  if ((cfg.dModel / cfg.nHeads) % 2 !== 0)
    throw usageError(
      `model config: the head size dModel/nHeads (${cfg.dModel / cfg.nHeads}) must be even for rotary embeddings`,
      'change dModel or nHeads',
    );
  if (!(cfg.ropeTheta > 0)) throw usageError(`model config: ropeTheta must be positive, got ${cfg.ropeTheta}`);
  if (!(cfg.normEps > 0)) throw usageError(`model config: normEps must be positive, got ${cfg.normEps}`);
  if (typeof cfg.tieEmbeddings !== 'boolean' || typeof cfg.valueHead !== 'boolean')
    throw usageError('model config: tieEmbeddings and valueHead must be booleans');
  return cfg;
}

export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}

/** Weight names and shapes in the order used for checkpoints and parameter lists (README.md table). */
export function weightShapes(c: ModelConfig): [string, number[]][] {
  const out: [string, number[]][] = [['tok_embeddings.weight', [c.vocabSize, c.dModel]]];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `layers.${i}.`;
    out.push([`${p}attention_norm.weight`, [c.dModel]]);
    for (const w of ['wq', 'wk', 'wv', 'wo']) out.push([`${p}attention.${w}.weight`, [c.dModel, c.dModel]]);
    out.push([`${p}ffn_norm.weight`, [c.dModel]]);
    out.push([`${p}feed_forward.w1.weight`, [c.dFF, c.dModel]]);
    out.push([`${p}feed_forward.w2.weight`, [c.dModel, c.dFF]]);
    out.push([`${p}feed_forward.w3.weight`, [c.dFF, c.dModel]]);
  }
  out.push(['norm.weight', [c.dModel]]);
  if (!c.tieEmbeddings) out.push(['output.weight', [c.vocabSize, c.dModel]]);
  if (c.valueHead) {
    out.push(['value_head.weight', [1, c.dModel]]);
    out.push(['value_head.bias', [1]]);
  }
  return out;
}

export function parameterCount(c: ModelConfig): number {
  return weightShapes(c).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}
