/**
 * Public API of the training pipelines (README.md): recipes, the pipeline entry points other
 * layers call (`rlmkit train`, `rlmkit demo`), the phase runners, and the algorithm registries.
 */
export * as algos from './algos/index.js';
export { RecipeSchema, type Recipe, Pipelines, type Pipeline } from './recipe.js';
export {
  runRecipe,
  trainSft,
  trainRl,
  trainValue,
  trainDpo,
  trainRewardModel,
  trainRest,
  trainX1,
  openPipeline,
  heldOutProblems,
  type PipelineResult,
  type PipelineContext,
} from './pipeline.js';
export { TrainingRun, PhaseCheckpoints, type RunOptions } from './run.js';
export { runSftPhase, readSftJsonl, type SftExample, type SftResult } from './sft.js';
export { runRlPhase, greedyAccuracy, type RlResult } from './rl.js';
export { runValuePhase, valueExamplesFromTraces, valueExamplesFromRollouts, type ValueExample, type ValueResult } from './value.js';
export { runDpoPhase, readPairs } from './dpo.js';
export { runRest } from './rest.js';
export { runRewardModelPhase, bradleyTerryLoss, rewardModelLoss, type RewardModelResult } from './reward-model.js';
export { pairsFromPolicy, pairsFromJsonl, ruleQuality, type RmPair } from './rm-pairs.js';
export { RewardModelScorer, rewardModelReward, openRlReward } from './rm-reward.js';
export { thoughtAndResponse, RewardModelRewardSchema, type RewardModelRewardSpec } from './reward-model-config.js';
export { trainGenrm, type GenrmResult } from './genrm/pipeline.js';
export { runGenrmBench, type GenrmBenchOptions, type GenrmBenchResult } from './genrm/bench.js';
export { evaluateRlmt, rlmtMarkdown, type RlmtEvalReport } from './rlmt-eval.js';
export { runReplayPolicyPhase, stepGroupsFromTraces, type StepGroup } from './replay.js';
export { runX1, type X1Result } from './x1.js';
export { resolveReward, verifierReward, type RewardFn } from './rewards.js';
export { resolveTask, tokenizerForTask } from './tasks.js';
export { startingModel, resolveCheckpoint, withValueHead, type LoadedModel } from './models.js';
export { policyLoss, criticLoss, valueRegressionLoss, sftLoss, dpoLoss, klTensor } from './losses.js';
export { benchTraining } from './bench.js';
export * from './multiturn/index.js';
