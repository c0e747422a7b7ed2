import type { Command } from 'commander';
import { benchModules } from '../bench/index.js';
import type { CommandModule } from '../registry.js';

export const benchCommand: CommandModule = {
  name: 'bench',
  summary: 'speed and memory benchmarks, one JSON object each with --json',
  register(program: Command) {
    const bench = program.command('bench').description('run a benchmark (speed, memory); --json prints one JSON object');
    for (const mod of benchModules) {
      const cmd = bench.command(mod.name).description(mod.summary).option('--json', 'print one JSON object on stdout');
      mod.configure?.(cmd);
      cmd.action(async (opts: Record<string, unknown>) => {
        const result = await mod.run(opts);
        const text = opts.json ? JSON.stringify(result) : mod.format ? mod.format(result) : JSON.stringify(result, null, 2);
        process.stdout.write(text + '\n');
      });
    }
  },
};
