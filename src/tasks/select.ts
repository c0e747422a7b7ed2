/**
 * Choosing problems of a task the way a person names them: an id (`game24/test/905` or its last
 * part `905`), an index into the split, four numbers written inline for Game of 24 (`4 4 6 8`), or
 * the first `limit` problems of the split. Used by `rlmkit solve`, the explorer's playground and
 * programs that take a problem from a user.
 */
import { usageError } from '../core/errors.js';
import type { Problem, Task } from './types.js';

export interface SelectProblemsOptions {
  /** An id, an index, or (game24) four numbers; omitted: the first `limit` problems. */
  problem?: string;
  split: string;
  limit?: number;
  seed: number;
  /** The user's own copy of the task's data file. */
  data?: string;
}

export async function selectProblems(task: Task<Problem>, o: SelectProblemsOptions): Promise<Problem[]> {
  if (o.problem && task.name === 'game24' && /^\s*\d+(\s+\d+){3}\s*$/.test(o.problem)) {
    const numbers = o.problem.trim().split(/\s+/).map(Number);
    return [
      {
        id: `game24/inline/${numbers.join('-')}`,
        question: `Use ${numbers.join(' ')} and + - * / to make 24, each number exactly once.`,
        data: { numbers, target: 24 },
      },
    ];
  }
  const all = await task.problems({ split: o.split, seed: o.seed, ...(o.data ? { path: o.data } : {}) });
  if (all.length === 0)
    throw usageError(`task ${task.name} has no problems in split "${o.split}"`, `choose one of its splits: ${task.splits.join(', ')}`);
  if (o.problem !== undefined) {
    const byId = all.find((p) => p.id === o.problem || p.id.endsWith(`/${o.problem}`));
    if (byId) return [byId];
    if (/^\d+$/.test(o.problem)) {
      const i = Number(o.problem);
      if (i < all.length) return [all[i]];
    }
    throw usageError(
      `no problem "${o.problem}" in ${task.name}/${o.split} (${all.length} problems)`,
      `give an id such as ${all[0].id}, an index below ${all.length}${task.name === 'game24' ? ', or four numbers like "4 4 6 8"' : ''}`,
    );
  }
  return all.slice(0, o.limit ?? 1);
}
