/** File helpers of this folder: re-exports of src/core's atomic writers, plus binary reads and JSONL output. */
import { readInputFile, writeFileAtomic } from '../core/index.js';

export { inputError, writeFileAtomic } from '../core/index.js';

export function readBytes(file: string): Uint8Array {
  return readInputFile(file, { kind: 'data' });
}

/** Writes records as JSON Lines (one object per line), atomically. Returns the number written. */
export function writeJsonlAtomic(file: string, records: readonly unknown[]): number {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  return records.length;
}
