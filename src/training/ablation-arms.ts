/**
 * The arms of `rlmkit bench ablation` (./ablation.ts): each arm is plain GRPO's RL section with a
 * few keys overridden (deep merge), so every method that is a recipe option is an arm by name.
 *
 * Plain GRPO here is recipes/countdown-grpo.yaml's algorithm at the ablation's budget: group-relative
 * advantages (Shao et al. 2024), PPO clip 0.2 / 0.28 (DAPO clip-higher), dynamic sampling, k3 KL in
 * the loss at 0.001, token-mean aggregation, lr 5e-5 constant, the task verifier as the reward.
 */
import { usageError } from '../core/index.js';

export interface AblationArm {
  name: string;
  /** One line: the method and its paper. */
  summary: string;
  /** Keys of the RL section overriding plain GRPO (deep-merged; arrays and scalars replace), or a function of the budget. */
  rl: Record<string, unknown> | ((b: AblationBudget) => Record<string, unknown>);
  /** Added to every seed: a rerun of an arm with other seeds measures the seed-to-seed noise. */
  seedOffset?: number;
}

/** The baseline's RL section at a given budget (steps, prompts, group, response length). */
export interface AblationBudget {
  steps: number;
  prompts: number;
  group: number;
  maxNewTokens: number;
}

export function plainGrpoSection(b: AblationBudget): Record<string, unknown> {
  return {
    steps: b.steps,
    prompts_per_step: b.prompts,
    group_size: b.group,
    ppo_epochs: 1,
    mini_batches: 2,
    advantage: 'grpo',
    clip: { low: 0.2, high: 0.28 },
    loss_agg: 'token-mean',
    kl_loss: { estimator: 'k3', coef: 0.001 },
    dynamic_sampling: true,
    reward: 'verifier',
    rollout: { backend: 'onnx', temperature: 1, top_p: 1, max_new_tokens: b.maxNewTokens },
    optim: { lr: 5e-5, schedule: 'constant', grad_clip: 1 },
    eval_problems: 0,
  };
}

export const BASELINE_ARM = 'grpo';

/** R1-Reward's StableReinforce as RL-section overrides: pre-clip 3, 3-sigma advantage filter, consistency reward. */
const STABLE_REINFORCE = {
  policy_loss: { pre_clip: 3 },
  methods: { advantage_filter: { sigma: 3 } },
  reward: {
    terms: [
      { type: 'correctness', weight: 1 },
      { type: 'consistency', weight: 0.5, gated: true },
    ],
  },
};

export const ABLATION_ARMS: readonly AblationArm[] = [
  { name: 'grpo', summary: 'plain GRPO + DAPO clip-higher and dynamic sampling (the baseline)', rl: {} },
  {
    name: 'grpo-reseed',
    summary: 'plain GRPO again with seeds + 100: how far two runs of the same method differ (the noise floor)',
    rl: {},
    seedOffset: 100,
  },
  {
    name: 'stable-reinforce',
    summary: "R1-Reward's StableReinforce: pre-clip of the log ratio, 3-sigma advantage filter, consistency reward",
    rl: STABLE_REINFORCE,
  },
  {
    name: 'grpo-hot',
    summary: 'plain GRPO pushed off-policy: lr 3e-4 (6x) and 2 PPO epochs, where ratios drift (the setting StableReinforce is for)',
    rl: { ppo_epochs: 2, optim: { lr: 3e-4 } },
  },
  {
    name: 'stable-reinforce-hot',
    summary: 'StableReinforce (pre-clip 3, 3-sigma filter, consistency) at grpo-hot settings',
    rl: {
      ppo_epochs: 2,
      optim: { lr: 3e-4 },
      ...STABLE_REINFORCE,
    },
  },
  {
    name: 'campo-repetition',
    summary: "MiroMind-M1 CAMPO's adaptive repetition penalty on top of the verifier reward",
    rl: {
      reward: {
        terms: [
          { type: 'correctness', weight: 1 },
          { type: 'adaptive-repetition', weight: 1 },
        ],
      },
    },
  },
  {
    name: 'tp-grpo',
    summary: 'TP-GRPO: per-thought rewards (rule PRM: step validity) turned into per-token advantages',
    rl: { methods: { thought_rewards: { source: 'rules', alpha: 0.5 } } },
  },
  {
    name: 'rest-grpo',
    summary: "ReST-RL's ReST-GRPO: 2x prompts sampled, the half with the largest reward std (>= 0.05) trained on",
    rl: (b) => ({ prompts_per_step: 2 * b.prompts, methods: { group_select: { min_std: 0.05, keep: b.prompts } } }),
  },
  {
    name: 'observe-r1',
    summary: 'Observe-R1: difficulty-ordered curriculum from online pass rates + uncertainty weighting of groups',
    rl: (b) => ({
      curriculum: { name: 'observe_r1', start_fraction: 0.3, ramp_steps: Math.max(1, Math.round((b.steps * 2) / 3)) },
      group_weighting: { name: 'uncertainty', floor: 0.25 },
    }),
  },
  {
    name: 'rlcs',
    summary: "GLM-4.1V-Thinking's curriculum sampling (RLCS) by online pass-rate bins",
    rl: { curriculum: { name: 'rlcs', bins: 5 } },
  },
  {
    name: 'length-stages',
    summary: 'Vision-R1 PTST / CAMPO staged lengths: the first half of the steps at 40 tokens, then the full length',
    // the second stage only when the budget leaves it a step (at 20 steps: 10 at 40 tokens, 10 at the full length)
    rl: (b) => ({
      length_stages: [
        { steps: Math.ceil(b.steps / 2), max_new_tokens: Math.min(40, b.maxNewTokens) },
        ...(b.steps > 1 ? [{ steps: b.steps - Math.ceil(b.steps / 2), max_new_tokens: b.maxNewTokens }] : []),
      ],
    }),
  },
  {
    name: 'entropy-select',
    summary: 'Skywork-R1V3: critical-token entropy per checkpoint (measured on 32 RL-training prompts) picks the final checkpoint',
    rl: (b) => ({
      eval_problems: 32,
      eval_every: Math.max(1, Math.floor(b.steps / 4)),
      critical_entropy: { tokens: 'step_start', problems: 32, prefer: 'high' },
      select_checkpoint: 'entropy',
    }),
  },
  {
    name: 'nlpo',
    summary: "RL4LMs' NLPO: actions masked to the top-p (0.9) of a copy synchronised every 5 steps, with TIS",
    rl: { nlpo: { top_p: 0.9, sync_every: 5 }, policy_loss: { name: 'tis' } },
  },
];

/** The RL section of an arm at a budget (not yet validated). */
export function armSection(arm: AblationArm, b: AblationBudget): Record<string, unknown> {
  return mergeSection(plainGrpoSection(b), armOverrides(arm, b));
}

const armOverrides = (arm: AblationArm, b: AblationBudget) => (typeof arm.rl === 'function' ? arm.rl(b) : arm.rl);

/**
 * The arm of a name: a listed arm, or a combination `a+b+c` of listed arms (their overrides merged
 * in order). A combination whose parts set the same key to different values is refused when its
 * section is built (e.g. stable-reinforce+campo-repetition: both replace `reward`), and so is a
 * part that only reruns another (grpo-reseed). Unknown names: undefined.
 */
export function armByName(name: string): AblationArm | undefined {
  const listed = ABLATION_ARMS.find((a) => a.name === name);
  if (listed || !name.includes('+')) return listed;
  const names = name.split('+');
  const parts = names.map((n) => ABLATION_ARMS.find((a) => a.name === n));
  if (parts.some((p) => !p)) return undefined;
  const arms = parts as AblationArm[];
  if (new Set(names).size !== names.length) throw usageError(`ablation arm "${name}" names a part twice`, 'name each method once');
  const rerun = arms.find((a) => a.seedOffset);
  if (rerun)
    throw usageError(
      `ablation arm "${name}": ${rerun.name} reruns another arm with other seeds and cannot be combined`,
      'combine methods only',
    );
  return {
    name,
    summary: `combination: ${names.join(' + ')}`,
    rl: (b) => {
      const each = arms.map((a) => ({ name: a.name, leaves: leafPaths(armOverrides(a, b)) }));
      for (let i = 0; i < each.length; i++)
        for (let j = i + 1; j < each.length; j++) {
          const clash = conflict(each[i].leaves, each[j].leaves);
          if (clash)
            throw usageError(
              `ablation arm "${name}": ${each[i].name} and ${each[j].name} both set rl.${clash} (to different values)`,
              'combine methods that override different recipe keys',
            );
        }
      return arms.reduce<Record<string, unknown>>((acc, a) => mergeSection(acc, armOverrides(a, b)), {});
    },
  };
}

/** Dotted paths of the leaves of an override (arrays and scalars are leaves), with their values. */
function leafPaths(o: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (isPlain(v) && Object.keys(v).length) for (const [q, w] of leafPaths(v, p)) out.set(q, w);
    else out.set(p, v);
  }
  return out;
}

/** The first path two overrides set differently: the same leaf with other values, or a leaf above the other's keys. */
function conflict(a: Map<string, unknown>, b: Map<string, unknown>): string | null {
  for (const [p, v] of a) {
    if (b.has(p) && JSON.stringify(b.get(p)) !== JSON.stringify(v)) return p;
    for (const q of b.keys()) if (q.startsWith(`${p}.`) || p.startsWith(`${q}.`)) return p.length < q.length ? p : q;
  }
  return null;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of recipe objects: objects merge key by key; arrays, scalars and null replace. */
export function mergeSection(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? mergeSection(out[k], v) : v;
  return out;
}
