/**
 * `rlmkit demo`: the main job (src/cli/demo/pipeline.ts). Starts from the committed SFT checkpoint,
 * runs a short GRPO phase, trains a value model, and evaluates search strategies on the
 * Tree-of-Thoughts test split of Game of 24; writes runs/demo/summary.json and report.html.
 */
import type { Command } from 'commander';
import { loadConfig, readYamlFile, type RunMode } from '../../core/index.js';
import { DemoConfigSchema, QUICK_OVERRIDES } from '../demo/config.js';
import { runDemo } from '../demo/pipeline.js';
import { collect } from '../options.js';
import type { CommandModule } from '../registry.js';

export const demoCommand: CommandModule = {
  name: 'demo',
  summary: 'the main job: RL, a value model and search on Game of 24 from a committed tiny policy',
  register(program: Command) {
    program
      .command('demo')
      .description('run the main job end to end (about 10 minutes on 2 cores) and write runs/<run>/summary.json and report.html')
      .option('--config <file>', 'demo settings (kind: demo); defaults are in src/cli/demo/config.ts')
      .option('--set <key=value>', 'override a setting (repeatable), e.g. --set eval.limit=20', collect, [])
      .option('--run <name>', 'run directory name under runs/', undefined)
      .option('--quick', 'a smoke run of every stage (8 puzzles, a few training steps) in runs/demo-quick')
      .option('--resume', 'continue an existing demo run (the default when it exists with the same settings)')
      .option('--overwrite', 'move an existing run aside and start over')
      .action(async (opts: { config?: string; set: string[]; run?: string; quick?: boolean; resume?: boolean; overwrite?: boolean }) => {
        if (opts.config) readYamlFile(opts.config);
        // A quick run gets its own run directory, so it never blocks the full run (runs/demo) later.
        const runName = opts.run ?? (opts.quick ? 'demo-quick' : undefined);
        const sets = [...(opts.quick ? QUICK_OVERRIDES : []), ...(runName ? [`run.name=${runName}`] : []), ...opts.set];
        const cfg = loadConfig(DemoConfigSchema, opts.config, sets);
        const mode: RunMode = opts.overwrite ? 'overwrite' : opts.resume ? 'resume' : 'auto';
        await runDemo(cfg, { mode });
      });
  },
};
