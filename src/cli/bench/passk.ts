/**
 * `rlmkit bench passk --policies sft=A.safetensors,rl=B.safetensors [--n 256]`: pass@k curves
 * k = 1 ... n of each policy on the same problems, written as passk.json and passk.svg
 * (src/training/passk-bench.ts).
 */
import type { Command } from 'commander';
import { usageError } from '../../core/index.js';
import { benchPassk } from '../../training/passk-bench.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

function policies(v: string): { label: string; checkpoint: string }[] {
  return v
    .split(',')
    .filter((s) => s.trim())
    .map((s) => {
      const at = s.indexOf('=');
      if (at <= 0 || at === s.length - 1)
        throw usageError(`--policies: "${s}" is not label=checkpoint`, 'e.g. --policies sft=a.safetensors,rl=b.safetensors');
      return { label: s.slice(0, at).trim(), checkpoint: s.slice(at + 1).trim() };
    });
}

export const passkBench: BenchModule = {
  name: 'passk',
  summary: 'pass@k curves k = 1 ... n (unbiased estimator) of several policies on the same problems, with an SVG plot',
  configure(cmd: Command) {
    cmd
      .requiredOption('--policies <list>', 'label=checkpoint pairs, comma-separated')
      .option('--task <name>', 'task', 'game24')
      .option('--split <name>', 'split', 'test')
      .option('--limit <n>', 'first n problems', intOption(1), 100)
      .option('--n <samples>', 'samples per problem (the largest k)', intOption(1, 4096), 256)
      .option('--max-new-tokens <n>', 'longest response', intOption(1), 64)
      .option('--seed <n>', 'sampling seed', intOption(0), 0)
      .option('--out <dir>', 'where passk.json and passk.svg go', 'runs/passk');
  },
  async run(o) {
    return benchPassk({
      task: o.task as string,
      split: o.split as string,
      limit: o.limit as number,
      policies: policies(o.policies as string),
      n: o.n as number,
      maxNewTokens: o.maxNewTokens as number,
      seed: o.seed as number,
      out: o.out as string,
    });
  },
};
