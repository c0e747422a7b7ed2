/**
 * `rlmkit bench passk`: pass@k curves, k = 1 ... n, of several policies on the same problems, for
 * the question of Yue et al. 2025 ("Does Reinforcement Learning Really Incentivize Reasoning
 * Capacity in LLMs Beyond the Base Model?"): does RL raise pass@k only at small k, with the SFT
 * policy catching up or overtaking at large k?
 *
 * Each policy samples n completions per problem at T = 1 with the batched rollout sampler (the
 * sampler RL trains with), the verifier counts the correct ones, and every k's point is the mean
 * of the unbiased estimator (src/eval/passk-plot.ts). `rlmkit eval --k ... --n 256 --curve` gives
 * the same estimator through a reasoning strategy (slower: one strategy call per sample).
 */
import * as path from 'node:path';
import { usageError, writeFileAtomic, writeJsonAtomic } from '../core/index.js';
import { initEngine, loadCheckpoint, tokenizerFromSpec } from '../engine/index.js';
import { type CurveSeries, crossover, passAtKCurve, passAtKSvg, powersOfTwoUpTo } from '../eval/passk-plot.js';
import { getTask } from '../tasks/registry.js';
import { scoreProblems } from './ablation.js';
import type { LoadedModel } from './models.js';
import { resolveReward } from './rewards.js';

export interface PasskBenchOptions {
  task: string;
  split: string;
  limit: number;
  /** label=checkpoint pairs. */
  policies: { label: string; checkpoint: string }[];
  n: number;
  maxNewTokens: number;
  seed: number;
  /** Folder for passk.json and passk.svg. */
  out: string;
}

export async function benchPassk(o: PasskBenchOptions): Promise<Record<string, unknown>> {
  if (o.policies.length === 0)
    throw usageError('no policies given', 'e.g. --policies sft=checkpoints/game24-sft/policy.safetensors,rl=runs/x/...');
  await initEngine();
  const task = getTask(o.task);
  const problems = (await task.problems({ split: o.split })).slice(0, o.limit);
  if (problems.length === 0)
    throw usageError(`task ${task.name} has no problems in split "${o.split}"`, `choose one of: ${task.splits.join(', ')}`);
  const ks = powersOfTwoUpTo(o.n);
  const verifier = resolveReward('verifier', task);
  const series: CurveSeries[] = [];
  const perPolicy: Record<string, unknown> = {};
  for (const p of o.policies) {
    const ck = loadCheckpoint(p.checkpoint);
    const m: LoadedModel = { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: p.checkpoint };
    const t0 = performance.now();
    const counts = await scoreProblems(ck.weights, m, task, problems, verifier, {
      maxNewTokens: o.maxNewTokens,
      temperature: 1,
      n: o.n,
      seed: o.seed,
    });
    const points = passAtKCurve(counts, ks);
    series.push({ label: p.label, points });
    perPolicy[p.label] = {
      checkpoint: p.checkpoint,
      wall_s: +((performance.now() - t0) / 1000).toFixed(1),
      pass_at_k: Object.fromEntries(points.map((x) => [x.k, +x.passAtK.toFixed(4)])),
      never_solved: counts.filter((c) => c.correct === 0).length,
    };
  }
  const result = {
    task: task.name,
    split: o.split,
    problems: problems.length,
    samples_per_problem: o.n,
    temperature: 1,
    seed: o.seed,
    policies: perPolicy,
    crossover_k: series.length === 2 ? crossover(series[0].points, series[1].points) : null,
  };
  writeJsonAtomic(path.join(o.out, 'passk.json'), result);
  writeFileAtomic(
    path.join(o.out, 'passk.svg'),
    passAtKSvg(series, { title: `pass@k on ${task.name}/${o.split} (${problems.length} problems, n = ${o.n}, T = 1)` }),
  );
  return result;
}
