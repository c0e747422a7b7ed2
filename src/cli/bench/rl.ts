/**
 * `rlmkit bench rl [--json]`: synchronous vs asynchronous (AReaL-style) GRPO on the same samples:
 * wall time, throughput, staleness and held-out accuracy with a paired CI (src/training/async/bench.ts).
 */
import type { Command } from 'commander';
import { type RlBenchTask, RlBenchTasks, benchRl } from '../../training/async/bench.js';
import { resolveCheckpoint } from '../../training/models.js';
import { usageError } from '../../core/errors.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';
import { shippedCheckpoint } from '../../models/shipped.js';

/** Per task: the starting policy, and the sizes of its RL recipe (Countdown: recipes/countdown-grpo.yaml's answers). */
const TASK_DEFAULTS: Record<RlBenchTask, { checkpoint: () => string; prompts: number; maxNewTokens: number }> = {
  countdown: { checkpoint: () => 'runs/countdown-sft', prompts: 32, maxNewTokens: 80 },
  game24: { checkpoint: () => shippedCheckpoint('game24-sft'), prompts: 16, maxNewTokens: 64 },
};

export const rlBench: BenchModule = {
  name: 'rl',
  summary: 'sync vs async (AReaL-style) GRPO at the same samples: wall, throughput, staleness, held-out accuracy with a paired CI',
  configure(cmd: Command) {
    cmd
      .option('--task <name>', `${RlBenchTasks.join(' or ')}`, 'countdown')
      .option(
        '--checkpoint <file>',
        'starting policy: a .safetensors file or a finished run (default: countdown runs/countdown-sft, the run of recipes/countdown-sft.yaml; game24 the committed SFT policy)',
      )
      .option('--steps <n>', 'RL steps per arm', intOption(1), 20)
      .option('--prompts <n>', 'prompts per step (default: countdown 32, game24 16)', intOption(1))
      .option('--group <n>', 'samples per prompt', intOption(2), 8)
      .option('--staleness <n>', 'eta of the async arm: most policy versions between generation and use', intOption(1), 1)
      .option(
        '--segment-tokens <n>',
        'async generation segment, weights may change between segments (default: --max-new-tokens)',
        intOption(1),
      )
      .option('--max-new-tokens <n>', 'longest response (default: countdown 80, game24 64)', intOption(1))
      .option('--loss <name>', 'policy loss of both arms: decoupled, tis or mis', 'decoupled')
      .option(
        '--proximal <mode>',
        'pi_prox of the loss: current (the trainer forward itself, no extra forward) or recompute (an extra forward)',
        'current',
      )
      .option('--seed <n>', 'seed', intOption(0), 0)
      .option('--repeats <n>', 'interleaved rounds of (sync, async); medians are reported', intOption(1), 3)
      .option('--rollout-threads <n>', 'async arm: onnxruntime threads of the rollout thread (a number or auto)', '1')
      .option(
        '--rollout-nice <n>',
        'async arm: scheduling priority of the rollout thread, 0..19 (higher yields to the trainer)',
        intOption(0, 19),
        0,
      )
      .option('--trainer-workers <n>', 'async arm: trainer threads (a number or auto: one per core)', 'auto');
  },
  async run(o) {
    const task = o.task as string;
    if (!(RlBenchTasks as readonly string[]).includes(task)) throw usageError(`--task must be ${RlBenchTasks.join(' or ')}, got "${task}"`);
    const d = TASK_DEFAULTS[task as RlBenchTask];
    const loss = o.loss as string;
    if (!['decoupled', 'tis', 'mis'].includes(loss)) throw usageError(`--loss must be decoupled, tis or mis, got "${loss}"`);
    const proximal = o.proximal as string;
    if (proximal !== 'current' && proximal !== 'recompute') throw usageError(`--proximal must be current or recompute, got "${proximal}"`);
    const maxNewTokens = (o.maxNewTokens as number | undefined) ?? d.maxNewTokens;
    const rolloutThreads = threadsOption(o.rolloutThreads as string, '--rollout-threads');
    const trainerWorkers = threadsOption(o.trainerWorkers as string, '--trainer-workers');
    return benchRl({
      task: task as RlBenchTask,
      checkpoint: startingPolicy(o.checkpoint as string | undefined, d.checkpoint(), task),
      steps: o.steps as number,
      prompts: (o.prompts as number | undefined) ?? d.prompts,
      group: o.group as number,
      staleness: o.staleness as number,
      segmentTokens: (o.segmentTokens as number | undefined) ?? maxNewTokens,
      maxNewTokens,
      seed: o.seed as number,
      repeats: o.repeats as number,
      rolloutThreads,
      rolloutNice: o.rolloutNice as number,
      trainerWorkers,
      proximal,
      loss: loss as 'decoupled' | 'tis' | 'mis',
      onArm: (a) => process.stderr.write(`bench rl: ${JSON.stringify(a)}\n`),
    });
  },
};

function startingPolicy(given: string | undefined, fallback: string, task: string): string {
  if (given !== undefined) return resolveCheckpoint(given);
  try {
    return resolveCheckpoint(fallback);
  } catch {
    throw usageError(
      `bench rl --task ${task}: no starting policy at ${fallback}`,
      'train it with `rlmkit train --config recipes/countdown-sft.yaml`, or pass --checkpoint FILE_OR_RUN',
    );
  }
}

function threadsOption(v: string, flag: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`${flag} must be "auto" or a whole number in 1..64, got "${v}"`);
  return n;
}
