/**
 * `rlmkit bench rlot [--json]`: RL of Thoughts (Hao et al. 2025; src/reasoning/navigator). Trains
 * the 229-parameter navigator with REINFORCE on generated Game of 24 puzzles (none of them a test
 * puzzle) with a fixed policy (default: the shipped Game of 24 SFT policy), then runs the navigator
 * and every fixed block on the held-out Tree-of-Thoughts test split at the same completion-token
 * budget and seeds, with the paired difference to each fixed arm (bootstrap over puzzles), and the
 * same comparison on a second task (default: Countdown) with the navigator unchanged (transfer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/fs.js';
import { usageError } from '../../core/errors.js';
import { bootstrapMean } from '../../eval/stats.js';
import { Scheduler } from '../../models/scheduler.js';
import { loadPolicy } from '../../models/spec.js';
import { type ArmResult, evalArms, standardArms, trainNavigator } from '../../reasoning/navigator/train.js';
import { getTask } from '../../tasks/registry.js';
import type { Problem } from '../../tasks/types.js';
import { floatOption, intOption } from '../options.js';
import type { BenchModule } from './types.js';

const committed = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../checkpoints/game24-sft/policy.safetensors');

function paired(a: ArmResult, b: ArmResult, seed: number) {
  const base = new Map(b.perProblem.map((p) => [p.problemId, p.correct / p.n]));
  const diffs = a.perProblem.filter((p) => base.has(p.problemId)).map((p) => p.correct / p.n - base.get(p.problemId)!);
  return {
    difference: bootstrapMean(diffs, { seed, resamples: 10_000 }),
    better: diffs.filter((d) => d > 0).length,
    worse: diffs.filter((d) => d < 0).length,
  };
}

function report(arms: Record<string, ArmResult>, seed: number) {
  const fixed = Object.keys(arms).filter((k) => k !== 'navigator');
  const best = fixed.reduce((a, k) => (arms[k].solveRate > arms[a].solveRate ? k : a), fixed[0]);
  return {
    arms: Object.fromEntries(
      Object.entries(arms).map(([k, v]) => [k, { solveRate: v.solveRate, completionTokensPerProblem: v.completionTokensPerProblem }]),
    ),
    bestFixed: best,
    navigatorMinus: Object.fromEntries(fixed.map((k) => [k, paired(arms.navigator, arms[k], seed)])),
  };
}

export const rlotBench: BenchModule = {
  name: 'rlot',
  summary:
    'RL of Thoughts: a 229-parameter navigator trained by REINFORCE vs every fixed logic block at the same token budget (Game of 24, transfer to Countdown)',
  configure(cmd: Command) {
    cmd
      .option('--model <spec>', 'the policy (default: the shipped Game of 24 SFT policy)')
      .option('--episodes <n>', 'training episodes', intOption(0), 640)
      .option('--batch <n>', 'episodes per REINFORCE step', intOption(1), 32)
      .option('--lr <x>', 'navigator learning rate', floatOption(0), 0.1)
      .option('--budget <n>', 'completion tokens per problem', intOption(32), 240)
      .option('--seeds <n>', 'evaluation runs per problem', intOption(1, 64), 2)
      .option('--limit <n>', 'held-out problems per task', intOption(1), 100)
      .option('--transfer <task>', 'second task for transfer ("none" to skip)', 'countdown')
      .option('--navigator <file>', 'evaluate these weights instead of training')
      .option('--out <file>', 'write the trained navigator weights here')
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(o) {
    const spec = typeof o.model === 'string' ? o.model : `embedded:${committed}`;
    const inner = await loadPolicy(spec);
    const policy = new Scheduler(inner, { maxWaitMs: 2 });
    const seed = o.seed as number;
    const budgetTokens = o.budget as number;
    try {
      const task = getTask('game24');
      const test = await task.problems({ split: 'test', limit: o.limit as number });
      const key = (p: Problem) => [...(p.data as { numbers: number[] }).numbers].sort((a, b) => a - b).join(' ');
      const held = new Set(test.map(key));
      const train = (await task.problems({ split: 'generated', limit: 4000, seed: 7 })).filter((p) => !held.has(key(p)));
      const t0 = performance.now();
      let navigator;
      let curve: Array<{ episodes: number; solveRate: number }> = [];
      if (typeof o.navigator === 'string') {
        const { loadNavigator } = await import('../../reasoning/navigator/strategy.js');
        navigator = loadNavigator(o.navigator);
      } else {
        if ((o.episodes as number) < 1) throw usageError('--episodes must be at least 1 when no --navigator is given');
        const trained = await trainNavigator({
          task,
          policy,
          problems: train,
          budgetTokens,
          episodes: o.episodes as number,
          batch: o.batch as number,
          lr: o.lr as number,
          seed,
          onStep: (s) =>
            process.stderr.write(
              `rlot train: ${s.episodes} episodes, solved ${(100 * s.solveRate).toFixed(0)}%, baseline ${s.baseline.toFixed(2)}, blocks ${JSON.stringify(
                Object.fromEntries(Object.entries(s.blockShares).map(([k, v]) => [k, +v.toFixed(2)])),
              )}\n`,
            ),
        });
        navigator = trained.navigator;
        curve = trained.curve;
        if (typeof o.out === 'string') {
          fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
          writeFileAtomic(o.out, `${JSON.stringify(navigator.toJSON())}\n`);
        }
      }
      const trainMs = performance.now() - t0;
      const arms = standardArms(navigator);
      const common = { task, policy, budgetTokens, seeds: o.seeds as number };
      const t1 = performance.now();
      const main = await evalArms(arms, test, common);
      const result: Record<string, unknown> = {
        policy: spec,
        navigator: { parameters: navigator.size, blocks: navigator.blocks, trainedOn: 'game24 generated (test puzzles removed)' },
        budget: { completionTokens: budgetTokens, seeds: o.seeds, problems: test.length },
        train: { episodes: typeof o.navigator === 'string' ? 0 : o.episodes, ms: Math.round(trainMs), curve },
        game24: { split: 'test', ...report(main, seed) },
      };
      if (o.transfer !== 'none') {
        const t2 = getTask(String(o.transfer));
        const probs = await t2.problems({ split: 'test', limit: o.limit as number });
        result.transfer = { task: t2.name, split: 'test', ...report(await evalArms(arms, probs, { ...common, task: t2 }), seed) };
      }
      result.evalMs = Math.round(performance.now() - t1);
      return result;
    } finally {
      await inner.close?.();
    }
  },
};
