/**
 * Checks host weights against a model config before anything is built from them, so that a
 * checkpoint that does not fit its config fails with a message naming the tensor, not deep inside
 * onnxruntime.
 */
import { inputError } from '../../core/errors.js';
import { type ModelConfig, validateModelConfig, weightShapes } from '../config.js';
import type { HostWeights } from '../host-weights.js';

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Throws an RlmkitError for a missing, extra or wrongly shaped tensor; returns the validated config. */
export function validateHostWeights(weights: HostWeights, config: ModelConfig): ModelConfig {
  const cfg = validateModelConfig(config);
  const expected = weightShapes(cfg);
  const hint = 'the weights do not match the model config: load the config saved with the checkpoint, or retrain';
  for (const [name, shape] of expected) {
    const w = weights.get(name);
    if (!w) {
      const why =
        name === 'output.weight'
          ? ' (the config has tieEmbeddings: false)'
          : name.startsWith('value_head')
            ? ' (the config has valueHead: true)'
            : '';
      throw inputError(`model weights: missing tensor ${name}${why}`, hint);
    }
    if (!sameShape(w.shape, shape))
      throw inputError(`model weights: ${name} has shape [${w.shape.join(', ')}], the config needs [${shape.join(', ')}]`, hint);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!(w.data instanceof Float32Array) || w.data.length !== n)
      throw inputError(`model weights: ${name} holds ${w.data?.length ?? 0} values, its shape [${shape.join(', ')}] needs ${n}`, hint);
  }
  const known = new Set(expected.map(([n]) => n));
  for (const name of weights.keys()) {
    if (known.has(name)) continue;
    const why =
      name === 'output.weight'
        ? ' (the config has tieEmbeddings: true)'
        : name.startsWith('value_head')
          ? ' (the config has valueHead: false)'
          : '';
    throw inputError(`model weights: unexpected tensor ${name}${why}`, hint);
  }
  return cfg;
}
