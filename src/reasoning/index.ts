/**
 * Public API of the reasoning layer (see README.md): solve / solveMany, the strategy registry,
 * structures, operators, budgets, traces and their rendering, the environment and the model-free
 * legal-uniform policy.
 */
export * from './structure.js';
export * from './budget.js';
export * from './environment.js';
export * from './context.js';
export * from './strategy.js';
export * from './solve.js';
export * from './lockstep.js';
export * from './legal-policy.js';
export * from './tracer.js';
export * from './render.js';
export * from './trace.js';
export {
  strategies,
  getStrategy,
  parseSettings,
  parseSetFlags,
  describeSettings,
  strategyNames,
  settingName,
  canonicalSettings,
} from './strategies/index.js';
export * as operators from './operators/index.js';
export * from './open-models.js';
export * from './tool-agent.js';
