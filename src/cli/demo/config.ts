/**
 * Settings of `rlmkit demo` (config kind `demo`). Defaults are sized so that the whole job fits in
 * about 10 minutes on an idle 2-core machine; `--set` overrides any of them, and `--quick`
 * shrinks everything for a smoke run.
 */
import { z } from 'zod';
import { RunSectionSchema } from '../../core/index.js';

const posInt = () => z.number().int().positive();

export const DemoStrategySchema = z.strictObject({
  /** Label in tables and plots. */
  label: z.string(),
  /** A strategy of src/reasoning (`rlmkit strategies`). */
  strategy: z.string(),
  /** Which policy searches: the trained one, or the model-free uniform-legal-step baseline. */
  policy: z.enum(['trained', 'legal-uniform']).default('trained'),
  /** Give the search the trained value model (Q model / scorer). */
  value: z.boolean().default(false),
  settings: z.record(z.string(), z.unknown()).default({}),
  /** Token budget per puzzle (null: none; the strategy's own settings bound it). */
  budget_tokens: posInt().nullable().default(null),
});
export type DemoStrategy = z.output<typeof DemoStrategySchema>;

export const DEFAULT_STRATEGIES: z.input<typeof DemoStrategySchema>[] = [
  { label: 'greedy CoT', strategy: 'cot', settings: { decoding: 'greedy' } },
  { label: 'best-of-8 (value model)', strategy: 'best-of-n', value: true, settings: { n: 8, scorer: 'value' } },
  { label: 'beam 4x4 (value model)', strategy: 'beam', value: true, settings: { beam_width: 4, k: 4, scorer: 'value' } },
  // MCTS widened (x1's form expands a node once): 8 children at T = 1.3 and up to 8 re-expansions of a node whose
  // children all failed, so that a sharp RL policy still proposes the rarer steps (measured: README.md).
  {
    label: 'MCTS 96 sims (value model)',
    strategy: 'mcts',
    value: true,
    settings: { simulations: 96, children: 8, temperature: 1.3, widen: 8 },
  },
  {
    label: 'model-free MCTS 96 sims',
    strategy: 'mcts',
    policy: 'legal-uniform',
    settings: { simulations: 96, children: 8, temperature: 1.3, widen: 8 },
  },
  { label: 'model-free DFS-8', strategy: 'tot-dfs', policy: 'legal-uniform', settings: { k: 8 } },
];

export const DemoConfigSchema = z.strictObject({
  kind: z.literal('demo').optional(),
  run: RunSectionSchema.extend({ name: RunSectionSchema.shape.name.unwrap().default('demo') }).prefault({}),
  /** The committed SFT checkpoint the demo starts from (recipes/game24-sft.yaml reproduces it). */
  checkpoint: z.string().default('checkpoints/game24-sft/policy.safetensors'),
  /** Evaluation puzzles: the Tree-of-Thoughts test split of 24.csv (ranks 901-1000). */
  eval: z
    .strictObject({
      split: z.string().default('test'),
      limit: posInt().nullable().default(null),
      /** Samples per puzzle for the sampled (T=1) RL-vs-SFT comparison. */
      samples: posInt().default(4),
    })
    .prefault({}),
  rl: z
    .strictObject({
      steps: posInt().default(80),
      prompts_per_step: posInt().default(16),
      group_size: posInt().default(8),
      lr: z.number().positive().default(1e-4),
    })
    .prefault({}),
  value: z
    .strictObject({
      steps: posInt().default(60),
      batch_size: posInt().default(32),
      /** Training puzzles whose rollouts label the value model's states. */
      problems: posInt().default(256),
    })
    .prefault({}),
  strategies: z.array(DemoStrategySchema).prefault(DEFAULT_STRATEGIES),
});
export type DemoConfig = z.output<typeof DemoConfigSchema>;

/** Overrides applied by `--quick`: a smoke run of every stage in about a minute. */
export const QUICK_OVERRIDES = [
  'eval.limit=8',
  'eval.samples=2',
  'rl.steps=2',
  'rl.prompts_per_step=4',
  'rl.group_size=4',
  'value.steps=4',
  'value.problems=8',
];
