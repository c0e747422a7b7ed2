/** `rlmkit bench engine`: training and sampling speed of the embedded engine (src/engine/bench.ts). */
import type { Command } from 'commander';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

export const engineBench: BenchModule = {
  name: 'engine',
  summary:
    'embedded engine on the reference model: train tokens/s (onnx, jax-js, --peers: PyTorch, JAX) and sample tokens/s, log-prob parity, peak RSS',
  configure(cmd: Command) {
    cmd
      .option('--train-steps <n>', 'timed training steps per configuration and round', intOption(1, 1000), 10)
      .option('--train-rounds <n>', 'interleaved training rounds (medians reported)', intOption(1, 50), 3)
      .option(
        '--peers',
        'also train the same model with the PyTorch and JAX scripts of bench/peers/ in every round (python3 with torch and jax)',
        false,
      )
      .option('--sample-rounds <n>', 'timed sampling rounds per engine', intOption(1, 100), 3)
      .option(
        '--same-weights-rounds <n>',
        'rounds of the same-weights row (onnx vs llama.cpp on the shipped checkpoint, batch 1 and 32; 0 leaves it out)',
        intOption(0, 50),
        3,
      )
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(opts) {
    const { runEngineBench } = await import('../../engine/bench.js');
    const result = await runEngineBench({
      trainSteps: opts.trainSteps as number,
      trainRounds: opts.trainRounds as number,
      peers: opts.peers === true,
      sampleRounds: opts.sampleRounds as number,
      seed: opts.seed as number,
      log: (m) => process.stderr.write(`bench engine: ${m}\n`),
    });
    const rounds = opts.sameWeightsRounds as number;
    if (rounds > 0) {
      const { runSameWeights } = await import('./same-weights.js');
      result.same_weights = await runSameWeights({ rounds, log: (m) => process.stderr.write(`bench engine: ${m}\n`) });
    }
    return result;
  },
};
