/** File helpers of this folder: re-exports of src/core's atomic writers, plus binary reads and JSONL output. */
import * as fs from 'node:fs';
import { fsError, writeFileAtomic } from '../core/index.js';

export { inputError, writeFileAtomic } from '../core/index.js';

export function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
}

/** Writes records as JSON Lines (one object per line), atomically. Returns the number written. */
export function writeJsonlAtomic(file: string, records: readonly unknown[]): number {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  return records.length;
}
