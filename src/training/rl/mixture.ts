/**
 * Multi-task mixtures: several tasks in one RL run, each prompt slot of a step drawn from task t
 * with probability w_t / sum_u w_u (the data-mixture weights MoDoMoDo, Liang et al. 2025,
 * "MoDoMoDo: Multi-Domain Data Mixtures for Multimodal LLM Reinforcement Learning", searches over).
 *
 * The loop sees one Task: `mixtureTask` answers every per-problem question (render, extract,
 * verify, ...) with the task the problem came from, so rewards, prompts and evaluation need no
 * change. Within a task, the run's curriculum (./curriculum.ts) picks the problems.
 */
import { type Rng, usageError } from '../../core/index.js';
import type { Tokenizer } from '../../engine/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import { categorical } from './curriculum.js';
import type { MixtureTask } from './loop-config.js';

export interface Mixture {
  /** The combined task (dispatching on the problem). */
  task: Task<Problem>;
  names: string[];
  weights: number[];
  /** Training problems of every task, in task order. */
  problems: Problem[];
  /** Index into `names` of each training problem. */
  taskOf: number[];
  /** Held-out problems of every task, in task order, and their task. */
  evalProblems: Problem[];
  evalTaskOf: number[];
}

/** One Task over problems of several: each per-problem method goes to the problem's own task. */
export function mixtureTask(parts: readonly Task<Problem>[], owner: Map<Problem, Task<Problem>>): Task<Problem> {
  const of = (p: Problem | undefined): Task<Problem> => {
    const t = p && owner.get(p);
    if (!t) throw new RangeError(`mixture: problem ${p?.id ?? '(none)'} belongs to none of ${parts.map((x) => x.name).join(', ')}`);
    return t;
  };
  return {
    ...parts[0],
    name: `mixture(${parts.map((t) => t.name).join(',')})`,
    problems: () => Promise.reject(new RangeError('a mixture task loads its problems through openMixture')),
    renderPlain: (p, steps) => of(p).renderPlain(p, steps),
    renderChat: (p, steps) => of(p).renderChat(p, steps),
    extractAnswer: (text, p) => of(p).extractAnswer(text, p),
    verify: (answer, p) => of(p).verify(answer, p),
    sameAnswer: (a, b, p) => of(p).sameAnswer(a, b, p),
    checkStep: (p, steps) => {
      const t = of(p);
      if (!t.checkStep) throw new RangeError(`mixture: task ${t.name} has no step check`);
      return t.checkStep(p, steps);
    },
  };
}

/**
 * Loads every task of the mixture (training split and up to `evalPerTask` held-out test problems
 * each) and checks that the policy's tokenizer can write every prompt.
 */
export async function openMixture(
  specs: readonly MixtureTask[],
  resolve: (name: string) => Task<Problem>,
  tok: Tokenizer,
  evalPerTask: number,
): Promise<Mixture> {
  const tasks = specs.map((s) => resolve(s.name));
  const owner = new Map<Problem, Task<Problem>>();
  const problems: Problem[] = [];
  const taskOf: number[] = [];
  const evalProblems: Problem[] = [];
  const evalTaskOf: number[] = [];
  for (const [t, task] of tasks.entries()) {
    const s = specs[t];
    const train = await task.problems({ split: s.split, limit: s.limit ?? undefined, path: s.path ?? undefined });
    if (train.length === 0) throw usageError(`mixture task ${s.name} split "${s.split}" holds no problems`, 'check rl.mixture.tasks');
    const held = evalPerTask > 0 && task.splits.includes('test') ? await task.problems({ split: 'test', limit: evalPerTask }) : [];
    for (const p of [...train, ...held]) {
      try {
        tok.encode(task.renderPlain(p, []));
      } catch (e) {
        throw usageError(
          `mixture task ${s.name}: the policy's tokenizer cannot write its prompts (${(e as Error).message})`,
          'start from a checkpoint whose tokenizer covers every task of the mixture',
        );
      }
      owner.set(p, task);
    }
    problems.push(...train);
    taskOf.push(...train.map(() => t));
    evalProblems.push(...held);
    evalTaskOf.push(...held.map(() => t));
  }
  return {
    task: mixtureTask(tasks, owner),
    names: specs.map((s) => s.name),
    weights: specs.map((s) => s.weight),
    problems,
    taskOf,
    evalProblems,
    evalTaskOf,
  };
}

/** How many of a step's `n` prompt slots go to each task: n categorical draws by weight. */
export function mixtureCounts(weights: readonly number[], n: number, rng: Rng): number[] {
  const counts = weights.map(() => 0);
  for (let k = 0; k < n; k++) counts[categorical(weights, rng)]++;
  return counts;
}
