/**
 * The `multiturn:` recipe section and the multi-turn pipelines. The policy's optimisation settings
 * come from the usual sections (`sft:` for multiturn-sft; `rl:` for multiturn-grpo, archer and
 * marft: prompts per step, group size, advantage estimator, clip, KL, optimiser, rollout
 * temperature, held-out evaluation); this section holds what is particular to episodes.
 */
import { z } from 'zod';

export const MultiturnPipelines = ['multiturn-sft', 'multiturn-grpo', 'archer', 'marft'] as const;
export type MultiturnPipeline = (typeof MultiturnPipelines)[number];

const posInt = () => z.number().int().positive();

export const MultiturnSectionSchema = z.strictObject({
  /** false: environments without tools (the no-tool baseline; the solver answers directly). */
  tools: z.boolean().default(true),
  /** Tokens at most per action (one line). */
  max_turn_tokens: posInt().default(40),
  /**
   * multiturn-sft: the share of solver episodes per solver strategy of the task (e.g. calc-tool
   * `{ stepwise: 0.8, whole: 0.2 }`), drawn per example; null = the task's default strategy only.
   * A demonstrator that mixes strategies gives RL a choice to learn from (src/training/README.md).
   */
  solver_strategies: z.record(z.string(), z.number().nonnegative()).nullable().default(null),
  /** Curriculum (MaskSearch: by number of masks): stages of `steps` RL steps on problems of at most `max_level`. */
  curriculum: z.array(z.strictObject({ steps: posInt(), max_level: posInt() })).default([]),
  /** ArCHer (Zhou et al. 2024): the utterance-level critic trained off-policy. */
  archer: z
    .strictObject({
      /** Critic learning rate (AdamW). */
      critic_lr: z.number().positive().default(1e-3),
      /** Critic updates per RL step, each on `critic_batch` turns from the replay buffer. */
      critic_updates: posInt().default(2),
      critic_batch: posInt().default(64),
      /** Episodes kept in the replay buffer (oldest dropped first). */
      replay_episodes: posInt().default(128),
      /** Discount between turns. */
      gamma: z.number().min(0).max(1).default(0.95),
      /** RL steps that train only the critic before the actor uses its advantages. */
      warmup_steps: z.number().int().nonnegative().default(2),
      /** Subtract the batch mean of A = Q - V over policy tokens (not in the paper: a biased young critic with V > Q on average otherwise pushes every sampled action down). */
      center_advantages: z.boolean().default(false),
      /**
       * The actor's turn advantage. 'q-v': A_t = Q(s_t, a_t) - V(s_t), the paper's (sec. 4.2).
       * 'gae': GAE over turns with the critic's V (Schulman et al. 2016, eq. 16, steps = turns):
       * delta_t = r_t + gamma V(s_{t+1}) - V(s_t), A_t = sum_k (gamma lambda)^k delta_{t+k}; the
       * observed rewards enter, so a critic that cannot yet judge an action (a young one, or one too
       * small to check arithmetic) is a baseline, not the signal.
       */
      actor_advantage: z.enum(['q-v', 'gae']).default('q-v'),
      /** GAE's lambda over turns (actor_advantage 'gae'): 1 = observed return minus V(s_t), 0 = one-step TD error. */
      lambda: z.number().min(0).max(1).default(0.95),
    })
    .prefault({}),
  /** MARFT (Liao et al. 2025): several agents; separate weights per agent or one shared model. */
  marft: z
    .strictObject({
      shared_weights: z.boolean().default(false),
      /** Train only these agents (default: all). */
      train_agents: z.array(z.string()).nullable().default(null),
    })
    .prefault({}),
});

export type MultiturnSection = z.output<typeof MultiturnSectionSchema>;

/** Sections each multi-turn pipeline reads (recipe.ts SECTIONS_OF). */
export const MULTITURN_SECTIONS: Record<MultiturnPipeline, ('sft' | 'rl')[]> = {
  'multiturn-sft': ['sft'],
  'multiturn-grpo': ['rl'],
  archer: ['rl'],
  marft: ['rl'],
};

/** Cross-field checks of a recipe with a multi-turn pipeline (called from recipe.ts). */
export function checkMultiturnRecipe(
  r: { pipeline: string; rl?: { advantage: string; critic: unknown }; model: { init: string | null }; multiturn?: MultiturnSection },
  issue: (path: (string | number)[], message: string) => void,
): void {
  const mt = (MultiturnPipelines as readonly string[]).includes(r.pipeline);
  if (!mt) {
    if (r.multiturn)
      issue(
        ['multiturn'],
        `conflict: a "multiturn:" section is set but pipeline "${r.pipeline}" does not read it; use a multi-turn pipeline (${MultiturnPipelines.join(', ')})`,
      );
    return;
  }
  if (r.pipeline !== 'multiturn-sft' && r.multiturn?.solver_strategies)
    issue(
      ['multiturn', 'solver_strategies'],
      `conflict: solver_strategies shapes the SFT data of pipeline multiturn-sft; pipeline "${r.pipeline}" does not read it`,
    );
  if (r.pipeline !== 'multiturn-sft') {
    if (!r.rl) issue(['rl'], `pipeline "${r.pipeline}" needs an "rl:" section (prompts per step, group size, optimiser)`);
    if (r.model.init === null)
      issue(['model', 'init'], `conflict: ${r.pipeline} from random weights cannot find any reward; set model.init to a multiturn-sft run`);
    if (r.rl?.critic)
      issue(
        ['rl', 'critic'],
        `conflict: ${r.pipeline} has no token-level critic (rl.critic); ArCHer's utterance-level critic is set under multiturn.archer`,
      );
    if (r.rl?.advantage === 'gae')
      issue(
        ['rl', 'advantage'],
        `conflict: advantage "gae" needs a token-level critic; multi-turn pipelines use grpo, drgrpo, rloo or reinforce_pp (archer: its own critic)`,
      );
  }
}
