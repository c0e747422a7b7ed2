/** Trace -> dataset export: SFT chains, preference pairs, step labels, operator traces, verl Parquet. */
export * from './traces.js';
export * from './formats.js';
export * from './parquet.js';
export * from './export.js';
export { writeJsonlAtomic } from './io.js';
