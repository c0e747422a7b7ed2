/**
 * Exact step labels for a number game's process reward model (the state evaluator RLoT's navigator
 * reads): a partial solution is labelled +1 when the numbers it leaves can still make the target,
 * −1 otherwise, decided by the task's exact solver. Only TRAINING puzzles are labelled; the model
 * trained on these labels (the policy's trunk with a value head, src/training value phase) is what
 * the navigator sees at test time, so on held-out puzzles it is only as good as it generalises.
 *
 * This is Math-Shepherd's idea (Wang et al. 2024: label a step by whether a correct solution can
 * still be reached from it) with the reachability decided exactly instead of by rollouts: on Game of
 * 24 the policy's Monte Carlo labels (4 rollouts per puzzle) gave a value model that could not tell
 * solvable first steps from unsolvable ones (AUC 0.52, src/reasoning/README.md).
 */
import { Rng } from '../../core/rng.js';
import { countPaths } from '../../tasks/games/path-sampler.js';
import type { Problem, Task } from '../../tasks/types.js';

export interface StepLabel {
  problem: Problem;
  steps: string[];
  /** +1: the target can still be reached; −1: it cannot. */
  target: number;
}

interface NumberGame {
  numbers: number[];
  target: number;
}

/** The numbers a plain step line leaves ("4+8=12 (4 6 12)" → [4, 6, 12]); null for a fraction or another format. */
function numbersLeft(step: string): number[] | null {
  const m = /\(([^)]*)\)\s*$/.exec(step);
  if (!m) return null;
  const xs = m[1].trim().split(/\s+/).map(Number);
  return xs.every((x) => Number.isInteger(x)) ? xs : null;
}

/** Whether the target is still reachable after `steps` (exact search; legalSteps/verify for states with fractions). */
async function reachable(task: Task<Problem>, p: Problem, steps: string[]): Promise<boolean> {
  const d = p.data as NumberGame;
  const left = steps.length ? numbersLeft(steps[steps.length - 1]) : d.numbers;
  if (left) {
    const n = countPaths(left, { target: d.target, useAll: true, integerOnly: false });
    if (n !== undefined) return n > 0;
  }
  const next = task.legalSteps?.(p, steps) ?? [];
  if (next.length === 0) {
    const c = task.checkStep!(p, steps);
    return c.terminal && (await task.verify(c.answer ?? null, p)).correct;
  }
  for (const s of next) if (await reachable(task, p, [...steps, s])) return true;
  return false;
}

/**
 * `perDepth` states per depth (1 .. depths) of each problem, drawn uniformly from the task's legal
 * steps, with exact reachability labels. Deterministic per seed.
 */
export async function solverStepLabels(
  task: Task<Problem>,
  problems: readonly Problem[],
  o: { perDepth: number; depths: number; seed: number },
): Promise<StepLabel[]> {
  if (!task.legalSteps || !task.checkStep) throw new Error(`task ${task.name} has no legal-step enumeration to label steps with`);
  const rng = new Rng(o.seed).fork('rlot-step-labels');
  const out: StepLabel[] = [];
  for (const p of problems) {
    const seen = new Set<string>();
    for (let depth = 1; depth <= o.depths; depth++) {
      for (let i = 0; i < o.perDepth; i++) {
        const steps: string[] = [];
        for (let k = 0; k < depth; k++) {
          const legal = task.legalSteps(p, steps);
          if (legal.length === 0) break;
          steps.push(legal[Math.floor(rng.next() * legal.length)]);
        }
        const key = steps.join('\n');
        if (steps.length !== depth || seen.has(key) || task.checkStep(p, steps).terminal) continue;
        seen.add(key);
        out.push({ problem: p, steps, target: (await reachable(task, p, steps)) ? 1 : -1 });
      }
    }
  }
  return out;
}
