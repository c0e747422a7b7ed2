/**
 * The cold-start comparison ("RL with Cold Start", Vision-R1 / DeepSeek-R1 practice: SFT on reasoning
 * traces first, then GRPO): three arms at one budget of optimiser steps B, from the same random
 * initialisation, on the same held-out problems:
 *   sft-only   B SFT steps
 *   rl-only    B GRPO steps straight from the random initialisation (the "zero" RL of R1-Zero)
 *   sft-grpo   round(share * B) SFT steps, then the rest as GRPO from that policy
 * Each final policy is scored greedy and sampled (T = 1) on the task's test split; sft-grpo is
 * compared with each other arm by the paired bootstrap over problems. Tokens and wall time are
 * reported too: an SFT step and an RL step cost different amounts, so "one budget" is stated in
 * optimiser steps and the costs are shown beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, usageError, writeJsonAtomic } from '../core/index.js';
import { initEngine, loadCheckpoint, saveCheckpoint, tokenizerFromSpec } from '../engine/index.js';
import { type PairedComparison, type ProblemAccuracy, pairedDifference } from '../eval/stats.js';
import { scoreProblems } from './ablation.js';
import { startingModel, type LoadedModel } from './models.js';
import { trainRl, trainSft } from './pipeline.js';
import { RecipeSchema } from './recipe.js';
import { readFinals } from './run.js';
import { resolveReward } from './rewards.js';
import { resolveTask, tokenizerForTask } from './tasks.js';

export interface ColdStartOptions {
  sftConfig: string;
  rlConfig: string;
  sftSets?: string[];
  rlSets?: string[];
  /** Optimiser steps per arm. */
  budget: number;
  /** Share of the budget the sft-grpo arm spends on SFT. */
  sftShare: number;
  root: string;
  evalProblems: number;
  samples: number;
  progress?: 'bar' | 'log' | 'silent';
}

interface ArmEval {
  greedy: ProblemAccuracy[];
  sampled: ProblemAccuracy[];
}

const acc = (xs: readonly ProblemAccuracy[]) =>
  xs.reduce((a, p) => a + p.correct, 0) /
  Math.max(
    1,
    xs.reduce((a, p) => a + p.n, 0),
  );

function sumMetric(runDir: string, key: string): number {
  const f = path.join(runDir, 'metrics.jsonl');
  if (!fs.existsSync(f)) return 0;
  let s = 0;
  for (const l of fs.readFileSync(f, 'utf8').split('\n'))
    if (l.trim()) {
      const v = (JSON.parse(l) as Record<string, unknown>)[key];
      if (typeof v === 'number') s += v;
    }
  return s;
}

export async function runColdStart(o: ColdStartOptions): Promise<Record<string, unknown>> {
  if (!(o.sftShare > 0 && o.sftShare < 1)) throw usageError(`--sft-share must lie strictly between 0 and 1, got ${o.sftShare}`, 'e.g. 0.5');
  const sftSteps = Math.round(o.budget * o.sftShare);
  if (sftSteps < 1 || sftSteps >= o.budget)
    throw usageError(`a budget of ${o.budget} steps leaves no room for both stages of sft-grpo`, 'raise --budget');
  const sft = loadConfig(RecipeSchema, o.sftConfig, o.sftSets ?? []);
  if (sft.pipeline !== 'sft')
    throw usageError(`${o.sftConfig} is a ${sft.pipeline} recipe, not sft`, 'pass an SFT recipe, e.g. recipes/game24-sft.yaml');
  if (sft.model.init)
    throw usageError(
      `${o.sftConfig} starts from model.init; the cold-start arms start from a random initialisation`,
      'use an SFT recipe with a preset',
    );
  await initEngine();
  const progress = o.progress ?? 'log';
  const task = resolveTask(sft.task.name);
  const problems = await task.problems({ split: sft.task.split, limit: sft.task.limit ?? undefined });
  // the random initialisation every arm starts from (trainSft builds the same from the same seed)
  const fresh = startingModel(sft.model, tokenizerForTask(task, problems, 300), sft.run.seed, { kind: 'policy' });
  const initFile = path.join(o.root, 'init', 'policy.safetensors');
  fs.mkdirSync(path.dirname(initFile), { recursive: true });
  saveCheckpoint(
    initFile,
    { kind: 'policy', config: fresh.config, tokenizer: fresh.tokenizer.spec(), step: 0, extra: { coldStart: true } },
    fresh.weights,
  );
  const rlRecipe = (init: string, steps: number) =>
    loadConfig(RecipeSchema, o.rlConfig, [
      ...(o.rlSets ?? []),
      `model.init=${init}`,
      `rl.steps=${steps}`,
      `task.name=${sft.task.name}`,
      `task.split=${sft.task.split}`,
    ]);
  const sftRecipe = (steps: number) => loadConfig(RecipeSchema, o.sftConfig, [...(o.sftSets ?? []), `sft.steps=${steps}`]);
  const runs: Record<string, { dirs: string[]; wall_s: number }> = {};
  const timed = async (arm: string, body: () => Promise<string[]>) => {
    const t0 = performance.now();
    const dirs = await body();
    runs[arm] = { dirs, wall_s: +((performance.now() - t0) / 1000).toFixed(1) };
  };
  await timed('sft-only', async () => [
    (await trainSft(sftRecipe(o.budget), { name: 'sft-only', root: o.root, overwrite: true, progress })).run,
  ]);
  await timed('rl-only', async () => [
    (await trainRl(rlRecipe(initFile, o.budget), { name: 'rl-only', root: o.root, overwrite: true, progress })).run,
  ]);
  await timed('sft-grpo', async () => {
    const a = await trainSft(sftRecipe(sftSteps), { name: 'sft-grpo-sft', root: o.root, overwrite: true, progress });
    const b = await trainRl(rlRecipe(a.run, o.budget - sftSteps), { name: 'sft-grpo-rl', root: o.root, overwrite: true, progress });
    return [a.run, b.run];
  });
  const test = task.splits.includes('test') ? await task.problems({ split: 'test', limit: o.evalProblems }) : [];
  if (!test.length) throw usageError(`task ${task.name} has no test split to evaluate on`, 'use a task with a test split');
  const verifier = resolveReward('verifier', task);
  const evals: Record<string, ArmEval> = {};
  const arms: Record<string, Record<string, unknown>> = {};
  for (const [arm, r] of Object.entries(runs)) {
    const last = r.dirs[r.dirs.length - 1];
    const file = path.resolve(path.join(last, 'checkpoints'), readFinals(path.join(last, 'checkpoints', 'final.json')).policy);
    const ck = loadCheckpoint(file);
    const m: LoadedModel = { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: file };
    const maxNewTokens = 64;
    evals[arm] = {
      greedy: await scoreProblems(ck.weights, m, task, test, verifier, { maxNewTokens, temperature: 0, n: 1, seed: 0 }),
      sampled: await scoreProblems(ck.weights, m, task, test, verifier, { maxNewTokens, temperature: 1, n: o.samples, seed: 1 }),
    };
    arms[arm] = {
      runs: r.dirs,
      wall_s: r.wall_s,
      sft_steps: arm === 'sft-only' ? o.budget : arm === 'rl-only' ? 0 : sftSteps,
      rl_steps: arm === 'sft-only' ? 0 : arm === 'rl-only' ? o.budget : o.budget - sftSteps,
      rl_rollout_tokens: r.dirs.reduce((s, d) => s + sumMetric(d, 'rollout_tokens'), 0),
      greedy_accuracy: acc(evals[arm].greedy),
      sampled_accuracy: acc(evals[arm].sampled),
    };
  }
  const vs = (a: string, b: string): { greedy: PairedComparison; sampled: PairedComparison } => ({
    greedy: pairedDifference(evals[b].greedy, evals[a].greedy, { seed: 0 }),
    sampled: pairedDifference(evals[b].sampled, evals[a].sampled, { seed: 0 }),
  });
  const result = {
    task: task.name,
    budget_steps: o.budget,
    sft_share: o.sftShare,
    test_problems: test.length,
    samples: o.samples,
    arms,
    sft_grpo_minus_sft_only: vs('sft-grpo', 'sft-only'),
    sft_grpo_minus_rl_only: vs('sft-grpo', 'rl-only'),
  };
  writeJsonAtomic(path.join(o.root, 'cold-start.json'), result);
  return result;
}
