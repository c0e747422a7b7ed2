/**
 * `rlmkit bench ablation [--arms grpo,stable-reinforce,...]`: plain GRPO against the issue-21
 * methods at one budget, paired on the same held-out problems (src/training/ablation.ts). Writes
 * ablation.json and ablation.md under --out after every arm; a rerun skips finished arms.
 */
import type { Command } from 'commander';
import { ABLATION_ARMS } from '../../training/ablation-arms.js';
import { runAblation } from '../../training/ablation.js';
import { ablationMarkdown } from '../../training/ablation-report.js';
import { resolveCheckpoint } from '../../training/models.js';
import { usageError } from '../../core/index.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';
import { shippedCheckpoint } from '../../models/shipped.js';

function list(v: string, what: string): string[] {
  const xs = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!xs.length) throw usageError(`${what} is empty`, 'give a comma-separated list');
  return xs;
}

export const ablationBench: BenchModule = {
  name: 'ablation',
  summary: 'plain GRPO vs each RL method (issue 21) at one budget: greedy and sampled held-out accuracy, paired CIs, tokens, wall',
  configure(cmd: Command) {
    cmd
      .option(
        '--arms <list>',
        `comma-separated arms (${ABLATION_ARMS.map((a) => a.name).join(', ')}), or combinations a+b of them; grpo always runs first`,
        'grpo',
      )
      .option('--task <name>', 'game24 or countdown', 'game24')
      .option(
        '--checkpoint <file>',
        'starting policy: a .safetensors file or a finished run directory (default for game24: the committed SFT policy)',
      )
      .option('--out <dir>', 'where ablation.json, ablation.md and the runs go', 'runs/ablation')
      .option('--steps <n>', 'RL steps per arm', intOption(1), 20)
      .option('--prompts <n>', 'prompts per step', intOption(1), 16)
      .option('--group <n>', 'samples per prompt', intOption(2), 8)
      .option('--max-new-tokens <n>', 'longest response', intOption(1), 64)
      .option('--held-out <n>', 'held-out problems (test split first, then train problems kept out of RL)', intOption(1), 500)
      .option('--samples <n>', 'samples per held-out problem for the sampled accuracy (T = 1)', intOption(1), 4)
      .option('--seeds <list>', 'comma-separated seeds', '0');
  },
  async run(o) {
    const seeds = list(o.seeds as string, '--seeds').map((s) => {
      if (!/^\d+$/.test(s)) throw usageError(`--seeds: "${s}" is not a non-negative integer`, 'e.g. --seeds 0,1');
      return Number(s);
    });
    const task = o.task as string;
    if (o.checkpoint === undefined && task !== 'game24')
      throw usageError(
        `--checkpoint is needed for ${task}: no ${task} policy ships with rlmkit`,
        'e.g. --checkpoint runs/countdown-sft (recipes/countdown-sft.yaml)',
      );
    return (await runAblation({
      task,
      checkpoint: o.checkpoint === undefined ? shippedCheckpoint('game24-sft') : resolveCheckpoint(o.checkpoint as string),
      arms: list(o.arms as string, '--arms'),
      out: o.out as string,
      steps: o.steps as number,
      prompts: o.prompts as number,
      group: o.group as number,
      maxNewTokens: o.maxNewTokens as number,
      heldOut: o.heldOut as number,
      samples: o.samples as number,
      seeds,
    })) as unknown as Record<string, unknown>;
  },
  format(result) {
    return ablationMarkdown(result as never);
  },
};
