export * from './functions.js';
export * from './registry.js';
