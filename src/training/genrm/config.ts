/**
 * The `genrm:` section of a recipe (pipeline: genrm). Stage 1 reads the recipe's `sft:` section,
 * stage 2 its `rl:` section, the ORM baseline its `value:` section; this section says where the
 * judge's data comes from.
 */
import { z } from 'zod';

export const GenrmSectionSchema = z.strictObject({
  /** Every k-th puzzle of the training split (and the whole test split) is held out from judge training. */
  held_out_every: z.number().int().min(2).default(6),
  /** Judge-training puzzles to sample candidates on (null: all of them). */
  puzzles: z.number().int().positive().nullable().default(null),
  /** Candidate solutions sampled from the policy (model.init) per puzzle. */
  samples: z.number().int().positive().default(8),
  temperature: z.number().positive().default(1),
  max_new_tokens: z.number().int().positive().default(64),
  /** Balanced candidates kept apart for the judge's validation agreement (and RL's held-out accuracy). */
  validation: z.number().int().nonnegative().default(200),
  /** The judge's context: candidate and critique together. */
  max_seq_len: z.number().int().positive().default(160),
  /** Critique entries: `result` ("32 (32) no") or `operation`, restating the step first ("4*8=32 (32) no"). */
  critique: z.enum(['result', 'operation']).default('result'),
  /** Train the outcome reward model (value head, +1/-1 labels) on the same candidates, as the baseline. */
  orm: z.boolean().default(true),
});

export type GenrmSection = z.output<typeof GenrmSectionSchema>;
