/**
 * The `async:` recipe section and the `async-rl` pipeline (./pipeline.ts): AReaL-style
 * asynchronous GRPO. The policy's optimisation settings come from the usual `rl:` section (which
 * must use a decoupled loss: decoupled, tis or mis); this section holds what is particular to the
 * asynchronous loop.
 */
import { z } from 'zod';

export const AsyncPipelines = ['async-rl'] as const;
export type AsyncPipeline = (typeof AsyncPipelines)[number];

export const AsyncSectionSchema = z.strictObject({
  /** eta: the most policy versions between a sample's first token and the update that uses it (0 = synchronous). */
  staleness: z.number().int().nonnegative().default(1),
  /** Tokens per generation segment; weights published in between take over (interruptible generation). */
  segment_tokens: z.number().int().positive().default(16),
  /** onnxruntime threads of the rollout thread ('auto': measure 1 and 2 while running). */
  rollout_threads: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
  /** Scheduling priority of the rollout thread (0 = as the trainer; up to 19 = yields to it). */
  rollout_nice: z.number().int().min(0).max(19).default(0),
});
export type AsyncSection = z.output<typeof AsyncSectionSchema>;

export const ASYNC_SECTIONS: Record<AsyncPipeline, 'rl'[]> = { 'async-rl': ['rl'] };

const DECOUPLED = ['decoupled', 'tis', 'mis'];

/** Cross-field checks of a recipe with the async-rl pipeline (called from recipe.ts). */
export function checkAsyncRecipe(
  r: {
    pipeline: string;
    rl?: { critic: unknown; kl_reward: unknown; policy_loss: { name: string } };
    model: { init: string | null };
    async?: AsyncSection;
  },
  issue: (path: (string | number)[], message: string) => void,
): void {
  if (r.pipeline !== 'async-rl') {
    if (r.async)
      issue(['async'], `conflict: an "async:" section is set but pipeline "${r.pipeline}" does not read it; use pipeline: async-rl`);
    return;
  }
  if (!r.rl) return issue(['rl'], 'pipeline "async-rl" needs an "rl:" section');
  if (r.rl.critic) issue(['rl', 'critic'], 'conflict: pipeline async-rl supports the critic-free estimators only; remove rl.critic');
  if (r.rl.kl_reward) issue(['rl', 'kl_reward'], 'conflict: pipeline async-rl supports KL in the loss only; use rl.kl_loss');
  if (!DECOUPLED.includes(r.rl.policy_loss.name))
    issue(
      ['rl', 'policy_loss', 'name'],
      `conflict: pipeline async-rl needs a decoupled policy loss (${DECOUPLED.join(', ')}), got "${r.rl.policy_loss.name}"`,
    );
  if (r.model.init === null)
    issue(['model', 'init'], 'conflict: RL from random weights cannot find any reward; set model.init to an SFT checkpoint');
}
