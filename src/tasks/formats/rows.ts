/**
 * Dataset rows in the field's formats, read and written:
 * - reasoning-gym style: `{"question", "answer", "metadata": {...}}` (reasoning-gym's procedural
 *   datasets yield these entries; `metadata.source_dataset` names the generator);
 * - verifiers style (the `verifiers` environments' datasets): `{"prompt": [chat messages],
 *   "answer", "info": {...}, "task"}`, or `{"question", "answer", "info"}` before formatting;
 * - plain `{"question"|"problem"|"prompt", "answer"}` rows, and code rows with `tests`.
 * Reading keeps every field (in `data.meta`/`data.info`), so a round trip loses nothing; writing
 * is atomic (temp file, rename).
 */
import { inputError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fs.js';
import type { ChatMessage } from '../../models/types.js';
import { readJsonlRecords } from '../data.js';
import type { Problem, Task } from '../types.js';

export type RowFormat = 'reasoning-gym' | 'verifiers' | 'plain';

export interface RowData {
  format: RowFormat;
  /** reasoning-gym `metadata` (or any extra fields of a plain row). */
  meta: Record<string, unknown>;
  /** verifiers `info`. */
  info?: Record<string, unknown>;
  /** verifiers chat prompt, when the row has one. */
  prompt?: ChatMessage[];
  /** Python tests for the `code` verifier (asserts, one per line or block), and the entry point. */
  tests?: string[];
  entryPoint?: string;
  /** The row as read (for writing back unchanged fields). */
  raw: Record<string, unknown>;
}
export type RowProblem = Problem & { data: RowData };

const ROLES = new Set(['system', 'user', 'assistant']);

function chatOf(v: unknown, where: string): ChatMessage[] {
  if (typeof v === 'string') return [{ role: 'user', content: v }];
  if (!Array.isArray(v) || v.length === 0)
    throw inputError(`${where}: "prompt" must be a string or a non-empty list of {role, content} messages`);
  return v.map((m, j) => {
    if (!m || typeof m !== 'object' || !ROLES.has((m as any).role) || typeof (m as any).content !== 'string') {
      throw inputError(`${where}: prompt message ${j + 1} must be {"role": "system"|"user"|"assistant", "content": "..."}`);
    }
    return { role: (m as any).role, content: (m as any).content } as ChatMessage;
  });
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

function testsOf(rec: Record<string, unknown>, where: string): string[] | undefined {
  const t = rec.tests ?? rec.test_list ?? (rec.info as any)?.tests;
  if (t === undefined) return undefined;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t) && t.every((x) => typeof x === 'string')) return t as string[];
  throw inputError(`${where}: "tests" must be a string or a list of strings (Python asserts)`);
}

/** One row to a problem; `name` prefixes ids. */
export function rowToProblem(rec: Record<string, unknown>, index: number, name: string, where: string): RowProblem {
  const meta =
    rec.metadata && typeof rec.metadata === 'object' && !Array.isArray(rec.metadata)
      ? (rec.metadata as Record<string, unknown>)
      : undefined;
  const info = rec.info && typeof rec.info === 'object' && !Array.isArray(rec.info) ? (rec.info as Record<string, unknown>) : undefined;
  const answerRaw = rec.answer ?? rec.solution ?? rec.target;
  const answer =
    answerRaw === null || answerRaw === undefined ? undefined : typeof answerRaw === 'object' ? JSON.stringify(answerRaw) : str(answerRaw);
  let format: RowFormat;
  let question: string | undefined;
  let prompt: ChatMessage[] | undefined;
  if (Array.isArray(rec.prompt)) {
    format = 'verifiers';
    prompt = chatOf(rec.prompt, where);
    question = [...prompt].reverse().find((m) => m.role === 'user')?.content ?? prompt[prompt.length - 1].content;
  } else {
    question = str(rec.question) ?? str(rec.problem) ?? str(rec.prompt) ?? str(rec.input);
    format = meta ? 'reasoning-gym' : info ? 'verifiers' : 'plain';
  }
  if (question === undefined)
    throw inputError(
      `${where}: no question (expected "question", "problem" or a chat "prompt")`,
      'reasoning-gym rows: {"question", "answer", "metadata"}; verifiers rows: {"prompt": [...], "answer", "info"}',
    );
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec))
    if (!['question', 'problem', 'prompt', 'input', 'answer', 'solution', 'target', 'metadata', 'info', 'tests', 'test_list'].includes(k))
      extra[k] = v;
  const idRaw =
    str(rec.id) ??
    str(meta?.id) ??
    str(info?.id) ??
    (meta?.source_dataset !== undefined && meta?.source_index !== undefined
      ? `${str(meta.source_dataset)}/${str(meta.source_index)}`
      : undefined);
  const tests = testsOf(rec, where);
  const entry = str(rec.entry_point) ?? str(info?.entry_point);
  return {
    id: `${name}/${idRaw ?? index}`,
    question,
    ...(answer !== undefined ? { answer } : {}),
    data: {
      format,
      meta: meta ?? extra,
      ...(info ? { info } : {}),
      ...(prompt ? { prompt } : {}),
      ...(tests ? { tests } : {}),
      ...(entry ? { entryPoint: entry } : {}),
      raw: rec,
    },
  };
}

/** Reads JSONL (optionally .gz) rows of any of the three formats; errors name the line. */
export function readRows(file: string, name: string): RowProblem[] {
  const recs = readJsonlRecords(file);
  if (recs.length === 0) throw inputError(`${file}: no rows`, 'one JSON object per line: {"question": ..., "answer": ...}');
  return recs.map((rec, i) => rowToProblem(rec, i, name, `${file}: row ${i + 1}`));
}

/** A problem as a reasoning-gym row: question, answer, metadata (task data and source). */
export function toReasoningGymRow(p: Problem, taskName: string, index: number): Record<string, unknown> {
  const data = p.data && typeof p.data === 'object' ? (p.data as Record<string, unknown>) : {};
  const meta = 'meta' in data && 'raw' in data ? (data.meta as Record<string, unknown>) : { ...data };
  return {
    question: p.question,
    answer: p.answer ?? null,
    metadata: {
      ...meta,
      source_dataset: (meta.source_dataset as string) ?? taskName,
      source_index: (meta.source_index as number) ?? index,
      id: p.id,
    },
  };
}

/** A problem as a verifiers row: the task's chat prompt, answer, info (task data and id), task name. */
export function toVerifiersRow(p: Problem, task: Pick<Task<any>, 'name' | 'renderChat'>): Record<string, unknown> {
  const data = p.data && typeof p.data === 'object' ? (p.data as Record<string, unknown>) : {};
  const info =
    'info' in data && 'raw' in data
      ? (data.info as Record<string, unknown>)
      : 'raw' in data
        ? (data.meta as Record<string, unknown>)
        : { ...data };
  return { prompt: task.renderChat(p), answer: p.answer ?? '', info: { ...info, id: p.id }, task: task.name };
}

/** Writes problems of a task as JSONL rows in one of the formats (atomic). Returns the row count. */
export function writeRows(
  file: string,
  problems: readonly Problem[],
  task: Pick<Task<any>, 'name' | 'renderChat'>,
  format: Exclude<RowFormat, 'plain'>,
): number {
  const lines = problems.map((p, i) =>
    JSON.stringify(format === 'reasoning-gym' ? toReasoningGymRow(p, task.name, i) : toVerifiersRow(p, task)),
  );
  writeFileAtomic(file, lines.join('\n') + (lines.length ? '\n' : ''));
  return lines.length;
}
