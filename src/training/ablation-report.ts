/** The markdown table of `rlmkit bench ablation` (./ablation.ts). */
import type { PairedComparison } from '../eval/stats.js';
import type { AblationBudget } from './ablation-arms.js';

export interface ArmResult {
  summary: string;
  seeds: number[];
  wall_s: number;
  rollout_tokens: number;
  train_tokens: number;
  greedy_accuracy: number;
  sampled_accuracy: number;
  /** Mean share of groups with all-equal rewards per step (what curricula and ReST-GRPO act on). */
  zero_variance_share: number;
  /** Pooled over seeds: per-problem counts summed over seeds (arm and GRPO alike), paired bootstrap over problems. */
  vs_baseline: Versus | null;
  /** Each seed against plain GRPO at the same seed. */
  per_seed: { seed: number; greedy_accuracy: number; sampled_accuracy: number; vs_baseline: Versus | null }[];
}

type Versus = { greedy: PairedComparison; sampled: PairedComparison };

export interface AblationResult {
  task: string;
  checkpoint: string;
  budget: AblationBudget & { heldOut: number; samples: number; seeds: number[] };
  heldout_problems: number;
  rl_problems: number;
  start: { greedy_accuracy: number; sampled_accuracy: number };
  arms: Record<string, ArmResult>;
  note: string;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

function diff(c: PairedComparison | undefined): string {
  if (!c) return '—';
  const d = c.difference;
  const f = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
  const mark = d.lo > 0 ? ' (better)' : d.hi < 0 ? ' (worse)' : '';
  return `${f(d.mean)} [${f(d.lo)}, ${f(d.hi)}]${mark}`;
}

const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`);

export function ablationMarkdown(r: AblationResult): string {
  const b = r.budget;
  const lines = [
    `Ablation on ${r.task}: ${r.heldout_problems} held-out problems, ${r.rl_problems} RL problems; start ${r.checkpoint}.`,
    `Budget per arm: ${b.steps} RL steps x ${b.prompts} prompts x ${b.group} samples, responses <= ${b.maxNewTokens} tokens; seeds ${b.seeds.join(', ')};`,
    `sampled accuracy: ${b.samples} samples per problem at T = 1. Start policy: greedy ${pct(r.start.greedy_accuracy)}, sampled ${pct(r.start.sampled_accuracy)}.`,
    'Differences are arm minus plain GRPO in points, with the paired 95% bootstrap CI over problems; with several seeds the',
    "main table pools them (each problem's correct answers summed over seeds, arm and GRPO alike), the second table is per seed.",
    '',
    '| arm | greedy | vs GRPO (greedy) | sampled | vs GRPO (sampled) | all-equal groups | rollout tokens | trained tokens | wall (RL) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, a] of Object.entries(r.arms)) {
    lines.push(
      `| ${name} | ${pct(a.greedy_accuracy)} | ${diff(a.vs_baseline?.greedy)} | ${pct(a.sampled_accuracy)} | ${diff(a.vs_baseline?.sampled)} | ${pct(a.zero_variance_share)} | ${k(a.rollout_tokens)} | ${k(a.train_tokens)} | ${a.wall_s.toFixed(0)} s |`,
    );
  }
  if (b.seeds.length > 1) {
    lines.push('', '| arm | seed | greedy | vs GRPO (greedy) | sampled | vs GRPO (sampled) |', '|---|---|---|---|---|---|');
    for (const [name, a] of Object.entries(r.arms))
      for (const s of a.per_seed)
        lines.push(
          `| ${name} | ${s.seed} | ${pct(s.greedy_accuracy)} | ${diff(s.vs_baseline?.greedy)} | ${pct(s.sampled_accuracy)} | ${diff(s.vs_baseline?.sampled)} |`,
        );
  }
  lines.push('', ...Object.entries(r.arms).map(([n, a]) => `- ${n}: ${a.summary}`), '', `Note: ${r.note}.`, '');
  return lines.join('\n');
}
