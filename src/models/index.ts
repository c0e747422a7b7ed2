/** Public API of src/models: the contracts, the backends, the scheduler and the --model parser. */
export type * from './types.js';
export {
  MODEL_SPECIFICATION_VERSION,
  MODEL_SPECIFICATION_VERSIONS,
  type ModelSpecificationVersion,
  checkSpecificationVersion,
} from './interface-version.js';
export { Scheduler, type SchedulerOptions, type SchedulerStats } from './scheduler.js';
export { ResponseCache, cacheKey, isCacheable } from './cache.js';
export { UsageMeter, type CallerUsage } from './usage.js';
export { withRetry, withTimeout, isRetryable, TimeoutError } from './retry.js';
export { HttpPolicy, resolveHttpEndpoint, type HttpPolicyConfig } from './http.js';
export {
  EmbeddedPolicy,
  EmbeddedValueModel,
  readEmbeddedCheckpoint,
  createEngineSampler,
  type EmbeddedOptions,
  type EmbeddedModelSource,
  type EngineKind,
} from './embedded.js';
export { GgufPolicy, getCpuLlama, type GgufOptions } from './gguf.js';
export { encodeGguf, writeGguf, ggufTensorName, ggufVocabulary } from './gguf-export.js';
export { LlmJudge, parseJudgeScore, defaultOutcomePrompt, defaultStepPrompt, type JudgeOptions } from './judge.js';
export { parseModelSpec, loadPolicy, loadValueModel, MODEL_SPEC_FORMS, type ModelSpec } from './spec.js';
export { truncateAtStop, renderChatAsText, requestText } from './text.js';
export { shippedCheckpoint, shippedCheckpointNames } from './shipped.js';
export { messageFromContent, toWireMessage, countImages, checkContentParts, assertTextOnly, imagesRefused } from './multimodal.js';
export { HttpEmbeddings, openEmbeddings, type EmbeddingModel, type HttpEmbeddingsConfig } from './embeddings.js';
