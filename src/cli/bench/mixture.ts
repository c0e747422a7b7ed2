/**
 * `rlmkit bench mixture --config recipes/game24-countdown-mixture.yaml [--set k=v ...]`: MoDoMoDo's
 * mixture search (src/training/mixture-search.ts): one short RL run per candidate mixture of the
 * recipe's rl.mixture tasks, the quadratic outcome model fitted to their held-out accuracy, and the
 * mixture it predicts best.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../core/index.js';
import { runMixtureSearch } from '../../training/mixture-search.js';
import { RecipeSchema } from '../../training/recipe.js';
import { collect, intOption } from '../options.js';
import type { BenchModule } from './types.js';

export const mixtureBench: BenchModule = {
  name: 'mixture',
  summary: 'MoDoMoDo mixture search: short RL runs at candidate task mixtures, a fitted outcome model, the predicted best mixture',
  configure(cmd: Command) {
    cmd
      .requiredOption('--config <recipe>', 'an rl recipe with rl.mixture.tasks (e.g. recipes/game24-countdown-mixture.yaml)')
      .option('--set <key=value>', 'recipe override (repeatable), e.g. --set rl.steps=10', collect, [])
      .option('--resolution <n>', 'simplex grid resolution of the search over the fitted model', intOption(1, 1000), 20)
      .option('--root <dir>', 'folder for the candidate runs (default: the recipe run.root)');
  },
  async run(o) {
    const recipe = loadConfig(RecipeSchema, o.config as string, o.set as string[]);
    const r = await runMixtureSearch(recipe, { resolution: o.resolution as number, root: o.root as string | undefined, progress: 'log' });
    return r as unknown as Record<string, unknown>;
  },
};
