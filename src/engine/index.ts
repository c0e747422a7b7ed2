/**
 * The public API of the embedded engine (see README.md). Other folders import from here (or the
 * named modules) and never from @jax-js/jax or onnxruntime-node directly.
 */
export { ensureRuntime as initEngine } from './runtime.js';
export { type Tensor, type DType, type Compiled, ops } from './tensor.js';
export {
  type ModelConfig,
  type PresetName,
  PRESETS,
  presetConfig,
  validateModelConfig,
  weightShapes,
  parameterCount,
  headDim,
} from './config.js';
export { LlamaModel, type Params, initHostWeights, checkWeights } from './model.js';
export { type ModelOutputs } from './outputs.js';
export {
  Trainer,
  type TrainerOptions,
  type TrainBatch,
  type LossFn,
  type StepResult,
  type OptimizerState,
  checkTokenId,
  splitRows,
} from './train.js';
export { type TrainEngine, TRAIN_ENGINES, parseTrainEngine, withTrainEngine, scopedTrainEngine } from './engine-scope.js';
export { maskedCrossEntropy, valueMse } from './losses.js';
export { type LossInfo, type LossSource, describeLoss, lossInfo } from './loss-info.js';
export { type AdamWOptions, type ScheduleOptions, DEFAULT_ADAMW, learningRate } from './optim.js';
export { type HostWeights, type SampleOptions, type SampleResult, type Sampler, EOS_TOKEN } from './sampler-types.js';
export { JaxSampler, createJaxSampler } from './jax-sampler.js';
export { type SamplerEngine, createSampler } from './open-sampler.js';
export { LogprobScorer } from './logprob-scorer.js';
export { chooseToken, logSoftmax, validateSampleOptions } from './choose.js';
export {
  type Tokenizer,
  type TokenizerSpec,
  type EncodeOptions,
  CharTokenizer,
  tokenizerFromSpec,
  PAD,
  BOS,
  EOS,
  EOS_STEP,
  SPECIAL_TOKENS,
} from './tokenizer.js';
export {
  type Checkpoint,
  type CheckpointMeta,
  type SidecarState,
  type LoadOptions,
  CHECKPOINT_FORMAT,
  saveCheckpoint,
  loadCheckpoint,
  sidecarPath,
} from './checkpoint.js';
export { encodeSafetensors, decodeSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';
export * from './onnx/index.js';
