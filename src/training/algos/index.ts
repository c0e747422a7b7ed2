/** The RL algorithm registries: advantage estimators, KL estimators, policy losses, aggregation, filters. */
export * from './matrix.js';
export * from './advantages.js';
export * from './kl.js';
export * from './loss-aggregation.js';
export * from './policy-loss.js';
export * from './filters.js';
export * from './policy-losses.js';
