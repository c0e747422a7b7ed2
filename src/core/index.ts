export * from './errors.js';
export * from './rng.js';
export * from './fs.js';
export * from './log.js';
export * from './config.js';
export * from './rundir.js';
export * from './progress.js';
export * from './schema.js';
