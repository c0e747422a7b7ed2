/**
 * The training recipe: one YAML file per `rlmkit train --config recipes/<name>.yaml` run, validated by
 * a strict zod schema (unknown keys are errors). Beyond types, `checkRecipe` rejects combinations
 * that cannot work together (verl validates its config the same way), each with a message naming
 * the conflict and the keys involved: PPO/GAE without a critic, a dual clip c <= 1, a group
 * estimator with one sample per prompt, KL both in the loss and in the reward, ...
 *
 * Keys are snake_case like verl's; every default is documented next to it.
 */
import { z } from 'zod';
import { RunSectionSchema } from '../core/index.js';
import { AdvantageNames, advantageEstimators } from './algos/advantages.js';
import { LossAggModes } from './algos/loss-aggregation.js';
import { KlEstimatorNames } from './algos/kl.js';
import { PolicyLossSectionSchema } from './algos/policy-loss-config.js';
import { RewardConfigSchema } from '../rewards/index.js';
import { RewardNames } from './rewards.js';
import { RM_VIEWS, RewardModelRewardSchema } from './reward-model-config.js';
import { GenrmSectionSchema } from './genrm/config.js';
import { checkLoopOptionsUsed, checkRlLoop, rlLoopKeys } from './rl/loop-config.js';
import { MULTITURN_SECTIONS, MultiturnPipelines, MultiturnSectionSchema, checkMultiturnRecipe } from './multiturn/section.js';
import { ASYNC_SECTIONS, AsyncPipelines, AsyncSectionSchema, checkAsyncRecipe } from './async/section.js';

const pos = () => z.number().positive();
const posInt = () => z.number().int().positive();
const nonNegInt = () => z.number().int().nonnegative();

/** The embedded model: a preset with optional size overrides, or a checkpoint to start from. */
export const ModelSectionSchema = z.strictObject({
  /** Preset of src/engine/config.ts: tiny (~1M), small (~5M), reference. */
  preset: z.enum(['tiny', 'small', 'reference']).default('tiny'),
  /** Start from this checkpoint directory instead of random weights (its config wins). */
  init: z.string().nullable().default(null),
  d_model: posInt().optional(),
  n_layers: posInt().optional(),
  n_heads: posInt().optional(),
  d_ff: posInt().optional(),
  max_seq_len: posInt().optional(),
  /**
   * Training engine of every trainer in the run (policy, critic, value model): onnx (native
   * onnxruntime kernels; the default for float32) or jax (jax-js WebAssembly, the reference).
   * Unset or null: the default. See src/engine/README.md.
   */
  engine: z.enum(['onnx', 'jax']).nullable().optional(),
});

export const OptimSectionSchema = z.strictObject({
  /** AdamW (Loshchilov & Hutter 2019). */
  lr: pos().default(1e-3),
  weight_decay: z.number().nonnegative().default(0.01),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.99),
  /** Global gradient-norm clip; null: none. */
  grad_clip: pos().nullable().default(1),
  warmup_steps: nonNegInt().default(0),
  /** Learning-rate schedule after warm-up. */
  schedule: z.enum(['constant', 'cosine']).default('cosine'),
  /** Floor of the cosine schedule as a fraction of lr. */
  min_lr_ratio: z.number().min(0).max(1).default(0.1),
});

export const TaskSectionSchema = z.strictObject({
  /** A task of src/tasks (game24, countdown, arithmetic, ...). */
  name: z.string().min(1),
  split: z.string().default('train'),
  /** Use at most this many problems (null: all). */
  limit: posInt().nullable().default(null),
  /** Data file overriding the task's default. */
  path: z.string().nullable().default(null),
});

/**
 * How a trainer spreads each mini-batch (the rows of one optimiser step) over the CPU
 * (src/engine/train.ts): micro-batches of at most `micro_batch_size` rows (verl's
 * ppo_micro_batch_size; the Trainer's `microBatchRows`), computed on `workers` threads. Micro-batches
 * of batch-normalised RL losses add up to exactly the unsplit mini-batch; for mean losses (SFT,
 * value) a step averages the micro-batches' means, weighted by rows. A mini-batch with fewer rows
 * (RL after dynamic sampling) runs fewer micro-batches. The number of workers never changes the results, only the speed
 * ('auto': one per core).
 */
const parallelKeys = {
  micro_batch_size: posInt().default(16),
  workers: z.union([z.literal('auto'), posInt()]).default('auto'),
};

/** Supervised fine-tuning (masked loss on the response / step tokens). */
export const SftSectionSchema = z.strictObject({
  steps: posInt().default(1000),
  batch_size: posInt().default(32),
  ...parallelKeys,
  /** Where examples come from: the task's solver (fresh random solutions) or a JSONL file (src/data sft format). */
  data: z.enum(['solver', 'jsonl']).default('solver'),
  path: z.string().nullable().default(null),
  /** Loss on the response tokens only (prompt masked) or on every token. */
  loss_on: z.enum(['response', 'all']).default('response'),
  /**
   * Solver data only, for tasks with an `augment` hook (game24): per drawn example, `shuffle` is the
   * probability of listing the numbers in a random order and `auxiliary` the probability of an
   * auxiliary puzzle of the same game instead (numbers uniform in `number_range`; the task's own
   * target with probability `own_target`, else one uniform in `target_range`), each verified
   * solvable by the exact solver and never one of the test puzzles. 0 / 0: no augmentation.
   */
  augment: z
    .strictObject({
      shuffle: z.number().min(0).max(1).default(0),
      auxiliary: z.number().min(0).max(1).default(0),
      number_range: z.tuple([posInt(), posInt()]).default([1, 13]),
      own_target: z.number().min(0).max(1).default(0.5),
      target_range: z.tuple([posInt(), posInt()]).default([1, 100]),
    })
    .prefault({}),
  optim: OptimSectionSchema.prefault({}),
});

const KlTermSchema = z.strictObject({
  estimator: z.enum(KlEstimatorNames).default('k3'),
  /** beta. */
  coef: z.number().nonnegative().default(0.001),
});

const CriticSchema = z.strictObject({
  /** Critic trunk: same preset as the policy unless given; init from a checkpoint when set. */
  init: z.string().nullable().default(null),
  optim: OptimSectionSchema.prefault({ lr: 1e-3 }),
  /** PPO value clip eps (null: plain MSE). */
  value_clip: pos().nullable().default(0.2),
  /** Weight of the value loss. */
  coef: pos().default(0.5),
});

export const RolloutSectionSchema = z.strictObject({
  /** onnx: the onnxruntime fast sampler; jax: the reference sampler (slow, for tests). */
  backend: z.enum(['onnx', 'jax']).default('onnx'),
  temperature: pos().default(1),
  top_p: z.number().gt(0).max(1).default(1),
  max_new_tokens: posInt().default(64),
  /** Experiments only: the rollout engine samples at this temperature while the trainer assumes `temperature` (a deliberate rollout-trainer mismatch). */
  behaviour_temperature: pos().nullable().default(null),
});

/** RL on verifiable rewards: GRPO family, REINFORCE++, PPO. */
export const RlSectionSchema = z.strictObject({
  steps: posInt().default(100),
  /** Prompts per step; each gets `group_size` samples. */
  prompts_per_step: posInt().default(16),
  group_size: posInt().default(8),
  /** Policy updates per batch of rollouts (>1 makes the importance ratio matter). */
  ppo_epochs: posInt().default(1),
  /** Splits each batch into this many optimiser steps. */
  mini_batches: posInt().default(1),
  /** Row chunks of each mini-batch, and threads computing them (see parallelKeys). */
  ...parallelKeys,
  advantage: z.enum(AdvantageNames).default('grpo'),
  gamma: z.number().min(0).max(1).default(1),
  lambda: z.number().min(0).max(1).default(1),
  clip: z
    .strictObject({
      /** eps_low. */
      low: z.number().gt(0).lt(1).default(0.2),
      /** eps_high (DAPO clip-higher: 0.28). */
      high: pos().default(0.2),
      /** Dual-clip c (Ye et al. 2020), must be > 1; null: off. */
      dual: z.number().nullable().default(null),
    })
    .prefault({}),
  /** Policy loss from the registry (src/training/algos/policy-losses.ts): ppo_clip, gspo, tis, mis, decoupled. */
  policy_loss: PolicyLossSectionSchema.prefault({}),
  loss_agg: z.enum(LossAggModes).default('token-mean'),
  /** L_norm of seq-mean-token-sum-norm (default: rollout.max_new_tokens). */
  loss_norm_length: posInt().nullable().default(null),
  /** KL to the reference (initial) policy, in the loss (GRPO) ... */
  kl_loss: KlTermSchema.nullable().default(null),
  /** ... or in the reward (PPO / REINFORCE++); not both. */
  kl_reward: KlTermSchema.nullable().default(null),
  entropy_coef: z.number().nonnegative().default(0),
  /** DAPO dynamic sampling: drop groups whose rewards are all equal. */
  dynamic_sampling: z.boolean().default(false),
  overlong: z
    .strictObject({
      /** Mask truncated responses out of the loss (DAPO). */
      filter: z.boolean().default(false),
      /** Soft overlong punishment (DAPO eq. 13): penalty from max_length - cache_length to max_length. */
      soft: z.strictObject({ max_length: posInt(), cache_length: posInt() }).nullable().default(null),
    })
    .prefault({}),
  /** Reward: verifier (the task's checker, 1 when correct), format-verifier, or a src/rewards
   * weighted-sum config { terms: [{ type: correctness }, { type: overlong, ... }, ...] }. */
  reward: z.union([z.enum(RewardNames), RewardConfigSchema, RewardModelRewardSchema]).default('verifier'),
  rollout: RolloutSectionSchema.prefault({}),
  /** A value model for GAE (PPO); required exactly when advantage is gae. */
  critic: CriticSchema.nullable().default(null),
  optim: OptimSectionSchema.prefault({ lr: 2e-4, warmup_steps: 0, schedule: 'constant' }),
  /** Problems held out to measure accuracy every eval_every steps (greedy). */
  eval_problems: nonNegInt().default(64),
  eval_every: posInt().default(10),
  /** The loop's options of issue 21: curriculum, group_weighting, mixture, length_stages, nlpo, critical_entropy, select_checkpoint. */
  ...rlLoopKeys,
});

/** Value / Q model regression to backed-up MCTS q (MSE), or a PRM on MCTS-derived step labels. */
export const ValueSectionSchema = z.strictObject({
  steps: posInt().default(500),
  batch_size: posInt().default(32),
  ...parallelKeys,
  /** Traces to learn from (src/reasoning trace JSON files); null: generate them with the policy. */
  traces: z.string().nullable().default(null),
  /** q: regress each node's backed-up q; outcome: +1/-1 from whether its subtree reaches a correct answer. */
  target: z.enum(['q', 'outcome']).default('q'),
  /** Nodes visited fewer times carry too little signal. */
  min_visits: nonNegInt().default(1),
  optim: OptimSectionSchema.prefault({}),
});

/** DPO (Rafailov et al. 2023) from preference pairs. */
export const DpoSectionSchema = z.strictObject({
  steps: posInt().default(200),
  batch_size: posInt().default(16),
  /** Pairs JSONL (src/data pairs format). */
  pairs: z.string(),
  beta: pos().default(0.1),
  optim: OptimSectionSchema.prefault({ lr: 2e-4 }),
});

/**
 * Reward model (Bradley-Terry, Ouyang et al. 2022 eq. 1) from preference pairs (./reward-model.ts):
 * the trunk of model.init with a scalar head read at the last token, r(x, y) = scale * tanh(head).
 */
export const RmSectionSchema = z.strictObject({
  steps: posInt().default(300),
  /** Pairs per optimiser step (two rows each; micro_batch_size must be even to keep pairs together). */
  batch_size: posInt().default(32),
  ...parallelKeys,
  /** policy: the init policy's own samples, ranked by the task's rule checker; else a JSONL file of {prompt, chosen, rejected}. */
  pairs: z.string().min(1).default('policy'),
  /** What the model reads after the prompt: the response (last line, RLMT) or the whole completion. */
  sees: z.enum(RM_VIEWS).default('response'),
  /** beta of r = beta * tanh(head): the tanh head is bounded, the scale lets the BT probabilities reach 0/1. */
  scale: pos().default(4),
  /** pairs: policy — samples per training problem, pairs kept per problem, test-split problems for held-out pairs. */
  samples_per_problem: posInt().default(8),
  pairs_per_problem: posInt().default(4),
  held_out_problems: nonNegInt().default(200),
  rollout: RolloutSectionSchema.prefault({ max_new_tokens: 48 }),
  optim: OptimSectionSchema.prefault({ lr: 3e-4 }),
});

/** Rejection sampling / ReST (Gulcehre et al. 2023): sample, keep the verified, fine-tune, repeat. */
export const RestSectionSchema = z.strictObject({
  iterations: posInt().default(3),
  problems_per_iteration: posInt().default(128),
  samples_per_problem: posInt().default(8),
  /** Distinct correct solutions kept per problem. */
  keep_per_problem: posInt().default(2),
  rollout: RolloutSectionSchema.prefault({}),
  sft: SftSectionSchema.prefault({ steps: 100 }),
});

/** MCTS settings of the x1 form (docs/design.md). */
export const MctsSectionSchema = z.strictObject({
  simulations: posInt().default(32),
  /** Candidate next steps sampled per expansion. */
  expand: posInt().default(4),
  c1: pos().default(1.25),
  c2: pos().default(19652),
  /** Backup mixing a and discount gamma. */
  alpha: z.number().gt(0).max(1).default(0.5),
  gamma: z.number().gt(0).max(1).default(1),
  max_depth: posInt().default(8),
});

/** The x1 two-phase recipe. */
export const X1SectionSchema = z.strictObject({
  phase1: z
    .strictObject({
      sft: SftSectionSchema.prefault({}),
      /** Q model from policy rollouts, labelled by the verifier. */
      q: ValueSectionSchema.prefault({}),
      /** Rollouts per problem used to label Q targets. */
      rollouts_per_problem: posInt().default(4),
    })
    .prefault({}),
  phase2: z
    .strictObject({
      iterations: posInt().default(4),
      problems_per_iteration: posInt().default(32),
      mcts: MctsSectionSchema.prefault({}),
      /** Replay buffer capacity in examples (oldest dropped first). */
      replay_capacity: posInt().default(4096),
      policy: RlSectionSchema.prefault({ steps: 10 }),
      q: ValueSectionSchema.prefault({ steps: 100 }),
    })
    .prefault({}),
});

export const Pipelines = [
  'sft',
  'rl',
  'dpo',
  'rest',
  'value',
  'prm',
  'rm',
  'genrm',
  'x1',
  ...MultiturnPipelines,
  ...AsyncPipelines,
] as const;
export type Pipeline = (typeof Pipelines)[number];

export const RecipeSchemaBase = z.strictObject({
  kind: z.literal('train').optional(),
  /** Which trainer runs. */
  pipeline: z.enum(Pipelines),
  run: RunSectionSchema.prefault({}),
  task: TaskSectionSchema,
  model: ModelSectionSchema.prefault({}),
  /** Save a checkpoint every this many optimiser steps (and at the end). */
  checkpoint_every: posInt().default(50),
  /** Optimiser steps per metrics.jsonl record. */
  log_every: posInt().default(1),
  sft: SftSectionSchema.optional(),
  rl: RlSectionSchema.optional(),
  value: ValueSectionSchema.optional(),
  dpo: DpoSectionSchema.optional(),
  /** Reward model from preference pairs (pipeline rm). */
  rm: RmSectionSchema.optional(),
  rest: RestSectionSchema.optional(),
  x1: X1SectionSchema.optional(),
  /** Multi-turn pipelines (src/training/multiturn). */
  multiturn: MultiturnSectionSchema.optional(),
  /** The asynchronous RL pipeline (src/training/async). */
  async: AsyncSectionSchema.optional(),
  /** The generative reward model (pipeline: genrm, src/training/genrm). */
  genrm: GenrmSectionSchema.optional(),
});

type RecipeShape = z.output<typeof RecipeSchemaBase>;
export type RlSection = z.output<typeof RlSectionSchema>;
export type SftSection = z.output<typeof SftSectionSchema>;
export type ValueSection = z.output<typeof ValueSectionSchema>;
export type RmSection = z.output<typeof RmSectionSchema>;
export type OptimSection = z.output<typeof OptimSectionSchema>;
export type ModelSection = z.output<typeof ModelSectionSchema>;

/** Sections each pipeline reads; any other trainer section present is a conflict (it would be ignored). */
const SECTIONS_OF: Record<Pipeline, (keyof RecipeShape)[]> = {
  sft: ['sft'],
  rl: ['rl'],
  dpo: ['dpo'],
  rest: ['rest'],
  value: ['value'],
  prm: ['value'],
  rm: ['rm'],
  x1: ['x1'],
  genrm: ['sft', 'rl', 'value', 'genrm'],
  ...MULTITURN_SECTIONS,
  ...ASYNC_SECTIONS,
};
const TRAINER_SECTIONS = ['sft', 'rl', 'value', 'dpo', 'rm', 'rest', 'x1', 'genrm'] as const;

/** Cross-field checks of one RL section; `at` is its key path. */
function checkRl(rl: RlSection, at: (string | number)[], issue: (path: (string | number)[], message: string) => void): void {
  const est = advantageEstimators[rl.advantage];
  if (est.needsCritic && !rl.critic) {
    issue(
      [...at, 'critic'],
      `conflict: advantage "${rl.advantage}" (PPO with GAE) needs a critic, but ${at.join('.')}.critic is not set; add a critic section or use a critic-free estimator (grpo, drgrpo, rloo, reinforce_pp)`,
    );
  }
  if (!est.needsCritic && rl.critic) {
    issue(
      [...at, 'critic'],
      `conflict: a critic is set but advantage "${rl.advantage}" does not use one; set advantage: gae or remove the critic`,
    );
  }
  if (est.needsGroups && rl.group_size < 2) {
    issue(
      [...at, 'group_size'],
      `conflict: advantage "${rl.advantage}" compares samples of the same prompt, so group_size must be at least 2`,
    );
  }
  if (rl.dynamic_sampling && !est.needsGroups) {
    issue(
      [...at, 'dynamic_sampling'],
      `conflict: dynamic sampling drops groups with equal rewards, which only matters for group estimators (grpo, drgrpo, rloo), not "${rl.advantage}"`,
    );
  }
  if (rl.clip.dual !== null && !(rl.clip.dual > 1)) {
    issue(
      [...at, 'clip', 'dual'],
      `conflict: the dual-clip constant c must be greater than 1; with c <= 1 it would clip every negative-advantage token`,
    );
  }
  if (rl.clip.high < rl.clip.low) {
    issue(
      [...at, 'clip', 'high'],
      `conflict: clip.high (${rl.clip.high}) is below clip.low (${rl.clip.low}); DAPO's clip-higher uses high >= low`,
    );
  }
  if (rl.kl_loss && rl.kl_reward) {
    issue(
      [...at, 'kl_reward'],
      'conflict: KL is placed both in the loss (kl_loss) and in the reward (kl_reward); it would be penalised twice, keep one of them',
    );
  }
  if (rl.overlong.soft) {
    const { max_length, cache_length } = rl.overlong.soft;
    if (cache_length >= max_length)
      issue(
        [...at, 'overlong', 'soft', 'cache_length'],
        `conflict: soft overlong cache_length (${cache_length}) must be below max_length (${max_length})`,
      );
    if (max_length > rl.rollout.max_new_tokens) {
      issue(
        [...at, 'overlong', 'soft', 'max_length'],
        `conflict: soft overlong max_length (${max_length}) exceeds rollout.max_new_tokens (${rl.rollout.max_new_tokens}), so the penalty could never reach -1`,
      );
    }
  }
  if (rl.loss_norm_length !== null && rl.loss_agg !== 'seq-mean-token-sum-norm') {
    issue(
      [...at, 'loss_norm_length'],
      `conflict: loss_norm_length is only used by loss_agg seq-mean-token-sum-norm (got loss_agg ${rl.loss_agg})`,
    );
  }
  checkRlLoop(rl, at, issue);
  if (rl.mini_batches > rl.prompts_per_step * rl.group_size) {
    issue(
      [...at, 'mini_batches'],
      `conflict: ${rl.mini_batches} mini-batches for only ${rl.prompts_per_step * rl.group_size} samples per step`,
    );
  }
}

export const RecipeSchema = RecipeSchemaBase.superRefine((r, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const wanted = SECTIONS_OF[r.pipeline];
  // rl, dpo and rest have no sensible all-default section (dpo needs its pairs file; rl and rest
  // must say what they optimise); the other pipelines run on defaults.
  if ((r.pipeline === 'rl' || r.pipeline === 'dpo' || r.pipeline === 'rest') && r[r.pipeline] === undefined) {
    issue([r.pipeline], `pipeline "${r.pipeline}" needs a "${r.pipeline}:" section`);
  }
  for (const s of TRAINER_SECTIONS) {
    if (r[s] !== undefined && !wanted.includes(s)) {
      issue([s], `conflict: a "${s}:" section is set but pipeline "${r.pipeline}" does not read it; remove it or change the pipeline`);
    }
  }
  if (r.rl) checkRl(r.rl, ['rl'], issue);
  if (r.x1) checkRl(r.x1.phase2.policy, ['x1', 'phase2', 'policy'], issue);
  checkMultiturnRecipe(r, issue);
  checkLoopOptionsUsed(
    r.pipeline,
    [
      [['rl'], r.rl],
      [['x1', 'phase2', 'policy'], r.x1?.phase2.policy],
    ],
    issue,
  );
  checkAsyncRecipe(r, issue);
  if (r.pipeline === 'rl' && r.model.init === null) {
    issue(
      ['model', 'init'],
      'conflict: RL from random weights cannot find any reward; set model.init to an SFT checkpoint (e.g. from `rlmkit train --config recipes/<sft recipe>.yaml`)',
    );
  }
  const sizeKeys = (['d_model', 'n_layers', 'n_heads', 'd_ff', 'max_seq_len'] as const).filter((k) => r.model[k] !== undefined);
  if (r.model.init !== null && sizeKeys.length) {
    issue(
      ['model', sizeKeys[0]],
      `conflict: model.${sizeKeys.join(', model.')} set together with model.init; a checkpoint brings its own sizes, so remove these or model.init`,
    );
  }
  if (r.rm && r.rm.micro_batch_size % 2 !== 0)
    issue(['rm', 'micro_batch_size'], 'rm.micro_batch_size must be even: a micro-batch holds whole pairs (chosen and rejected rows)');
  if (r.pipeline === 'rm' && r.rm?.pairs === 'policy' && r.model.init === null)
    issue(
      ['model', 'init'],
      'conflict: rm.pairs is "policy" (pairs of the init policy\'s samples), but model.init is not set; set it to a policy checkpoint',
    );
  if (r.pipeline === 'dpo' && r.model.init === null) {
    issue(['model', 'init'], 'conflict: DPO needs a starting policy, which is also its reference; set model.init to a checkpoint');
  }
  const sftSources: [string[], SftSection | undefined][] = [
    [['sft'], r.sft],
    [['rest', 'sft'], r.rest?.sft],
    [['x1', 'phase1', 'sft'], r.x1?.phase1.sft],
  ];
  for (const [at, s] of sftSources) {
    if (!s) continue;
    const key = at.join('.');
    if (s.data === 'jsonl' && !s.path)
      issue([...at, 'path'], `conflict: ${key}.data is "jsonl" but ${key}.path is not set; give the JSONL file or use data: solver`);
    if (s.data === 'solver' && s.path)
      issue([...at, 'path'], `conflict: ${key}.path is set but ${key}.data is "solver"; set data: jsonl to read the file`);
    const aug = s.augment;
    if (s.data === 'jsonl' && (aug.shuffle > 0 || aug.auxiliary > 0))
      issue(
        [...at, 'augment'],
        `conflict: ${key}.augment makes solver examples but ${key}.data is "jsonl"; use data: solver or drop augment`,
      );
    for (const range of ['number_range', 'target_range'] as const)
      if (aug[range][0] > aug[range][1])
        issue([...at, 'augment', range], `${key}.augment.${range} [${aug[range].join(', ')}] is empty: give [low, high] with low <= high`);
  }
  if (r.pipeline === 'prm' && r.value && r.value.target !== 'outcome') {
    issue(
      ['value', 'target'],
      'conflict: a PRM learns MCTS-derived step labels, so value.target must be "outcome" (whether the step leads to a correct answer)',
    );
  }
});

export type Recipe = z.output<typeof RecipeSchema>;

/** The section a pipeline runs with, defaults filled in when the recipe omitted it. */
export function sftSection(r: Recipe): SftSection {
  return r.sft ?? SftSectionSchema.parse({});
}
export function valueSection(r: Recipe): ValueSection {
  return r.value ?? ValueSectionSchema.parse({ target: r.pipeline === 'prm' ? 'outcome' : 'q' });
}
export function x1Section(r: Recipe): z.output<typeof X1SectionSchema> {
  return r.x1 ?? X1SectionSchema.parse({});
}
export function rmSection(r: Recipe): RmSection {
  return r.rm ?? RmSectionSchema.parse({});
}
