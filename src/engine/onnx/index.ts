/** The onnxruntime half of the engine (see README.md): fast batched sampling from our own weights. */
export { createOnnxSampler, buildOnnxModels, type OnnxSampler, type OnnxSamplerOptions } from './sampler.js';
export { type OpSet } from './decoder-graphs.js';
export { referenceForward, type ReferenceOutput } from './reference.js';
export { benchOnnxDecode, benchWeights, type DecodeBenchOptions, type DecodeBenchResult } from './bench-decode.js';
