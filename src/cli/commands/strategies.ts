/** `rlmkit strategies [name]`: the reasoning strategies and their settings with defaults. */
import type { Command } from 'commander';
import { describeSettings, getStrategy, strategies } from '../../reasoning/strategies/index.js';
import type { CommandModule } from '../registry.js';

export const strategiesCommand: CommandModule = {
  name: 'strategies',
  summary: 'list the reasoning strategies and their settings (use with rlmkit solve --strategy/--set)',
  register(program: Command) {
    program
      .command('strategies [name]')
      .description("list reasoning strategies, or one strategy's settings and defaults")
      .option('--json', 'print JSON')
      .action((name: string | undefined, o: { json?: boolean }) => {
        const list = name ? [getStrategy(name)] : [...strategies];
        const rows = list.map((s) => ({ name: s.name, structure: s.structure, summary: s.summary, settings: describeSettings(s) }));
        if (o.json) {
          process.stdout.write(JSON.stringify(name ? rows[0] : rows) + '\n');
          return;
        }
        const out: string[] = [];
        for (const r of rows) {
          out.push(`${r.name.padEnd(17)} ${r.summary} [${r.structure}]`);
          if (name || list.length === 1) {
            for (const s of r.settings) out.push(`  ${s.name.padEnd(16)} ${s.type.padEnd(34)} default ${JSON.stringify(s.default)}`);
          }
        }
        if (!name)
          out.push(
            '\nrun `rlmkit strategies <name>` for its settings; set them by these (snake_case) names: `rlmkit solve --set max_depth=8`.',
          );
        process.stdout.write(out.join('\n') + '\n');
      });
  },
};
