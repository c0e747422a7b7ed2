/**
 * `rlmkit bench train [--json]`: rollout tokens/s, train tokens/s, and the share of RL step time in
 * rollout, scoring and training (src/training/bench.ts).
 */
import { Option, type Command } from 'commander';
import { benchTraining } from '../../training/bench.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

export const trainBench: BenchModule = {
  name: 'train',
  summary: 'training speed: rollout and train tokens/s, step time split (rollout / scoring / training)',
  configure(cmd: Command) {
    cmd
      .addOption(new Option('--preset <name>', 'model preset').choices(['tiny', 'small', 'reference']).default('reference'))
      .option('--checkpoint <file>', 'policy checkpoint for the RL run (default: a few SFT steps from random weights)')
      .option('--sft-steps <n>', 'SFT steps (the first is not measured)', intOption(2), 6)
      .option('--rl-steps <n>', 'GRPO steps (the first is not measured)', intOption(2), 5)
      .option('--prompts <n>', 'prompts per RL step', intOption(1), 16)
      .option('--group <n>', 'samples per prompt', intOption(2), 8)
      .option('--max-new-tokens <n>', 'longest response', intOption(1), 48)
      .addOption(new Option('--backend <name>', 'rollout sampler').choices(['onnx', 'jax']).default('onnx'))
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(o) {
    return benchTraining({
      preset: o.preset as 'tiny' | 'small' | 'reference',
      checkpoint: o.checkpoint as string | undefined,
      sftSteps: o.sftSteps as number,
      rlSteps: o.rlSteps as number,
      prompts: o.prompts as number,
      group: o.group as number,
      maxNewTokens: o.maxNewTokens as number,
      backend: o.backend as 'onnx' | 'jax',
      seed: o.seed as number,
    });
  },
  format(r) {
    const rl = r.rl as Record<string, number>;
    const sft = r.sft as Record<string, number>;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    return [
      `model: ${JSON.stringify(r.model)}  rollout backend: ${r.rollout_backend}`,
      `RL (GRPO, ${rl.samples_per_step} samples/step, ${rl.steps_measured} steps measured): rollout ${rl.rollout_tokens_per_s.toFixed(0)} tok/s, train ${rl.train_tokens_per_s.toFixed(0)} tok/s, step ${rl.step_s.toFixed(2)} s`,
      `  time split: rollout ${pct(rl.share_rollout)}, scoring ${pct(rl.share_scoring)}, training ${pct(rl.share_training)}`,
      `SFT: train ${sft.train_tokens_per_s.toFixed(0)} tok/s`,
      String(r.note),
    ].join('\n');
  },
};
