/**
 * Rewards for RL on verifiable tasks. `verifier` (the default) is the task's own checker: the
 * answer extracted from the completion, verified by the rules (Game of 24, Countdown) or against
 * the reference answer (arithmetic); its score is 1 when correct and 0 otherwise (or the task's
 * partial credit).
 */
import { usageError } from '../core/index.js';
import type { Problem, Task } from '../tasks/types.js';

export interface RewardResult {
  score: number;
  correct: boolean;
}

export type RewardFn = (problem: Problem, completion: string) => Promise<RewardResult>;

export function verifierReward(task: Task<Problem>): RewardFn {
  return async (problem, completion) => {
    const answer = task.extractAnswer(completion, problem);
    const v = await task.verify(answer, problem);
    return { score: v.score, correct: v.correct };
  };
}

/**
 * Format-aware verifier (TinyZero / DeepSeek-R1 style): 1 when correct, `formatScore` when the
 * completion yields an answer that is wrong, 0 when no answer can be extracted.
 */
export function formatVerifierReward(task: Task<Problem>, formatScore = 0.1): RewardFn {
  return async (problem, completion) => {
    const answer = task.extractAnswer(completion, problem);
    const v = await task.verify(answer, problem);
    return { score: v.correct ? 1 : answer !== null ? formatScore : 0, correct: v.correct };
  };
}

const REWARDS: Record<string, (task: Task<Problem>) => RewardFn> = {
  verifier: verifierReward,
  'format-verifier': (t) => formatVerifierReward(t),
};

export function resolveReward(name: string, task: Task<Problem>): RewardFn {
  const make = REWARDS[name];
  if (!make) throw usageError(`unknown reward "${name}"`, `known rewards: ${Object.keys(REWARDS).join(', ')}`);
  return make(task);
}
