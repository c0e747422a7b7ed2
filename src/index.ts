/**
 * rlmkit's public API: `import { solve, openPolicy, getTask } from 'rlmkit'`.
 *
 * The root re-exports what most programs need: solve a problem with a strategy over a policy,
 * define a strategy, open models, look up and register tasks, grade answers, evaluate, train from
 * a recipe and serve. Each layer has its own entry point with everything it makes public:
 * `rlmkit/reasoning`, `rlmkit/models`, `rlmkit/tasks`, `rlmkit/rewards`, `rlmkit/training`,
 * `rlmkit/eval`, `rlmkit/data`, `rlmkit/serve`. Anything not exported from these is internal.
 * The `examples/` folder shows each in a short program.
 */

// zod, for a strategy's or a task's settings schema (the same instance rlmkit validates with).
export { z } from 'zod';

// Errors every entry point throws: one class, a message, a hint and an exit code.
export { RlmkitError, isRlmkitError, formatError, usageError, inputError } from './core/errors.js';

// Reasoning: strategies over a policy, search structures, budgets and traces.
export {
  solve,
  solveMany,
  defineStrategy,
  getStrategy,
  strategyNames,
  strategies,
  parseSettings,
  type SolveOptions,
  type SolveResult,
  type SolveManyOptions,
  type SolveManyResult,
  type Strategy,
  type StrategyResult,
} from './reasoning/index.js';

// Models: a policy, value model or reward model from a spec string, and their contracts.
export {
  loadPolicy as openPolicy,
  loadValueModel as openValueModel,
  parseModelSpec,
  MODEL_SPEC_FORMS,
  type ModelSpec,
} from './models/spec.js';
export { shippedCheckpoint, shippedCheckpointNames } from './models/shipped.js';
export type { Policy, ValueModel, RewardModel, Completion, GenerateRequest, GenerateOptions, ChatMessage, Usage } from './models/types.js';

// Tasks: the registry, task and problem types, the math grader.
export { getTask, registerTask, listTasks, describeTasks, type TaskInfo } from './tasks/registry.js';
export type { Task, Problem } from './tasks/types.js';
export { MathGrader, type MathGraderOptions } from './tasks/grader/pool.js';

// Evaluation, training and serving.
export { runEval, type RunEvalOptions } from './eval/runner.js';
export { passAtK } from './eval/passk.js';
export { runRecipe, type PipelineResult } from './training/pipeline.js';
export { RecipeSchema, type Recipe } from './training/recipe.js';
export { startServer, type ServerOptions, type RunningServer } from './serve/server.js';
