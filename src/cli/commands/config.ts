import type { Command } from 'commander';
import { RlmkitError, loadConfig, readYamlFile, toYaml } from '../../core/index.js';
import { configSchemas } from '../config-schemas.js';
import { collect } from '../options.js';
import type { CommandModule } from '../registry.js';

export const configCommand: CommandModule = {
  name: 'config',
  summary: 'print and check YAML configs (with --set overrides)',
  register(program: Command) {
    const config = program.command('config').description('inspect YAML configs');
    config
      .command('print')
      .description('validate a config file, apply --set overrides and print the resolved config')
      .argument('<file>', 'YAML config file')
      .option('--set <key=value>', 'override a value (repeatable), e.g. --set run.seed=3', collect, [])
      .option('--kind <kind>', `config kind when the file has no "kind:" key (${Object.keys(configSchemas).join(', ')})`)
      .action((file: string, opts: { set: string[]; kind?: string }) => {
        const raw = readYamlFile(file);
        const kind = opts.kind ?? (typeof raw.kind === 'string' ? raw.kind : 'base');
        const schema = configSchemas[kind];
        if (!schema) {
          throw new RlmkitError(`${file}: unknown config kind "${kind}"`, {
            kind: 'config',
            hint: `known kinds: ${Object.keys(configSchemas).join(', ')}`,
          });
        }
        const resolved = loadConfig(schema, file, opts.set);
        process.stdout.write(toYaml(resolved));
      });
  },
};
