/** `rlmkit bench engine`: training and sampling speed of the embedded engine (src/engine/bench.ts). */
import type { Command } from 'commander';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

export const engineBench: BenchModule = {
  name: 'engine',
  summary: 'embedded engine on the reference model: train and sample tokens/s (jax-js, onnx), log-prob parity, peak RSS',
  configure(cmd: Command) {
    cmd
      .option('--train-steps <n>', 'timed training steps', intOption(1, 1000), 10)
      .option('--sample-rounds <n>', 'timed sampling rounds per engine', intOption(1, 100), 3)
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(opts) {
    const { runEngineBench } = await import('../../engine/bench.js');
    return runEngineBench({
      trainSteps: opts.trainSteps as number,
      sampleRounds: opts.sampleRounds as number,
      seed: opts.seed as number,
      log: (m) => process.stderr.write(`bench engine: ${m}\n`),
    });
  },
};
