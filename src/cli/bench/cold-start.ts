/**
 * `rlmkit bench cold-start [--budget 300]`: SFT-only vs RL-only vs SFT then GRPO at one budget of
 * optimiser steps, from the same random initialisation (src/training/cold-start.ts).
 */
import type { Command } from 'commander';
import { runColdStart } from '../../training/cold-start.js';
import { collect, floatOption, intOption } from '../options.js';
import type { BenchModule } from './types.js';

export const coldStartBench: BenchModule = {
  name: 'cold-start',
  summary: 'RL with cold start: SFT-only, RL-only and SFT->GRPO at one step budget from one random init, paired held-out accuracy',
  configure(cmd: Command) {
    cmd
      .option('--sft-config <recipe>', 'SFT recipe (a preset, no model.init)', 'recipes/game24-sft.yaml')
      .option('--rl-config <recipe>', 'GRPO recipe (its model.init is replaced per arm)', 'recipes/game24-grpo.yaml')
      .option('--sft-set <key=value>', 'override of the SFT recipe (repeatable)', collect, [])
      .option('--rl-set <key=value>', 'override of the RL recipe (repeatable)', collect, [])
      .option('--budget <steps>', 'optimiser steps per arm', intOption(2), 300)
      .option('--sft-share <x>', 'share of the budget sft-grpo spends on SFT', floatOption(0.01), 0.5)
      .option('--eval-problems <n>', 'test problems scored', intOption(1), 100)
      .option('--samples <n>', 'samples per test problem for the sampled accuracy (T = 1)', intOption(1), 8)
      .option('--root <dir>', 'folder for the runs and cold-start.json', 'runs/cold-start');
  },
  async run(o) {
    return runColdStart({
      sftConfig: o.sftConfig as string,
      rlConfig: o.rlConfig as string,
      sftSets: o.sftSet as string[],
      rlSets: o.rlSet as string[],
      budget: o.budget as number,
      sftShare: o.sftShare as number,
      root: o.root as string,
      evalProblems: o.evalProblems as number,
      samples: o.samples as number,
    });
  },
};
