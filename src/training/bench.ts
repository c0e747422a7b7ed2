/**
 * The training benchmark behind `rlmkit bench train`: a short SFT run (supervised train tokens/s)
 * and a short GRPO run on Game of 24 (rollout tokens/s on the onnxruntime sampler, train tokens/s
 * of the policy update, and the share of step time in rollout, scoring and training), in a
 * temporary run directory. The first step of each run is left out of the averages (jit compile).
 * Without a checkpoint the policy is the SFT of a few steps from random weights: speeds do not
 * depend on the weights much, but response lengths do (a random model often runs to the limit).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readText, validateConfig } from '../core/index.js';
import { parameterCount } from '../engine/index.js';
import { loadCheckpoint } from '../engine/index.js';
import { mean } from './common.js';
import { trainRl, trainSft } from './pipeline.js';
import { RecipeSchema } from './recipe.js';

export interface TrainBenchOptions {
  preset: 'tiny' | 'small' | 'reference';
  /** A policy checkpoint to start the RL run from (skips nothing: SFT is still measured). */
  checkpoint?: string;
  sftSteps: number;
  rlSteps: number;
  prompts: number;
  group: number;
  maxNewTokens: number;
  backend: 'onnx' | 'jax';
  seed: number;
}

export async function benchTraining(o: TrainBenchOptions): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-bench-train-'));
  try {
    const base = {
      kind: 'train',
      run: { root, seed: o.seed },
      task: { name: 'game24', split: 'train' },
      log_every: 1,
      checkpoint_every: 1000,
    };
    const sftRecipe = validateConfig(
      RecipeSchema,
      {
        ...base,
        pipeline: 'sft',
        run: { ...base.run, name: 'sft' },
        model: { preset: o.preset },
        sft: { steps: o.sftSteps, batch_size: 32 },
      },
      'bench',
    );
    const t0 = performance.now();
    const sft = await trainSft(sftRecipe, { progress: 'silent' });
    const sftSeconds = (performance.now() - t0) / 1000;
    const sftRows = readMetrics(path.join(root, 'sft', 'metrics.jsonl')).filter((r) => (r.step as number) > 1);
    const init = o.checkpoint ?? sft.checkpoints.policy;
    const rlRecipe = validateConfig(
      RecipeSchema,
      {
        ...base,
        pipeline: 'rl',
        run: { ...base.run, name: 'rl' },
        model: { init },
        rl: {
          steps: o.rlSteps,
          prompts_per_step: o.prompts,
          group_size: o.group,
          advantage: 'grpo',
          dynamic_sampling: false,
          clip: { low: 0.2, high: 0.28 },
          kl_loss: { estimator: 'k3', coef: 0.001 },
          eval_problems: 0,
          rollout: { backend: o.backend, temperature: 1, max_new_tokens: o.maxNewTokens },
        },
      },
      'bench',
    );
    const t1 = performance.now();
    await trainRl(rlRecipe, { progress: 'silent' });
    const rlSeconds = (performance.now() - t1) / 1000;
    const rows = readMetrics(path.join(root, 'rl', 'metrics.jsonl')).filter((r) => (r.step as number) > 1);
    const num = (k: string) => rows.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
    const rollout = mean(num('time_rollout_s'));
    const scoring = mean(num('time_scoring_s'));
    const training = mean(num('time_training_s'));
    const step = rollout + scoring + training;
    const ck = loadCheckpoint(init);
    return {
      task: 'game24',
      model: {
        preset: o.checkpoint ? 'checkpoint' : o.preset,
        parameters: parameterCount(ck.config),
        d_model: ck.config.dModel,
        layers: ck.config.nLayers,
      },
      rollout_backend: o.backend,
      rl: {
        steps_measured: rows.length,
        samples_per_step: o.prompts * o.group,
        mean_response_tokens: mean(num('response_length')),
        rollout_tokens_per_s: sumOf(num('rollout_tokens')) / Math.max(1e-9, sumOf(num('time_rollout_s'))),
        train_tokens_per_s: sumOf(num('train_tokens')) / Math.max(1e-9, sumOf(num('time_training_s'))),
        step_s: step,
        share_rollout: rollout / step,
        share_scoring: scoring / step,
        share_training: training / step,
        wall_s: rlSeconds,
      },
      sft: {
        steps_measured: sftRows.length,
        train_tokens_per_s:
          sumOf(sftRows.map((r) => r.train_tokens as number)) / Math.max(1e-9, sumOf(sftRows.map((r) => r.time_training_s as number))),
        wall_s: sftSeconds,
      },
      note: 'timings on a shared machine are noisy; the first step of each run (jit compile) is excluded',
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function sumOf(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function readMetrics(file: string): Record<string, unknown>[] {
  return readText(file)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
