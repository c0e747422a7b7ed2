/**
 * Prompts as Parquet in verl's layout (the files verl's RLHFDataset reads, e.g. its gsm8k example):
 *
 *   data_source   string                         task name, e.g. "rlmkit/game24"
 *   prompt        list<struct<role, content>>    the chat messages
 *   ability       string                         e.g. "math"
 *   reward_model  struct<style, ground_truth>    style "rule"; ground_truth a string
 *   extra_info    struct<split, index, problem_id, question, answer, data>
 *
 * Written with hyparquet-writer and an explicit nested schema (LIST of a struct, and structs), so a
 * real Parquet reader (pyarrow, hyparquet, DuckDB) sees nested columns, not JSON strings.
 */
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { inputError, readBytes, writeFileAtomic } from './io.js';

export interface VerlPromptRow {
  data_source: string;
  prompt: { role: string; content: string }[];
  ability: string;
  reward_model: { style: string; ground_truth: string };
  extra_info: {
    split: string;
    index: number;
    problem_id: string;
    question: string;
    /** Reference answer when known; null otherwise. */
    answer: string | null;
    /** Task-specific problem data as JSON text (numbers, target, ...); null when none. */
    data: string | null;
  };
}

const str = (name: string, repetition: 'REQUIRED' | 'OPTIONAL' = 'OPTIONAL'): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition });

/** The explicit Parquet schema (depth-first, as the format stores it). */
export const VERL_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 5 },
  str('data_source'),
  // Standard 3-level LIST: <name> (LIST) / list (repeated) / element (struct)
  { name: 'prompt', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  str('role'),
  str('content'),
  str('ability'),
  { name: 'reward_model', repetition_type: 'OPTIONAL', num_children: 2 },
  str('style'),
  str('ground_truth'),
  { name: 'extra_info', repetition_type: 'OPTIONAL', num_children: 6 },
  str('split'),
  { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
  str('problem_id'),
  str('question'),
  str('answer'),
  str('data'),
];

/** Encodes rows as a Parquet file in memory. */
export function verlParquetBuffer(rows: readonly VerlPromptRow[]): ArrayBuffer {
  if (rows.length === 0) throw inputError('no prompts to write', 'the input held no problems; check the traces folder or task split');
  const col = <K extends keyof VerlPromptRow>(k: K) => rows.map((r) => r[k]);
  return parquetWriteBuffer({
    columnData: [
      { name: 'data_source', data: col('data_source') },
      // hyparquet-writer walks LIST columns as arrays of elements
      { name: 'prompt', data: col('prompt') },
      { name: 'ability', data: col('ability') },
      { name: 'reward_model', data: col('reward_model') },
      { name: 'extra_info', data: rows.map((r) => ({ ...r.extra_info, index: BigInt(r.extra_info.index) })) },
    ],
    schema: VERL_SCHEMA,
    kvMetadata: [{ key: 'rlmkit.layout', value: 'verl-prompts-v1' }],
    createdBy: 'rlmkit',
  });
}

/** Writes rows as Parquet atomically. */
export function writeVerlParquet(file: string, rows: readonly VerlPromptRow[]): void {
  writeFileAtomic(file, new Uint8Array(verlParquetBuffer(rows)));
}

/** Reads a verl-layout Parquet file back (with hyparquet), nested columns as objects. */
export async function readVerlParquet(file: string): Promise<VerlPromptRow[]> {
  const bytes = readBytes(file);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: buf });
  } catch (e) {
    throw inputError(`${file} is not a readable Parquet file: ${(e as Error).message}`, 'regenerate it with `rlmkit data export --format verl-parquet`');
  }
  return rows.map((r) => {
    const extra = r.extra_info as Record<string, unknown>;
    return { ...(r as unknown as VerlPromptRow), extra_info: { ...(extra as VerlPromptRow['extra_info']), index: Number(extra.index) } };
  });
}
