/**
 * What the explorer reads from a runs folder (README.md "Run directories"): each run's resolved
 * config, its metrics records, the phase it is in, its checkpoints, traces and reports. Every read
 * is bounded (file counts, sizes) and every name a request gives is checked to stay inside the
 * run, so a request can never read outside the runs folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { inputError } from '../core/errors.js';
import { readInputText } from '../core/input.js';

const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A run is a folder of the runs folder, or one level below (a pipeline's phases, e.g. demo/rl). */
const RUN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$/;
const RUN_PARTS = new Set(['checkpoints', 'traces', 'report']);
/** Files listed per run folder at most (traces, checkpoints). */
const MAX_FILES = 5000;
/** Largest JSON file the explorer parses (traces, reports). */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

export interface RunSummary {
  name: string;
  phase: string | null;
  step: number | null;
  records: number;
  updatedAt: string;
  hasConfig: boolean;
}

export interface FileEntry {
  path: string;
  bytes: number;
  modifiedAt: string;
}

export interface RunDetail extends RunSummary {
  /** config.yaml as written (the resolved config), and parsed; null when absent. */
  configText: string | null;
  config: unknown;
  configError: string | null;
  checkpoints: FileEntry[];
  traces: FileEntry[];
  reports: FileEntry[];
  /** Top-level JSON files such as summary.json. Every path here is relative to the run folder. */
  files: FileEntry[];
}

export interface MetricsRead {
  records: Record<string, unknown>[];
  /** Lines that are not JSON objects (a line being written, or a corrupt file). */
  skipped: number;
  /** Bytes consumed (up to the last complete line). */
  offset: number;
}

/** A run folder: anything a long command writes (config, metrics, checkpoints, traces) or JSON reports (runs/eval). */
function isRunDir(dir: string): boolean {
  if (['config.yaml', 'metrics.jsonl', 'traces', 'checkpoints'].some((f) => fs.existsSync(path.join(dir, f)))) return true;
  try {
    return fs.readdirSync(dir).some((f) => f.endsWith('.json'));
  } catch {
    return false;
  }
}

export function checkRunName(name: string): void {
  if (!RUN_NAME_RE.test(name) || name.split('/').some((p) => p === '..' || p === '.'))
    throw inputError(`bad run name "${name}"`, 'run names are letters, digits, ".", "_" and "-", with at most one "/"');
}

export function runPath(root: string, name: string): string {
  checkRunName(name);
  const dir = path.join(root, name);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory() || !isRunDir(dir)) throw notFound(`no run "${name}" in ${root}`);
  return dir;
}

export class NotFoundError extends Error {}
const notFound = (m: string) => new NotFoundError(m);

/** Parses JSONL text; a last line without its newline is left for the next read. */
export function parseJsonl(text: string, final = false): MetricsRead {
  const records: Record<string, unknown>[] = [];
  let skipped = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const line = text.slice(start, nl).trim();
    start = nl + 1;
    if (!line) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) records.push(v);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  if (final && start < text.length && text.slice(start).trim()) {
    try {
      const v = JSON.parse(text.slice(start));
      if (v && typeof v === 'object' && !Array.isArray(v)) records.push(v);
      else skipped++;
    } catch {
      skipped++;
    }
    start = text.length;
  }
  return { records, skipped, offset: Buffer.byteLength(text.slice(0, start)) };
}

export function readMetrics(dir: string): MetricsRead {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return { records: [], skipped: 0, offset: 0 };
  return parseJsonl(readInputText(file, { kind: 'data', what: 'metrics file' }));
}

function lastPhase(records: Record<string, unknown>[]): { phase: string | null; step: number | null } {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    if (typeof r.phase === 'string') return { phase: r.phase, step: typeof r.step === 'number' ? r.step : null };
  }
  return { phase: null, step: null };
}

function summary(root: string, name: string): RunSummary {
  const dir = path.join(root, name);
  const m = readMetrics(dir);
  const stamp = ['metrics.jsonl', 'config.yaml', '.']
    .map((f) => path.join(dir, f))
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.statSync(f).mtimeMs);
  return {
    name,
    ...lastPhase(m.records),
    records: m.records.length,
    updatedAt: new Date(Math.max(...stamp)).toISOString(),
    hasConfig: fs.existsSync(path.join(dir, 'config.yaml')),
  };
}

export function listRuns(root: string): RunSummary[] {
  if (!fs.existsSync(root)) return [];
  const out: RunSummary[] = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory() || !SEGMENT_RE.test(e.name)) continue;
    const dir = path.join(root, e.name);
    if (isRunDir(dir)) out.push(summary(root, e.name));
    for (const sub of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!sub.isDirectory() || RUN_PARTS.has(sub.name) || !SEGMENT_RE.test(sub.name)) continue;
      const subDir = path.join(dir, sub.name);
      if (fs.existsSync(path.join(subDir, 'config.yaml')) || fs.existsSync(path.join(subDir, 'metrics.jsonl')))
        out.push(summary(root, `${e.name}/${sub.name}`));
    }
  }
  return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

/** Files under `dir` as paths with "/" prefixed by `prefix` (paths inside the run), newest first, matching `keep`. */
export function listFiles(dir: string, prefix: string, keep: (rel: string) => boolean = () => true, maxDepth = 4): FileEntry[] {
  const out: FileEntry[] = [];
  const walk = (d: string, rel: string, depth: number) => {
    if (depth > maxDepth || out.length >= MAX_FILES || !fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (out.length >= MAX_FILES) return;
      if (e.name.startsWith('.') || e.name.includes('.tmp-')) continue;
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path.join(d, e.name), r, depth + 1);
      else if (e.isFile() && keep(r)) {
        const st = fs.statSync(path.join(d, e.name));
        out.push({ path: r, bytes: st.size, modifiedAt: st.mtime.toISOString() });
      }
    }
  };
  walk(dir, prefix, 0);
  for (const f of out) f.path = f.path.replace(/^\//, '');
  return out.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt) || a.path.localeCompare(b.path));
}

export function runDetail(root: string, name: string): RunDetail {
  const dir = runPath(root, name);
  const cfgFile = path.join(dir, 'config.yaml');
  let configText: string | null = null;
  let config: unknown = null;
  let configError: string | null = null;
  if (fs.existsSync(cfgFile)) {
    configText = readInputText(cfgFile, { kind: 'config', what: 'run config' });
    try {
      config = YAML.parse(configText);
    } catch (e) {
      configError = `config.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const json = (r: string) => r.endsWith('.json');
  return {
    ...summary(root, name),
    configText,
    config,
    configError,
    checkpoints: listFiles(path.join(dir, 'checkpoints'), 'checkpoints'),
    traces: listFiles(path.join(dir, 'traces'), 'traces', json),
    reports: listFiles(path.join(dir, 'report'), 'report', json),
    files: listFiles(dir, '', json, 0),
  };
}

/**
 * Resolves `rel` (a path inside a run, with "/") to a file, refusing anything that leaves the run
 * folder ("..", absolute paths, links pointing out).
 */
export function runFile(root: string, name: string, rel: string): string {
  const dir = runPath(root, name);
  if (!rel || rel.includes('\0') || path.isAbsolute(rel) || rel.split(/[\\/]/).some((p) => p === '..' || p === ''))
    throw inputError(`bad file path "${rel}"`, 'give a path inside the run, as listed by the run view');
  const file = path.join(dir, rel);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw notFound(`run "${name}" has no file ${rel}`);
  const real = fs.realpathSync(file);
  const realDir = fs.realpathSync(dir);
  if (!real.startsWith(realDir + path.sep))
    throw inputError(`${rel} points outside run "${name}"`, 'links out of the run folder are not served');
  return file;
}

/** Reads and parses a JSON file with a readable error for non-JSON content. */
export function readJsonFile(file: string, label: string): unknown {
  const size = fs.statSync(file).size;
  if (size > MAX_JSON_BYTES)
    throw inputError(
      `${label} is ${Math.round(size / 1048576)} MiB, larger than the ${MAX_JSON_BYTES / 1048576} MiB the explorer opens`,
      'open a smaller file',
    );
  const text = readInputText(file, { maxBytes: MAX_JSON_BYTES, what: label });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw inputError(`${label} is not JSON: ${(e as Error).message}`, 'the file may be truncated or not a JSON file');
  }
}
