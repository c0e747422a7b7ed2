/** The blueprint's operators, each a small composable piece (see each file for its source). */
export * from './generate.js';
export * from './evaluate.js';
export * from './select.js';
export * from './backpropagate.js';
export * from './prune.js';
export * from './backtrack.js';
export * from './aggregate.js';
export * from './refine.js';
export * from './restructure.js';
export * from './solutions.js';
