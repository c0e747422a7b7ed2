/**
 * Where benchmark files live and how to read them. The benchmarks rlmkit uses ship inside the
 * package in `data/` (see data/SOURCES.md for origin and licence); users point at their own copies
 * with a path (`--data`, a config key) or `RLMKIT_DATA_DIR`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { inputError } from '../core/errors.js';
import { INPUT_LIMITS, readInputFile } from '../core/input.js';

/** The repository root: the nearest folder above this file that holds package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

/** The data folder shipped with rlmkit: `<package root>/data`. */
export function packagedDataDir(): string {
  return path.join(repoRoot(), 'data');
}

/** The data folder in use: $RLMKIT_DATA_DIR when set, else the one shipped with rlmkit. */
export function dataDir(): string {
  const env = process.env.RLMKIT_DATA_DIR;
  return env ? path.resolve(env) : packagedDataDir();
}

/** Resolves a benchmark file: the user's path when given, else `<data dir>/<relative>`. */
export function dataFile(relative: string, userPath?: string): string {
  const file = userPath ? path.resolve(userPath) : path.join(dataDir(), relative);
  if (!fs.existsSync(file)) {
    const fromEnv = !userPath && process.env.RLMKIT_DATA_DIR;
    throw inputError(
      `data file not found: ${file}`,
      userPath
        ? 'check the --data path'
        : fromEnv
          ? `RLMKIT_DATA_DIR is set to ${process.env.RLMKIT_DATA_DIR}: put ${relative} there, or unset it to use the copy shipped with rlmkit`
          : `the copy shipped with rlmkit is missing (${relative}); reinstall rlmkit, set RLMKIT_DATA_DIR, or pass a path to your own copy`,
    );
  }
  return file;
}

/** Reads a text file, gunzipping when its name ends in .gz. */
export function readDataText(file: string): string {
  // A regular file under the size limit, checked before reading (core/input.ts).
  let buf = readInputFile(file, { kind: 'data', what: 'data file' });
  if (file.endsWith('.gz')) {
    try {
      // Bounded like an uncompressed file, so a gzip bomb is an error rather than gigabytes.
      buf = gunzipSync(buf, { maxOutputLength: INPUT_LIMITS.data });
    } catch (e) {
      throw inputError(
        `${file} is not a valid gzip file: ${(e as Error).message}`,
        'give the original .jsonl.gz or an uncompressed .jsonl',
      );
    }
  }
  return buf.toString('utf8');
}

/** Reads JSONL (optionally gzipped) into objects; a bad line is an error naming its number. */
export function readJsonlRecords(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const lines = readDataText(file).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw inputError(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`, 'each line must be one JSON object');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw inputError(`${file}:${i + 1}: expected a JSON object`, 'each line must be one JSON object');
    out.push(v as Record<string, unknown>);
  }
  return out;
}

/** Reads a required string field of a record, with an error naming the file and line. */
export function field(rec: Record<string, unknown>, name: string, file: string, index: number): string {
  const v = rec[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw inputError(
    `${file}: record ${index + 1} has no "${name}" field`,
    `each record needs "${name}"; is this the right file for the task?`,
  );
}
