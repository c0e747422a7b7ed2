/** Helpers shared by loaders: split validation, seeded shuffling and limits. */
import { Rng } from '../core/rng.js';
import { usageError } from '../core/errors.js';
import type { LoadOptions } from './types.js';

export function checkSplit(task: string, splits: readonly string[], split: string): void {
  if (!splits.includes(split)) throw usageError(`task ${task} has no split "${split}"`, `use one of: ${splits.join(', ')}`);
}

/** Applies `seed` (shuffle, when given) then `limit` to a loaded list. */
export function selectProblems<T>(items: T[], options: LoadOptions): T[] {
  let out = items;
  if (options.seed !== undefined) out = new Rng(options.seed).fork('problem-order').shuffle([...items]);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) throw usageError(`limit must be a non-negative integer, got ${options.limit}`);
    out = out.slice(0, options.limit);
  }
  return out;
}
