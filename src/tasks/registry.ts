/**
 * The task registry: every built-in task by name. Strategies, trainers and the CLI look tasks up
 * here (`getTask('game24')`) and never import a task module directly. `describeTasks()` says for
 * each task what `rlmkit tasks` prints: kind, splits and sizes, data source, verifier, rule check.
 */
import { usageError } from '../core/errors.js';
import { humanevalTask } from './code/humaneval.js';
import { countdownClassicTask, countdownTask } from './games/countdown.js';
import { game24Task } from './games/game24.js';
import { aime24Task, amc23Task, gsm8kTask, math500Task } from './math/math-task.js';
import { arithmeticTask } from './synthetic/arithmetic.js';
import { sorting128Task, sorting64Task, sortingTask } from './synthetic/sorting.js';
import { makeFileTask } from './formats/file-task.js';
import { LEVELS } from './procedural/make.js';
import { PROCEDURAL_FAMILIES } from './procedural/index.js';
import type { Problem, Task, TaskMeta, TaskSource } from './types.js';
import { multiTurnTasks } from './multiturn/tasks.js';
import { symregNguyenTask } from './symreg/task.js';
import { svgRenderTask } from './svg/task.js';
import { isMultiTurnTask } from './multiturn/types.js';
import type { ToolSpec } from './tools/types.js';

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
  ...multiTurnTasks,
  symregNguyenTask,
  svgRenderTask(),
  ...[...PROCEDURAL_FAMILIES.values()].map((f) => f.base),
];

/**
 * Facts about the built-in tasks that predate `Task.meta` (a task's own `meta` wins). Sizes are
 * those of the shipped files (data/SOURCES.md) and the generators' default counts.
 */
const MIT = 'MIT';
const BUILT_IN_META: Record<string, TaskMeta> = {
  game24: {
    source: { kind: 'file', file: 'game24/24.csv', licence: MIT },
    verifier: 'rule-check',
    splitSizes: { train: 1262, test: 100, all: 1362, generated: 1000 },
  },
  countdown: { source: { kind: 'generated' }, verifier: 'rule-check', splitSizes: { train: 10000, test: 500 } },
  'countdown-classic': { source: { kind: 'generated' }, verifier: 'rule-check', splitSizes: { train: 10000, test: 500 } },
  arithmetic: { source: { kind: 'generated' }, verifier: 'exact', splitSizes: { train: 10000, test: 500 } },
  sorting: { source: { kind: 'generated' }, verifier: 'rule-check', splitSizes: { train: 10000, test: 100 } },
  sorting64: { source: { kind: 'generated' }, verifier: 'rule-check', splitSizes: { train: 10000, test: 100 } },
  sorting128: { source: { kind: 'generated' }, verifier: 'rule-check', splitSizes: { train: 10000, test: 100 } },
  gsm8k: { source: { kind: 'file', file: 'gsm8k/test.jsonl', licence: MIT }, verifier: 'math-grader', splitSizes: { test: 1319 } },
  math500: {
    source: { kind: 'file', file: 'math500/test.jsonl', licence: 'MIT (MATH)' },
    verifier: 'math-grader',
    splitSizes: { test: 500 },
  },
  aime24: { source: { kind: 'file', file: 'aime24/test.jsonl', licence: 'Apache-2.0' }, verifier: 'math-grader', splitSizes: { test: 30 } },
  amc23: { source: { kind: 'file', file: 'amc23/test.jsonl', licence: 'Apache-2.0' }, verifier: 'math-grader', splitSizes: { test: 40 } },
  humaneval: {
    source: { kind: 'file', file: 'humaneval/HumanEval.jsonl.gz', licence: MIT },
    verifier: 'execution',
    splitSizes: { test: 164 },
  },
};

const registry = new Map<string, Task<any>>(builtIn.map((t) => [t.name, t]));

/** The names of every registered task, in registration order. */
export function taskNames(): string[] {
  return [...registry.keys()];
}

/** One line naming the valid tasks, for any "unknown task" message. */
export function unknownTaskMessage(name: string, names: readonly string[] = taskNames()): string {
  return `unknown task "${name}"; valid tasks: ${names.join(', ')}, or jsonl:FILE (your own rows)`;
}

/** Adds a task (e.g. a user's own); a name already taken is an error. */
export function registerTask(task: Task<any>): void {
  if (registry.has(task.name)) throw usageError(`a task named "${task.name}" is already registered; choose another name`);
  registry.set(task.name, task);
}

const fileTasks = new Map<string, Task<any>>();

/**
 * A task by name. `jsonl:FILE` (optionally `#math|exact|regex|code`, or `options.verifier`) is a
 * user's own rows (formats/file-task.ts); `verifier` is only for those.
 */
export function getTask<P extends Problem = Problem>(name: string, options: { verifier?: string } = {}): Task<P> {
  if (name.startsWith('jsonl:')) {
    const t = makeFileTask(name, options.verifier);
    const cached = fileTasks.get(t.name) ?? t;
    fileTasks.set(t.name, cached);
    return cached as Task<P>;
  }
  // Procedural tasks at a level: "sat:easy", "zebra:hard".
  const colon = name.indexOf(':');
  if (colon > 0 && PROCEDURAL_FAMILIES.has(name.slice(0, colon)) && options.verifier === undefined) {
    if (!(LEVELS as readonly string[]).includes(name.slice(colon + 1)))
      throw usageError(`unknown level "${name.slice(colon + 1)}" for task ${name.slice(0, colon)}; valid levels: ${LEVELS.join(', ')}`);
    return PROCEDURAL_FAMILIES.get(name.slice(0, colon))!.level(name) as Task<P>;
  }
  if (name.startsWith('svg-render:') && options.verifier === undefined) return svgRenderTask(name) as unknown as Task<P>;
  if (options.verifier !== undefined) throw usageError(`--verifier is for --task jsonl:FILE; task "${name}" has its own verifier`);
  const t = registry.get(name);
  if (!t) throw usageError(unknownTaskMessage(name));
  return t as Task<P>;
}

export function listTasks(): Array<{ name: string; description: string; splits: readonly string[]; verifierNeedsAnswer: boolean }> {
  return [...registry.values()].map((t) => ({
    name: t.name,
    description: t.description,
    splits: t.splits,
    verifierNeedsAnswer: t.verifierNeedsAnswer,
  }));
}

export interface TaskInfo {
  name: string;
  description: string;
  kind: 'single-turn' | 'multi-turn';
  /** Every split with its size under the default data/settings (null: unknown without loading). */
  splits: Array<{ name: string; size: number | null }>;
  /** 'generated', or the data file (relative to the data folder) with its licence. */
  source: TaskSource;
  /** How answers are checked: 'math-grader', 'rule-check', 'execution', 'exact', ... */
  verifier: string;
  /** True when a search may use the task's own check at evaluation time (no answer key needed). */
  ruleCheck: boolean;
  /** Multi-turn tasks: the tools their environments offer (OpenAI function declarations). */
  tools?: ToolSpec[];
}

/** A description of every registered task (what `rlmkit tasks` lists). Loads no data. */
export function describeTasks(): TaskInfo[] {
  return [...registry.values()].map((t): TaskInfo => {
    const meta: TaskMeta | undefined = t.meta ?? BUILT_IN_META[t.name];
    return {
      name: t.name,
      description: t.description,
      kind: meta?.kind ?? 'single-turn',
      splits: t.splits.map((s) => ({ name: s, size: meta?.splitSizes?.[s] ?? null })),
      source: meta?.source ?? { kind: 'user', what: 'registered with registerTask()' },
      verifier: meta?.verifier ?? (t.verifierNeedsAnswer ? 'custom' : 'rule-check'),
      ruleCheck: !t.verifierNeedsAnswer,
      ...(isMultiTurnTask(t) ? { tools: [...t.tools] } : {}),
    };
  });
}
