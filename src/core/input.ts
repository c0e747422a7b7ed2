/**
 * Every file a user names (configs, checkpoints, --jsonl, data files, run-directory files) is read
 * through here: it must be a regular file under a size limit, checked before any byte is read.
 * `/dev/zero`, a FIFO with no writer, a socket or a directory is a clear input error (exit 2),
 * never a hang or an unbounded read.
 *
 * How: the file is opened with O_NONBLOCK (opening a FIFO for reading then returns at once instead
 * of waiting for a writer; on a regular file the flag changes nothing), the open descriptor is
 * checked with fstat (so what is checked is what is read), and at most `size` bytes are read.
 * `checkInputFile` is the stat-only variant for paths handed to a library that opens them itself.
 */
import * as fs from 'node:fs';
import { RlmkitError, fsError } from './errors.js';

const MiB = 1024 * 1024;

/** Default size limits by kind of file; `RLMKIT_MAX_INPUT_BYTES` raises (or lowers) all of them. */
export const INPUT_LIMITS = {
  /** YAML configs and recipes. */
  config: 4 * MiB,
  /** Small JSON files (run-directory pointers, reports, traces). */
  json: 256 * MiB,
  /** Data sets, JSONL files, text corpora (V8 cannot hold a string much above 512 MiB). */
  data: 512 * MiB,
  /** Model checkpoints (safetensors, GGUF); Node cannot hold a single buffer above 4 GiB. */
  checkpoint: 4096 * MiB - 1,
} as const;

export type InputKind = keyof typeof INPUT_LIMITS;

export interface InputFileOptions {
  /** Which default limit applies (default `data`). */
  kind?: InputKind;
  /** Explicit limit in bytes (overrides `kind`). */
  maxBytes?: number;
  /** What the file is, for messages ("config file", "checkpoint"). */
  what?: string;
  /** Error kind: configs report as config errors; both exit with code 2. */
  errorKind?: 'input' | 'config';
}

function limitFor(o: InputFileOptions): number {
  if (o.maxBytes !== undefined) return o.maxBytes;
  const env = Number(process.env.RLMKIT_MAX_INPUT_BYTES);
  if (Number.isFinite(env) && env > 0) return env;
  return INPUT_LIMITS[o.kind ?? 'data'];
}

function typeName(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function human(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(n >= 100 * MiB ? 0 : 1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}

function checkStats(file: string, st: fs.Stats, o: InputFileOptions): number {
  const what = o.what ?? 'input file';
  const kind = o.errorKind ?? 'input';
  if (!st.isFile()) {
    throw new RlmkitError(`${what} ${file} is ${typeName(st)}, not a regular file`, {
      kind,
      hint: 'give the path of a regular file (devices, pipes and directories are not read)',
    });
  }
  const max = limitFor(o);
  if (st.size > max) {
    throw new RlmkitError(`${what} ${file} is ${human(st.size)}, over the limit of ${human(max)}`, {
      kind,
      hint: 'check the path; to read larger files set RLMKIT_MAX_INPUT_BYTES (bytes)',
    });
  }
  return st.size;
}

function isDevNull(file: string): boolean {
  try {
    return fs.realpathSync(file) === '/dev/null';
  } catch {
    return false;
  }
}

/** Checks, without opening it, that `file` is a regular file within the limit; returns its size. */
export function checkInputFile(file: string, o: InputFileOptions = {}): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  return checkStats(file, st, o);
}

/** Reads a regular file within the size limit (see the file comment). */
export function readInputFile(file: string, o: InputFileOptions = {}): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  try {
    const st = fs.fstatSync(fd);
    // /dev/null is the documented empty input (`config print --kind demo /dev/null`).
    if (st.isCharacterDevice() && isDevNull(file)) return Buffer.alloc(0);
    const size = checkStats(file, st, o);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break; // the file shrank while we read it
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } catch (e) {
    if (e instanceof RlmkitError) throw e;
    throw fsError(e, file, 'read');
  } finally {
    fs.closeSync(fd);
  }
}

/** `readInputFile` decoded as UTF-8. */
export function readInputText(file: string, o: InputFileOptions = {}): string {
  return readInputFile(file, o).toString('utf8');
}
