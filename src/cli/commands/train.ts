/**
 * `rlmkit train --config recipes/<name>.yaml [--set k=v] [--run name] [--resume]`: runs a training
 * recipe (src/training/recipe.ts) in runs/<name>/. Conflicting recipe options fail here, before any
 * work, with a message naming the conflict.
 */
import type { Command } from 'commander';
import { loadConfig, logger, usageError } from '../../core/index.js';
import { RecipeSchema } from '../../training/recipe.js';
import { runRecipe } from '../../training/pipeline.js';
import { collect, intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

interface TrainOptions {
  config: string;
  set: string[];
  run?: string;
  resume?: boolean;
  overwrite?: boolean;
  quiet?: boolean;
  queue?: string;
  queueName?: string;
  chunk: number;
}

export const trainCommand: CommandModule = {
  name: 'train',
  summary: 'train models from a recipe: SFT, GRPO/PPO, DPO, ReST, value/PRM and reward models, RLMT, the x1 two-phase recipe',
  register(program: Command) {
    program
      .command('train')
      .description('run a training recipe (see recipes/) in runs/<name>/')
      .requiredOption('--config <file>', 'recipe YAML, e.g. recipes/countdown-grpo.yaml')
      .option('--set <key=value>', 'override a recipe value (repeatable), e.g. --set rl.steps=20', collect, [])
      .option('--run <name>', 'run directory name under the runs root (default: the recipe run.name)')
      .option('--resume', 'continue the run from its last checkpoint')
      .option('--overwrite', 'move an existing run aside and start over')
      .option('--quiet', 'no progress display')
      .option('--queue <url>', 'pipeline async-rl: send the rollouts to `rlmkit worker` processes on this Redis (BullMQ)')
      .option('--queue-name <name>', 'with --queue: the queue name the workers serve (default rlmkit)')
      .option('--chunk <n>', 'with --queue: prompts per rollout job (a batch is split over the workers)', intOption(1), 16)
      .action(async (opts: TrainOptions) => {
        const recipe = loadConfig(RecipeSchema, opts.config, opts.set);
        const runOptions = {
          name: opts.run,
          resume: opts.resume,
          overwrite: opts.overwrite,
          progress: opts.quiet ? ('silent' as const) : undefined,
        };
        if (opts.queue !== undefined) {
          if (recipe.pipeline !== 'async-rl')
            throw usageError(
              `--queue sends the rollouts of pipeline async-rl, but the recipe's pipeline is ${recipe.pipeline}`,
              'use pipeline: async-rl (e.g. recipes/game24-async-grpo.yaml) or drop --queue',
            );
          (await import('../../distributed/connection.js')).checkRedisUrl(opts.queue, '--queue');
        }
        const queued = async (url: string) => {
          const { withQueueEngine } = await import('../../distributed/rl-rollout.js');
          const { trainAsyncRl } = await import('../../training/async/pipeline.js');
          return withQueueEngine(url, { chunk: opts.chunk, name: opts.queueName }, (engine) => trainAsyncRl(recipe, runOptions, engine));
        };
        const result = opts.queue ? await queued(opts.queue) : await runRecipe(recipe, runOptions);
        logger.info(`training finished: ${result.pipeline}`, { run: result.run, ...result.checkpoints });
        process.stdout.write(JSON.stringify(result) + '\n');
      });
  },
};
