/**
 * `rlmkit data export`: traces -> datasets (SFT chains, preference pairs, PBS step labels, TBS
 * operator traces as JSONL; prompts as Parquet in verl's layout), or a task split's problems
 * straight to verl Parquet or to rows in the field's formats (`--format reasoning-gym`:
 * `{question, answer, metadata}`; `--format verifiers`: `{prompt, answer, info, task}`), which
 * `--task jsonl:FILE` reads back. See src/data/README.md.
 */
import { Command, Option } from 'commander';
import { logger, usageError } from '../../core/index.js';
import { ExportFormats, type ExportFormat, exportDataset, verlRowsFromProblems, writeVerlParquet } from '../../data/index.js';
import { writeRows } from '../../tasks/formats/rows.js';
import { resolveTask } from '../../training/tasks.js';
import { intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

/** Row formats of other ecosystems, written from a task split (not from traces). */
const RowFormats = ['reasoning-gym', 'verifiers'] as const;
type RowExportFormat = (typeof RowFormats)[number];
const isRowFormat = (f: string): f is RowExportFormat => (RowFormats as readonly string[]).includes(f);

interface ExportFlags {
  traces?: string;
  task?: string;
  format: ExportFormat | RowExportFormat;
  seed?: number;
  out: string;
  maxPerProblem?: number;
  minVisits?: number;
  pairLevel: string;
  split: string;
  limit?: number;
}

async function exportTaskPrompts(opts: ExportFlags): Promise<void> {
  if (opts.format !== 'verl-parquet' && !isRowFormat(opts.format))
    throw usageError(
      `--task exports problems only (--format verl-parquet, reasoning-gym or verifiers); ${opts.format} needs --traces`,
      'give --traces <dir> for sft, pairs, pbs and tbs',
    );
  const task = resolveTask(opts.task!);
  if (!task.splits.includes(opts.split))
    throw usageError(`task ${task.name} has no split "${opts.split}"`, `valid splits: ${task.splits.join(', ')}`);
  const problems = await task.problems({ split: opts.split, limit: opts.limit, seed: opts.seed });
  if (isRowFormat(opts.format)) {
    if (!/\.jsonl$/.test(opts.out)) throw usageError(`--format ${opts.format} writes JSONL: --out must end in .jsonl, got ${opts.out}`);
    const n = writeRows(opts.out, problems, task, opts.format);
    logger.info(`wrote ${n} ${opts.format} rows of ${task.name}/${opts.split}`, { out: opts.out });
    process.stdout.write(
      `${JSON.stringify({ event: 'exported', out: opts.out, rows: n, format: opts.format, task: task.name, split: opts.split })}\n`,
    );
    return;
  }
  const rows = verlRowsFromProblems(
    problems.map((p) => ({ task: task.name, problem: p, messages: task.renderChat(p) })),
    opts.split,
  );
  writeVerlParquet(opts.out, rows);
  logger.info(`wrote ${rows.length} verl prompts of ${task.name}/${opts.split}`, { out: opts.out });
}

export const dataCommand: CommandModule = {
  name: 'data',
  summary: 'export search traces as training datasets (SFT, pairs, PBS, TBS, verl Parquet)',
  register(program: Command) {
    const data = program.command('data').description('dataset tools');
    data
      .command('export')
      .description(
        "convert traces (or a task split's problems) into a dataset file: training data, verl Parquet, reasoning-gym or verifiers rows",
      )
      .option('--traces <path>', 'a trace .json file, a .jsonl of traces, or a folder of them (e.g. runs/<name>/traces)')
      .option('--task <name>', 'instead of traces: the problems of a task split (verl-parquet, reasoning-gym or verifiers)')
      .addOption(new Option('--format <format>', 'what to write').choices([...ExportFormats, ...RowFormats]).makeOptionMandatory())
      .requiredOption('--out <file>', 'output file (.jsonl, or .parquet for verl-parquet)')
      .option('--max-per-problem <n>', 'sft/pairs: at most n records per problem', intOption(1))
      .option('--min-visits <n>', 'pbs: skip nodes visited fewer than n times', intOption(0))
      .addOption(new Option('--pair-level <level>', 'pairs: which pairs to mine').choices(['solution', 'step', 'both']).default('both'))
      .option('--split <name>', 'with --task: the split to read; verl-parquet writes it in extra_info', 'train')
      .option('--limit <n>', 'with --task: at most n problems', intOption(1))
      .option('--seed <n>', 'with --task: the seed of generated tasks (default 0)', intOption(0))
      .action(async (opts: ExportFlags) => {
        if (!opts.traces === !opts.task)
          throw usageError(
            'give exactly one of --traces and --task',
            'rlmkit data export --traces runs/<run>/traces --format sft --out sft.jsonl',
          );
        if (opts.task) return exportTaskPrompts(opts);
        if (isRowFormat(opts.format))
          throw usageError(
            `--format ${opts.format} writes a task's problems: give --task <name>, not --traces`,
            `rlmkit data export --task word-sorting --format ${opts.format} --split test --out rows.jsonl`,
          );
        const result = exportDataset({
          traces: opts.traces!,
          format: opts.format as ExportFormat,
          out: opts.out,
          maxPerProblem: opts.maxPerProblem,
          minVisits: opts.minVisits,
          pairLevels: opts.pairLevel === 'both' ? ['solution', 'step'] : [opts.pairLevel as 'solution' | 'step'],
          split: opts.split,
        });
        logger.info(`wrote ${result.records} ${result.format} records from ${result.traces} traces`, { out: result.out });
        if (result.records === 0)
          logger.warn('no records: the traces hold no example of this kind (e.g. no correct terminal node for sft)');
      });
  },
};
