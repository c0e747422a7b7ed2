/**
 * The task registry: every built-in task by name. Strategies, trainers and the CLI look tasks up
 * here (`getTask('game24')`) and never import a task module directly.
 */
import { usageError } from '../core/errors.js';
import { humanevalTask } from './code/humaneval.js';
import { countdownClassicTask, countdownTask } from './games/countdown.js';
import { game24Task } from './games/game24.js';
import { aime24Task, amc23Task, gsm8kTask, math500Task } from './math/math-task.js';
import { arithmeticTask } from './synthetic/arithmetic.js';
import { sorting128Task, sorting64Task, sortingTask } from './synthetic/sorting.js';
import type { Problem, Task } from './types.js';

const builtIn: Task<any>[] = [
  game24Task,
  countdownTask,
  countdownClassicTask,
  arithmeticTask,
  sortingTask,
  sorting64Task,
  sorting128Task,
  gsm8kTask,
  math500Task,
  aime24Task,
  amc23Task,
  humanevalTask,
];

const registry = new Map<string, Task<any>>(builtIn.map((t) => [t.name, t]));

/** Adds a task (e.g. a user's own); a name already taken is an error. */
export function registerTask(task: Task<any>): void {
  if (registry.has(task.name)) throw usageError(`a task named "${task.name}" is already registered`, 'choose another name');
  registry.set(task.name, task);
}

export function getTask<P extends Problem = Problem>(name: string): Task<P> {
  const t = registry.get(name);
  if (!t) throw usageError(`unknown task "${name}"`, `known tasks: ${[...registry.keys()].join(', ')}`);
  return t as Task<P>;
}

export function listTasks(): Array<{ name: string; description: string; splits: readonly string[]; verifierNeedsAnswer: boolean }> {
  return [...registry.values()].map((t) => ({ name: t.name, description: t.description, splits: t.splits, verifierNeedsAnswer: t.verifierNeedsAnswer }));
}
