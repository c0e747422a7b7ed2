/**
 * `rlmkit train --config recipes/<name>.yaml [--set k=v] [--run name] [--resume]`: runs a training
 * recipe (src/training/recipe.ts) in runs/<name>/. Conflicting recipe options fail here, before any
 * work, with a message naming the conflict.
 */
import type { Command } from 'commander';
import { loadConfig, logger } from '../../core/index.js';
import { RecipeSchema } from '../../training/recipe.js';
import { runRecipe } from '../../training/pipeline.js';
import { collect } from '../options.js';
import type { CommandModule } from '../registry.js';

export const trainCommand: CommandModule = {
  name: 'train',
  summary: 'train models from a recipe: SFT, GRPO/PPO, DPO, ReST, value/PRM models, the x1 two-phase recipe',
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
      .action(async (opts: { config: string; set: string[]; run?: string; resume?: boolean; overwrite?: boolean; quiet?: boolean }) => {
        const recipe = loadConfig(RecipeSchema, opts.config, opts.set);
        const result = await runRecipe(recipe, {
          name: opts.run,
          resume: opts.resume,
          overwrite: opts.overwrite,
          progress: opts.quiet ? 'silent' : undefined,
        });
        logger.info(`training finished: ${result.pipeline}`, { run: result.run, ...result.checkpoints });
        process.stdout.write(JSON.stringify(result) + '\n');
      });
  },
};
