/** The RL algorithm registries: advantage estimators, KL estimators, policy losses, aggregation, filters. */
export * from './matrix.js';
export * from './advantages.js';
export * from './kl.js';
export * from './loss-aggregation.js';
export * from './policy-loss.js';
export * from './filters.js';
export * from './policy-losses.js';
export * from './stable-reinforce.js';
export * from './group-select.js';
export * from './thought-advantages.js';
export * from './methods-config.js';
