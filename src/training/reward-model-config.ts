/**
 * Settings and text conventions shared by the reward-model trainer (./reward-model.ts), its
 * preference pairs (./rm-pairs.ts) and the RL reward that reads a trained reward model
 * (./rm-reward.ts): zod schemas only and pure functions, so the recipe schema can import them.
 *
 * Thinking before answering (RLMT, Bhaskar et al. 2025): a completion is a thought z followed by a
 * response y. rlmkit's embedded models write one step per line, so the response is the last
 * non-empty line and the thought is every line before it; the reward model scores r(x, y) — the
 * prompt and the response, not the thought (`sees: response`, as in RLMT) — or the whole
 * completion (`sees: completion`, for tasks whose answer is only readable from the steps).
 */
import { z } from 'zod';

export const RM_VIEWS = ['response', 'completion'] as const;
export type RmView = (typeof RM_VIEWS)[number];

/** A completion split into its thought lines and its response (the last non-empty line). */
export interface ThoughtAndResponse {
  thought: string[];
  response: string;
}

export function thoughtAndResponse(completion: string): ThoughtAndResponse {
  const lines = completion
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 0) return { thought: [], response: '' };
  return { thought: lines.slice(0, -1), response: lines[lines.length - 1] };
}

/** What a reward model reads of a completion (after the prompt). */
export function rmView(completion: string, sees: RmView): string {
  if (sees === 'response') return thoughtAndResponse(completion).response;
  return completion
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

/**
 * `rl.reward: { reward_model: {...} }`: the RL reward is a trained reward model's score of each
 * rollout (RLMT), gated by a format term that makes the policy think first.
 */
export const RewardModelRewardSchema = z.strictObject({
  reward_model: z.strictObject({
    /** A reward model: its .safetensors file, or a finished run of pipeline rm (final.json "reward"). */
    checkpoint: z.string().min(1),
    /**
     * The format term: a rollout with fewer than `min_thought_lines` lines of thought before its
     * response (or no response) gets `penalty` instead of the reward model's score.
     */
    think: z
      .strictObject({
        min_thought_lines: z.number().int().nonnegative().default(1),
        penalty: z.number().default(-5),
      })
      .prefault({}),
  }),
});
export type RewardModelRewardSpec = z.output<typeof RewardModelRewardSchema>;

export function isRewardModelSpec(spec: unknown): spec is RewardModelRewardSpec {
  return typeof spec === 'object' && spec !== null && 'reward_model' in spec;
}
