/**
 * Helpers shared by loaders: split validation and limits. File loaders keep the file's order (so
 * "the first 50 problems" means the same thing everywhere) and ignore `seed`, which only drives
 * generators; shuffle a loaded list yourself with Rng when you want a random subset.
 */
import { usageError } from '../core/errors.js';
import type { LoadOptions } from './types.js';

export function checkSplit(task: string, splits: readonly string[], split: string): void {
  if (!splits.includes(split)) throw usageError(`task ${task} has no split "${split}"`, `use one of: ${splits.join(', ')}`);
}

/** Applies `limit` to a loaded list (file order kept). */
export function selectProblems<T>(items: T[], options: LoadOptions): T[] {
  let out = items;
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0)
      throw usageError(`limit must be a non-negative integer, got ${options.limit}`);
    out = out.slice(0, options.limit);
  }
  return out;
}
