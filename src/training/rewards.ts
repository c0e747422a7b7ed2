/**
 * Rewards for RL on verifiable tasks, scored a batch at a time. A recipe's `reward` is either a
 * name or a src/rewards weighted-sum config ({ terms: [...] }: correctness, format, overlong,
 * repetition, exploration, constraint, ...), built with the task so that correctness runs the
 * task's verifier.
 *   verifier         the task's checker: the answer extracted from the completion, verified by the
 *                    rules (Game of 24, Countdown) or against the reference answer (arithmetic);
 *                    1 when correct, 0 otherwise (or the task's partial credit)
 *   format-verifier  1 when correct, 0.1 when an answer could be extracted but is wrong, 0 when none
 *                    (TinyZero / DeepSeek-R1's format reward)
 */
import { usageError } from '../core/index.js';
import { buildReward } from '../rewards/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { verdictOf } from '../tasks/verdict.js';

export interface RewardResult {
  score: number;
  correct: boolean;
  /** No answer could be read from the completion (logged apart from wrong answers). */
  unparseable?: boolean;
}

export interface RewardSampleIn {
  problem: Problem;
  completion: string;
  /** Completion length in tokens. */
  tokens: number;
}

export type RewardFn = (samples: readonly RewardSampleIn[]) => Promise<RewardResult[]>;

export function verifierReward(task: Task<Problem>, wrongAnswerScore = 0): RewardFn {
  return async (samples) => {
    const out: RewardResult[] = [];
    for (const s of samples) {
      const answer = task.extractAnswer(s.completion, s.problem);
      const v = await task.verify(answer, s.problem);
      out.push({
        score: v.correct ? v.score : answer !== null && wrongAnswerScore ? wrongAnswerScore : v.score,
        correct: v.correct,
        unparseable: verdictOf(v, answer) === 'unparseable',
      });
    }
    return out;
  };
}

/** A src/rewards composite (weighted sum of terms); `correct` comes from the task's verifier. */
export function compositeReward(task: Task<Problem>, config: unknown): RewardFn {
  const composite = buildReward(config, { task });
  return async (samples) => {
    const verified = await verifierReward(task)(samples);
    const results = await composite.evaluateBatch(samples.map((s) => ({ problem: s.problem, completion: s.completion, tokens: s.tokens })));
    return results.map((r, i) => ({ score: r.total, correct: r.correct ?? verified[i].correct, unparseable: verified[i].unparseable }));
  };
}

export const RewardNames = ['verifier', 'format-verifier'] as const;

export function resolveReward(spec: string | Record<string, unknown>, task: Task<Problem>): RewardFn {
  if (typeof spec !== 'string' && 'reward_model' in spec)
    throw usageError(
      'a reward_model reward is opened by the rl pipeline (openRlReward, src/training/rm-reward.ts), not here',
      'use pipeline: rl for RLMT, or a verifier / { terms } reward in this pipeline',
    );
  if (typeof spec !== 'string') return compositeReward(task, spec);
  if (spec === 'verifier') return verifierReward(task);
  if (spec === 'format-verifier') return verifierReward(task, 0.1);
  throw usageError(`unknown reward "${spec}"`, `use one of ${RewardNames.join(', ')}, or a src/rewards config { terms: [...] }`);
}
