/**
 * `rlmkit bench genrm [--json]`: the generative reward model (RM-R1; src/training/genrm) on held-out
 * puzzles: agreement with the rule verifier after stage 1 and stage 2 (bootstrap CIs over puzzles),
 * and best-of-N with the judge against the ORM trained on the same candidates (paired CIs).
 */
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { runGenrmBench } from '../../training/genrm/bench.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';
import { shippedCheckpoint } from '../../models/shipped.js';

function parseNs(text: unknown): number[] {
  const ns = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < 1 || n > 256))
    throw usageError(`--n ${JSON.stringify(text)}: give whole numbers in 1..256 separated by commas`, 'e.g. --n 4,8,16');
  return ns;
}

export const genrmBench: BenchModule = {
  name: 'genrm',
  summary: 'generative reward model: agreement with the rule verifier (stage 1 / 2) and best-of-N against the ORM, held-out puzzles',
  configure(cmd: Command) {
    cmd
      .option('--run <dir>', 'a pipeline-genrm run (its final.json names judge, judge_sft and orm)')
      .option('--judge <ckpt>', 'the judge checkpoint (default: the run\'s "judge")')
      .option('--judge-sft <ckpt>', 'the stage-1 judge (default: the run\'s "judge_sft")')
      .option('--orm <ckpt>', 'the outcome reward model to compare with (default: the run\'s "orm")')
      .option('--policy <ckpt>', 'the policy whose solutions are judged (default: the shipped Game of 24 SFT policy)')
      .option('--task <name>', 'game24, countdown or countdown-classic', 'game24')
      .option('--puzzles <n>', 'held-out puzzles (test split first, then every k-th training puzzle)', intOption(1), 300)
      .option('--n <list>', 'best-of-N sizes', '4,8,16')
      .option('--held-out-every <k>', "the recipe's genrm.held_out_every", intOption(2), 6)
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(o) {
    const result = await runGenrmBench({
      run: typeof o.run === 'string' ? o.run : null,
      judge: typeof o.judge === 'string' ? o.judge : null,
      judgeSft: typeof o.judgeSft === 'string' ? o.judgeSft : null,
      orm: typeof o.orm === 'string' ? o.orm : null,
      policy: typeof o.policy === 'string' ? o.policy : shippedCheckpoint('game24-sft'),
      task: o.task as string,
      puzzles: o.puzzles as number,
      ns: parseNs(o.n),
      heldOutEvery: o.heldOutEvery as number,
      seed: o.seed as number,
    });
    return result as unknown as Record<string, unknown>;
  },
};
