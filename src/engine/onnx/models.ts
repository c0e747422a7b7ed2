/** The generated ONNX models as bytes, without loading onnxruntime (e.g. to save or inspect them). */
import type { ModelConfig } from '../config.js';
import type { HostWeights } from '../host-weights.js';
import { type OpSet, buildDecodeGraph, buildSequenceGraph } from './decoder-graphs.js';
import { validateHostWeights } from './weights.js';

/** Both graphs of ./decoder-graphs.ts for these weights; throws RlmkitError when they do not fit the config. */
export function buildOnnxModels(
  weights: HostWeights,
  config: ModelConfig,
  ops: OpSet = 'onnxruntime',
): { sequence: Uint8Array; decode: Uint8Array } {
  const cfg = validateHostWeights(weights, config);
  return { sequence: buildSequenceGraph(weights, cfg, { ops }), decode: buildDecodeGraph(weights, cfg, { ops }) };
}
