export * from './extract.js';
export * from './normalize.js';
export * from './equivalence.js';
export * from './grade.js';
export * from './pool.js';
export * from './relations.js';
export * from './matrix.js';
export { decimalCommaValue, formatNumber, type PlainNumber } from './numbers.js';
