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
export { Navigator, type NavigatorWeights } from './navigator/navigator.js';
export { makeRlotStrategy, navigatorChooser, fixedChooser, loadNavigator } from './navigator/strategy.js';
export { trainNavigator, evalArms, standardArms } from './navigator/train.js';
export { BLOCKS as RLOT_BLOCKS } from './navigator/blocks.js';
