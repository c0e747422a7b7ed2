export * from './extract.js';
export * from './normalize.js';
export * from './equivalence.js';
export * from './grade.js';
export * from './pool.js';
