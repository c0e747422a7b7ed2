/**
 * The recipe section that picks a policy loss from the registry (./policy-losses.ts), under
 * `rl.policy_loss`:
 *
 *   policy_loss:
 *     name: tis            # ppo_clip (default) | gspo | tis | mis | decoupled
 *     is_cap: 2            # C: TIS truncation / MIS upper bound (verl's default threshold 2.0)
 *     is_low: null         # MIS lower bound (default 1 / C)
 *     is_level: token      # token | sequence
 *     gspo_clip: { low: 0.0003, high: 0.0004 }   # GSPO's sequence-ratio clip (Zheng et al. 2025)
 *     pre_clip: null       # R1-Reward StableReinforce: log ratio clipped to [-ln d, ln d] before exp (d > 1)
 *     proximal: recompute  # tis / mis / decoupled: pi_prox by an extra forward (recompute) or the
 *                          # trainer's own log-probs at each mini-batch (current: no forward; ./policy-losses.ts)
 *
 * PPO's token clip range stays under `rl.clip` (ppo_clip, tis, mis, decoupled use it).
 */
import { z } from 'zod';
import { IsLevels, PolicyLossNames, ProximalModes, policyLosses } from './policy-losses.js';

export const PolicyLossSectionSchema = z
  .strictObject({
    name: z.enum(PolicyLossNames).default('ppo_clip'),
    is_cap: z.number().gt(1).default(2),
    is_low: z.number().gt(0).lt(1).nullable().default(null),
    is_level: z.enum(IsLevels).default('token'),
    gspo_clip: z.strictObject({ low: z.number().gt(0).lt(1).default(3e-4), high: z.number().positive().default(4e-4) }).prefault({}),
    pre_clip: z.number().gt(1).nullable().default(null),
    proximal: z.enum(ProximalModes).default('recompute'),
  })
  .superRefine((p, ctx) => {
    if (p.proximal === 'current' && !policyLosses[p.name].needsProximal)
      ctx.addIssue({
        code: 'custom',
        path: ['proximal'],
        message: `conflict: proximal "current" is for the losses with a proximal policy (tis, mis, decoupled), not ${p.name}`,
      });
  });
export type PolicyLossSection = z.output<typeof PolicyLossSectionSchema>;
