/**
 * Task lookup by the name a recipe gives, and the character tokenizer a task needs. A trainer never
 * knows which task it trains on beyond the Task interface (docs/design.md).
 */
import { usageError } from '../core/index.js';
import { CharTokenizer } from '../engine/index.js';
import { countdownClassicTask, countdownTask } from '../tasks/games/countdown.js';
import { game24Task } from '../tasks/games/game24.js';
import { arithmeticTask } from '../tasks/synthetic/arithmetic.js';
import { sortingTask } from '../tasks/synthetic/sorting.js';
import type { Problem, Task } from '../tasks/types.js';
import { PROCEDURAL_SPECS } from '../tasks/procedural/index.js';
import { getTask } from '../tasks/registry.js';

const TASKS: Record<string, Task<any>> = {
  game24: game24Task,
  countdown: countdownTask,
  'countdown-classic': countdownClassicTask,
  arithmetic: arithmeticTask,
  sorting: sortingTask,
};

/** Task families trainable at any level (`name`, `name:easy`, ...) besides the procedural ones. */
const LEVELLED = ['svg-render'];

export function trainableTasks(): string[] {
  return [...Object.keys(TASKS), ...PROCEDURAL_SPECS.map((sp) => sp.name), ...LEVELLED];
}

/**
 * The task named in a recipe; it must render plain prompts and have a solver or a verifier. The
 * procedural families (src/tasks/procedural) train at any level: `sat`, `sat:easy`, `zebra:hard`.
 */
export function resolveTask(name: string): Task<Problem> {
  const levelled = [...PROCEDURAL_SPECS.map((sp) => sp.name), ...LEVELLED];
  const t = TASKS[name] ?? (levelled.some((base) => name === base || name.startsWith(`${base}:`)) ? getTask(name) : undefined);
  if (!t)
    throw usageError(
      `unknown task "${name}" in the recipe; trainable tasks: ${trainableTasks().join(', ')} (procedural ones also as name:easy|medium|hard)`,
    );
  return t;
}

/**
 * A character tokenizer covering everything the task can show or need: the plain prompts of the
 * given problems, solver solutions of up to `probe` of them, digits and arithmetic signs. Built
 * deterministically (sorted characters), so the same task gives the same ids.
 */
export function tokenizerForTask(
  task: Task<Problem>,
  problems: readonly Problem[],
  probe = 300,
  extraTexts: readonly string[] = [],
): CharTokenizer {
  const texts: string[] = ['0123456789+-*/=()|. ', ...extraTexts];
  for (const p of problems) texts.push(task.renderPlain(p, []));
  if (task.solve) {
    for (const p of problems.slice(0, probe)) {
      const steps = task.solve(p);
      if (steps) texts.push(steps.join('\n'));
    }
  }
  return CharTokenizer.fromTexts(texts);
}
