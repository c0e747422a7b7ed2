/**
 * `rlmkit bench rl [--json]`: synchronous vs asynchronous (AReaL-style) GRPO on the same samples:
 * wall time, throughput, staleness and held-out accuracy with a paired CI (src/training/async/bench.ts).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { benchRl } from '../../training/async/bench.js';
import { usageError } from '../../core/errors.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

const committed = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../checkpoints/game24-sft/policy.safetensors');

export const rlBench: BenchModule = {
  name: 'rl',
  summary: 'sync vs async (AReaL-style) GRPO at the same samples: wall, throughput, staleness, held-out accuracy with a paired CI',
  configure(cmd: Command) {
    cmd
      .option('--checkpoint <file>', 'starting policy (default: the committed Game of 24 SFT policy)', committed)
      .option('--steps <n>', 'RL steps per arm', intOption(1), 20)
      .option('--prompts <n>', 'prompts per step', intOption(1), 16)
      .option('--group <n>', 'samples per prompt', intOption(2), 8)
      .option('--staleness <n>', 'eta of the async arm: most policy versions between generation and use', intOption(1), 1)
      .option(
        '--segment-tokens <n>',
        'async generation segment, weights may change between segments (default: --max-new-tokens)',
        intOption(1),
      )
      .option('--max-new-tokens <n>', 'longest response', intOption(1), 64)
      .option('--seed <n>', 'seed', intOption(0), 0)
      .option('--repeats <n>', 'interleaved rounds of (sync, async); medians are reported', intOption(1), 3)
      .option('--rollout-threads <n>', 'async arm: onnxruntime threads of the rollout thread (a number or auto)', '1')
      .option(
        '--rollout-nice <n>',
        'async arm: scheduling priority of the rollout thread, 0..19 (higher yields to the trainer)',
        intOption(0, 19),
        0,
      );
  },
  async run(o) {
    return benchRl({
      checkpoint: o.checkpoint as string,
      steps: o.steps as number,
      prompts: o.prompts as number,
      group: o.group as number,
      staleness: o.staleness as number,
      segmentTokens: (o.segmentTokens as number | undefined) ?? (o.maxNewTokens as number),
      maxNewTokens: o.maxNewTokens as number,
      seed: o.seed as number,
      repeats: o.repeats as number,
      rolloutThreads: threadsOption(o.rolloutThreads as string),
      rolloutNice: o.rolloutNice as number,
      onArm: (a) => process.stderr.write(`bench rl: ${JSON.stringify(a)}\n`),
    });
  },
};

function threadsOption(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`--rollout-threads must be "auto" or a whole number in 1..64, got "${v}"`);
  return n;
}
