/**
 * The `rl.methods` recipe section: per-batch options of issue 21's methods, each off by default.
 *
 *   methods:
 *     advantage_filter: { sigma: 3 }            # StableReinforce (R1-Reward): tokens with |z(A)| > sigma leave the loss
 *     group_select: { min_std: 0.05, keep: 16 } # ReST-GRPO (ReST-RL): train on the `keep` highest-std groups with std >= min_std
 *     thought_rewards: { source: rules, alpha: 0.5 }   # TP-GRPO: per-thought PRM rewards as per-token advantages
 *
 * The pure pieces live beside the other registries (./stable-reinforce.ts, ./group-select.ts,
 * ./thought-advantages.ts); the thought scorer, which needs the task and a PRM, is
 * src/training/thoughts.ts. Pre-clip of the ratio is `rl.policy_loss.pre_clip`.
 */
import { z } from 'zod';
import { type AdvantageFilterResult, advantageFilter } from './stable-reinforce.js';
import { type GroupSelection, selectGroups } from './group-select.js';
import type { Matrix } from './matrix.js';

export const RlMethodsSectionSchema = z.strictObject({
  advantage_filter: z
    .strictObject({ sigma: z.number().positive().default(3) })
    .nullable()
    .default(null),
  group_select: z
    .strictObject({
      /** Groups whose reward std (population) is below this carry too little signal. */
      min_std: z.number().nonnegative().default(0.05),
      /** Train on at most this many groups (the highest std); null: every group above min_std. */
      keep: z.number().int().positive().nullable().default(null),
    })
    .nullable()
    .default(null),
  thought_rewards: z
    .strictObject({
      /** rules: the task's step checker (1 while the steps so far are valid, else 0); prm: a trained PRM's value at each step's end. */
      source: z.enum(['rules', 'prm']).default('rules'),
      /** PRM checkpoint (.safetensors with a value head), when source is prm. */
      prm: z.string().nullable().default(null),
      /** Weight of the process advantage against the outcome advantage. */
      alpha: z.number().nonnegative().default(0.5),
    })
    .refine((t) => t.source !== 'prm' || t.prm !== null, {
      message: 'thought_rewards.source "prm" needs thought_rewards.prm (a PRM checkpoint)',
    })
    .nullable()
    .default(null),
});
export type RlMethodsSection = z.output<typeof RlMethodsSectionSchema>;

/** ReST-GRPO's group selection when configured (run it after dynamic sampling / in its place). */
export function methodsSelectGroups(
  m: RlMethodsSection | undefined,
  scores: ArrayLike<number>,
  groups: ArrayLike<number | string>,
): GroupSelection | null {
  if (!m?.group_select) return null;
  return selectGroups(scores, groups, { minStd: m.group_select.min_std, keep: m.group_select.keep });
}

/** StableReinforce's advantage filter when configured: the new loss mask and the share filtered. */
export function methodsFilterAdvantages(m: RlMethodsSection | undefined, advantages: Matrix, mask: Matrix): AdvantageFilterResult | null {
  if (!m?.advantage_filter) return null;
  return advantageFilter(advantages, mask, m.advantage_filter.sigma);
}
