/**
 * `rlmkit data export`: traces -> datasets (SFT chains, preference pairs, PBS step labels, TBS
 * operator traces as JSONL; prompts as Parquet in verl's layout). See src/data/README.md.
 */
import { Command, Option } from 'commander';
import { logger } from '../../core/index.js';
import { ExportFormats, type ExportFormat, exportDataset } from '../../data/index.js';
import { intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

export const dataCommand: CommandModule = {
  name: 'data',
  summary: 'export search traces as training datasets (SFT, pairs, PBS, TBS, verl Parquet)',
  register(program: Command) {
    const data = program.command('data').description('dataset tools');
    data
      .command('export')
      .description('convert traces into a dataset file')
      .requiredOption('--traces <path>', 'a trace .json file, a .jsonl of traces, or a folder of them (e.g. runs/<name>/traces)')
      .addOption(new Option('--format <format>', 'what to write').choices([...ExportFormats]).makeOptionMandatory())
      .requiredOption('--out <file>', 'output file (.jsonl, or .parquet for verl-parquet)')
      .option('--max-per-problem <n>', 'sft/pairs: at most n records per problem', intOption(1))
      .option('--min-visits <n>', 'pbs: skip nodes visited fewer than n times', intOption(0))
      .addOption(new Option('--pair-level <level>', 'pairs: which pairs to mine').choices(['solution', 'step', 'both']).default('both'))
      .option('--split <name>', 'verl-parquet: split name written in extra_info', 'train')
      .action((opts: { traces: string; format: ExportFormat; out: string; maxPerProblem?: number; minVisits?: number; pairLevel: string; split: string }) => {
        const result = exportDataset({
          traces: opts.traces,
          format: opts.format,
          out: opts.out,
          maxPerProblem: opts.maxPerProblem,
          minVisits: opts.minVisits,
          pairLevels: opts.pairLevel === 'both' ? ['solution', 'step'] : [opts.pairLevel as 'solution' | 'step'],
          split: opts.split,
        });
        logger.info(`wrote ${result.records} ${result.format} records from ${result.traces} traces`, { out: result.out });
        if (result.records === 0) logger.warn('no records: the traces hold no example of this kind (e.g. no correct terminal node for sft)');
      });
  },
};
