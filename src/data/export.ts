/**
 * One entry point for every dataset format: `exportDataset` reads traces and writes the chosen
 * format. `rlmkit data export` calls it; so can the demo and the trainers.
 */
import type { ChatMessage } from '../models/types.js';
import type { Trace } from '../reasoning/trace.js';
import { toOperatorTraces, toPreferencePairs, toSftChains, toStepLabels } from './formats.js';
import { inputError, writeJsonlAtomic } from './io.js';
import { type VerlPromptRow, writeVerlParquet } from './parquet.js';
import { type LoadedTrace, loadTraces } from './traces.js';

export const ExportFormats = ['sft', 'pairs', 'pbs', 'tbs', 'verl-parquet'] as const;
export type ExportFormat = (typeof ExportFormats)[number];

export interface ExportOptions {
  /** A trace file, a JSONL of traces, or a folder of them. */
  traces: string;
  format: ExportFormat;
  out: string;
  /** sft/pairs: at most this many records per problem. */
  maxPerProblem?: number;
  /** pbs: skip nodes visited fewer times. */
  minVisits?: number;
  /** pairs: which levels to mine. */
  pairLevels?: ('solution' | 'step')[];
  /** verl-parquet: chat rendering of a problem (default: one user message with the question). */
  renderChat?: (trace: Trace) => ChatMessage[];
  /** verl-parquet: the `split` written in extra_info (default "train"). */
  split?: string;
}

export interface ExportResult {
  format: ExportFormat;
  out: string;
  traces: number;
  records: number;
}

/** Verl's `ability` column for rlmkit's tasks. */
function abilityOf(task: string): string {
  if (/^(game24|countdown|arith|arithmetic|gsm8k|math)/.test(task)) return 'math';
  if (/code|humaneval|mbpp/.test(task)) return 'code';
  return 'reasoning';
}

/** One verl prompt row per distinct problem, in the order traces name them. */
export function toVerlRows(traces: readonly LoadedTrace[], options: Pick<ExportOptions, 'renderChat' | 'split'> = {}): VerlPromptRow[] {
  const seen = new Set<string>();
  const rows: VerlPromptRow[] = [];
  for (const { trace } of traces) {
    const key = `${trace.task}\u0000${trace.problem.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const p = trace.problem;
    const data = p.data === undefined ? null : JSON.stringify(p.data);
    rows.push({
      data_source: `rlmkit/${trace.task}`,
      prompt: options.renderChat ? options.renderChat(trace) : [{ role: 'user', content: p.question }],
      ability: abilityOf(trace.task),
      // Rule-checked tasks need no answer key: the problem data is what the reward function reads.
      reward_model: { style: 'rule', ground_truth: p.answer ?? data ?? '' },
      extra_info: { split: options.split ?? 'train', index: rows.length, problem_id: p.id, question: p.question, answer: p.answer ?? null, data },
    });
  }
  return rows;
}

/** A problem as a trace-like record, for exporting prompts straight from a task split. */
export interface PromptSource {
  task: string;
  problem: { id: string; question: string; answer?: string; data?: unknown };
  /** The chat messages of the problem (the task's renderChat). */
  messages: ChatMessage[];
}

/** verl prompt rows from problems (no traces needed): `rlmkit data export --task <name> --format verl-parquet`. */
export function verlRowsFromProblems(sources: readonly PromptSource[], split: string): VerlPromptRow[] {
  return sources.map((s, index) => {
    const data = s.problem.data === undefined ? null : JSON.stringify(s.problem.data);
    return {
      data_source: `rlmkit/${s.task}`,
      prompt: s.messages.map((m) => ({ role: m.role, content: m.content })),
      ability: abilityOf(s.task),
      reward_model: { style: 'rule', ground_truth: s.problem.answer ?? data ?? '' },
      extra_info: { split, index, problem_id: s.problem.id, question: s.problem.question, answer: s.problem.answer ?? null, data },
    };
  });
}

export function exportDataset(options: ExportOptions): ExportResult {
  if (!(ExportFormats as readonly string[]).includes(options.format)) {
    throw inputError(`unknown export format "${options.format}"`, `use one of: ${ExportFormats.join(', ')}`);
  }
  const traces = loadTraces(options.traces);
  let records: number;
  switch (options.format) {
    case 'sft':
      records = writeJsonlAtomic(options.out, toSftChains(traces, { maxPerProblem: options.maxPerProblem }));
      break;
    case 'pairs':
      records = writeJsonlAtomic(options.out, toPreferencePairs(traces, { maxPerProblem: options.maxPerProblem, levels: options.pairLevels }));
      break;
    case 'pbs':
      records = writeJsonlAtomic(options.out, toStepLabels(traces, { minVisits: options.minVisits }));
      break;
    case 'tbs':
      records = writeJsonlAtomic(options.out, toOperatorTraces(traces));
      break;
    case 'verl-parquet': {
      const rows = toVerlRows(traces, options);
      writeVerlParquet(options.out, rows);
      records = rows.length;
      break;
    }
  }
  return { format: options.format, out: options.out, traces: traces.length, records };
}
