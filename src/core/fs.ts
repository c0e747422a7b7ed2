/**
 * File helpers that never leave a file half-written: every write goes to a temporary file in the
 * same directory, is flushed to disk, and is then renamed over the target (rename is atomic on
 * POSIX file systems). A reader sees either the old content or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError, inputError } from './errors.js';
import { type InputFileOptions, readInputText } from './input.js';

function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to `file` atomically (temp file + fsync + rename). Creates parent directories. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw fsError(e, path.dirname(file), 'create directory');
  }
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* best effort */
    }
    throw fsError(e, file, 'write');
  }
}

/** Async variant of writeFileAtomic, for large payloads on hot paths. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
  } catch (e) {
    throw fsError(e, path.dirname(file), 'create directory');
  }
  const tmp = tempPathFor(file);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'w', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, file);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw fsError(e, file, 'write');
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a UTF-8 file with a readable error; it must be a regular file within the size limit (input.ts). */
export function readText(file: string, o: InputFileOptions = {}): string {
  return readInputText(file, { kind: 'data', ...o });
}

export function readJson<T = unknown>(file: string): T {
  const text = readText(file, { kind: 'json' });
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw inputError(`${file} is not valid JSON: ${(e as Error).message}`, 'fix or regenerate the file');
  }
}

/**
 * Appends one line to a JSONL file. Appends of one small line with O_APPEND are atomic on local
 * file systems; a crash can lose the last line but never corrupts earlier ones.
 */
export function appendJsonl(file: string, value: unknown): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, JSON.stringify(value) + '\n');
  } catch (e) {
    throw fsError(e, file, 'append to');
  }
}

/**
 * Reads a JSONL file. A final line cut short by a crash is ignored (when `tolerateTruncatedTail`);
 * any other bad line is an error naming its line number.
 */
export function readJsonl<T = unknown>(file: string, tolerateTruncatedTail = true): T[] {
  const text = readText(file);
  const lines = text.split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast && tolerateTruncatedTail && !text.endsWith('\n')) break;
      throw inputError(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`, 'each line must be one JSON object');
    }
  }
  return out;
}

/** Removes stale temp files left by writes that were killed (they are never read). */
export function cleanTempFiles(dir: string): number {
  let n = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) n += cleanTempFiles(p);
    else if (/^\..+\.tmp-\d+-[0-9a-f]{8}$/.test(entry.name)) {
      fs.rmSync(p, { force: true });
      n++;
    }
  }
  return n;
}
