/**
 * Recipe keys of the RL loop's own options (issue 21), spread into RlSectionSchema (../recipe.ts):
 * problem curricula, group weighting, multi-task mixtures, length-progressive stages, NLPO's action
 * mask and critical-token entropy for checkpoint selection. Every default leaves the loop as it was.
 */
import { z } from 'zod';
import { RlMethodsSectionSchema } from '../algos/methods-config.js';

const posInt = () => z.number().int().positive();
const unit = () => z.number().min(0).max(1);

/** The problem samplers of ./curriculum.ts. */
export const CurriculumNames = ['uniform', 'observe_r1', 'rlcs', 'levels'] as const;
export type CurriculumName = (typeof CurriculumNames)[number];

export const CurriculumSectionSchema = z.strictObject({
  /** uniform (default: a shuffle per step), observe_r1, rlcs, levels (./curriculum.ts). */
  name: z.enum(CurriculumNames).default('uniform'),
  /** beta of the pass-rate moving average. */
  ema: z.number().gt(0).max(1).default(0.5),
  /** p_0: the pass rate assumed for a problem never drawn. */
  prior: unit().default(0.5),
  /** Added to every weight so no problem (observe_r1) or level (rlcs) is ever excluded. */
  floor: z.number().positive().default(0.05),
  /** observe_r1: open fraction f_0 at step 0 ... */
  start_fraction: z.number().gt(0).max(1).default(0.3),
  /** ... reaching 1 after this many steps. */
  ramp_steps: posInt().default(50),
  /** rlcs: difficulty levels by pass rate. */
  bins: posInt().default(5),
  /** levels: the problem.data field holding the level (a number, or a list whose length is the level). */
  level_key: z.string().min(1).default('level'),
  /** levels: stages in order, each opening levels <= max_level for `steps` steps. */
  stages: z.array(z.strictObject({ steps: posInt(), max_level: z.number() })).default([]),
});
export type CurriculumSection = z.output<typeof CurriculumSectionSchema>;

export const MixtureTaskSchema = z.strictObject({
  name: z.string().min(1),
  /** Relative weight: each prompt slot of a step draws this task with probability weight / sum. */
  weight: z.number().nonnegative(),
  split: z.string().default('train'),
  limit: posInt().nullable().default(null),
  path: z.string().nullable().default(null),
});
export type MixtureTask = z.output<typeof MixtureTaskSchema>;

export const rlLoopKeys = {
  /** Per-batch methods (StableReinforce's advantage filter, ReST-GRPO's group selection, TP-GRPO's thought rewards): ../algos/methods-config.ts. */
  methods: RlMethodsSectionSchema.prefault({}),
  /** Which problems a step draws (./curriculum.ts). */
  curriculum: CurriculumSectionSchema.prefault({}),
  /**
   * Observe-R1's dynamic weighting: each group's advantages scaled by w_g = max(floor, 4 p_g (1 - p_g))
   * (p_g: the group's pass rate this step), normalised to mean 1 over the kept groups.
   */
  group_weighting: z
    .strictObject({ name: z.literal('uncertainty').default('uncertainty'), floor: z.number().positive().default(0.25) })
    .nullable()
    .default(null),
  /** Several tasks in one run, sampled by weight (./mixture.ts); replaces task.* as the training data. */
  mixture: z
    .strictObject({ tasks: z.array(MixtureTaskSchema).min(1) })
    .nullable()
    .default(null),
  /**
   * Length-progressive stages (Vision-R1's PTST, MiroMind-M1's CAMPO): stage k limits rollouts to
   * max_new_tokens (and optionally its own group_size <= rl.group_size) for `steps` steps; after the
   * last stage rollout.max_new_tokens holds.
   */
  length_stages: z
    .array(z.strictObject({ steps: posInt(), max_new_tokens: posInt(), group_size: posInt().nullable().default(null) }))
    .default([]),
  /** RL4LMs' NLPO (./nlpo.ts): sample only inside the top-p nucleus of a copy of the policy synchronised every sync_every steps. */
  nlpo: z
    .strictObject({ top_p: z.number().gt(0).max(1).default(0.9), sync_every: posInt().default(5) })
    .nullable()
    .default(null),
  /** Skywork-R1V3: entropy of critical reasoning tokens on held-out problems at every checkpoint (./critical-entropy.ts). */
  critical_entropy: z
    .strictObject({
      /** step_start: the first token of each reasoning step; top_fraction: the highest-entropy share of tokens. */
      tokens: z.enum(['step_start', 'top_fraction']).default('step_start'),
      fraction: z.number().gt(0).max(1).default(0.2),
      /** Problems it is measured on: the first of the held-out set (the first training problems when eval_problems is 0). */
      problems: posInt().default(32),
      /** Which end select_checkpoint: entropy prefers. */
      prefer: z.enum(['high', 'low']).default('high'),
    })
    .nullable()
    .default(null),
  /** The checkpoint the run ends with: the last one, or the one with the preferred critical-token entropy. */
  select_checkpoint: z.enum(['last', 'entropy']).default('last'),
};

type Issue = (path: (string | number)[], message: string) => void;

/** Cross-field checks of the loop options. */
export function checkRlLoop(
  rl: {
    group_size: number;
    steps: number;
    rollout: { max_new_tokens: number; backend: string };
    curriculum: CurriculumSection;
    length_stages: { steps: number; max_new_tokens: number; group_size: number | null }[];
    mixture: { tasks: MixtureTask[] } | null;
    critical_entropy: unknown;
    select_checkpoint: string;
    nlpo: unknown;
  },
  at: (string | number)[],
  issue: Issue,
): void {
  rl.length_stages.forEach((s, k) => {
    if (s.max_new_tokens > rl.rollout.max_new_tokens)
      issue(
        [...at, 'length_stages', k, 'max_new_tokens'],
        `conflict: length stage ${k} allows ${s.max_new_tokens} new tokens, more than rollout.max_new_tokens (${rl.rollout.max_new_tokens}), which sizes the trainer`,
      );
    if (s.group_size !== null && (s.group_size > rl.group_size || s.group_size < 2))
      issue(
        [...at, 'length_stages', k, 'group_size'],
        `conflict: length stage ${k} group_size ${s.group_size} must be between 2 and rl.group_size (${rl.group_size})`,
      );
  });
  if (rl.curriculum.name === 'levels' && rl.curriculum.stages.length === 0)
    issue([...at, 'curriculum', 'stages'], 'conflict: curriculum "levels" needs stages: [{ steps, max_level }, ...]');
  if (rl.curriculum.name !== 'levels' && rl.curriculum.stages.length > 0)
    issue([...at, 'curriculum', 'stages'], `conflict: curriculum.stages is only read by curriculum "levels" (got ${rl.curriculum.name})`);
  if (rl.mixture) {
    const names = rl.mixture.tasks.map((t) => t.name);
    if (new Set(names).size !== names.length)
      issue([...at, 'mixture', 'tasks'], `conflict: a task appears twice in the mixture (${names.join(', ')})`);
    if (!rl.mixture.tasks.some((t) => t.weight > 0)) issue([...at, 'mixture', 'tasks'], 'conflict: every mixture weight is 0');
  }
  if (rl.nlpo && rl.rollout.backend !== 'onnx')
    issue([...at, 'nlpo'], 'conflict: NLPO masked sampling reads full logits from the onnx engine; set rollout.backend: onnx');
}

/** The loop options a section turns on (non-default), by key. */
export function loopOptionsSet(rl: {
  curriculum: { name: string };
  group_weighting: unknown;
  mixture: unknown;
  length_stages: unknown[];
  nlpo: unknown;
  critical_entropy: unknown;
  select_checkpoint: string;
  methods: Record<string, unknown>;
}): string[] {
  const on: string[] = [];
  if (rl.curriculum.name !== 'uniform') on.push('curriculum');
  for (const k of ['group_weighting', 'mixture', 'nlpo', 'critical_entropy'] as const) if (rl[k] !== null) on.push(k);
  if (rl.length_stages.length) on.push('length_stages');
  if (rl.select_checkpoint !== 'last') on.push('select_checkpoint');
  for (const [k, v] of Object.entries(rl.methods)) if (v !== null) on.push(`methods.${k}`);
  return on;
}

/**
 * Only the single-turn loop (pipeline rl, ../rl.ts) reads the loop options; an RL section of another
 * pipeline (x1's replay update, the multi-turn loops) that sets one would silently ignore it.
 */
export function checkLoopOptionsUsed(
  pipeline: string,
  sections: readonly [(string | number)[], Parameters<typeof loopOptionsSet>[0] | undefined][],
  issue: Issue,
): void {
  for (const [at, rl] of sections) {
    if (!rl || (pipeline === 'rl' && at.length === 1)) continue;
    const on = loopOptionsSet(rl);
    if (on.length)
      issue(
        [...at, on[0]],
        `conflict: ${on.map((k) => `${at.join('.')}.${k}`).join(', ')} ${on.length > 1 ? 'are' : 'is'} read only by pipeline rl, not by pipeline ${pipeline}; remove ${on.length > 1 ? 'them' : 'it'}`,
      );
  }
}
