/**
 * Run directories: `runs/<name>/` holds the resolved config (config.yaml), metrics.jsonl,
 * checkpoints/, traces/ and report/. Every long command writes here and can resume from here.
 *
 * An existing run is never overwritten silently: opening one needs `resume` (which checks that the
 * config is the same) or `overwrite` (which moves the old run aside to `<name>.old-<time>`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { RlmkitError, fsError, inputError } from './errors.js';
import { appendJsonl, cleanTempFiles, readJsonl, writeFileAtomic, writeJsonAtomic } from './fs.js';
import { parseYaml, toYaml } from './config.js';
import { readInputText } from './input.js';

export type RunMode = 'new' | 'resume' | 'overwrite' | 'auto';

export interface OpenRunOptions {
  /** Folder that holds runs; default `runs` in the current directory. */
  root?: string;
  /** new: refuse if it exists; resume: must match the stored config; auto: resume if it exists. */
  mode?: RunMode;
  /** The resolved config, stored as config.yaml and compared on resume. */
  config?: unknown;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class RunDir {
  readonly dir: string;
  readonly resumed: boolean;

  private constructor(dir: string, resumed: boolean) {
    this.dir = dir;
    this.resumed = resumed;
  }

  static open(name: string, options: OpenRunOptions = {}): RunDir {
    if (!NAME_RE.test(name)) {
      throw new RlmkitError(`bad run name "${name}"`, {
        kind: 'usage',
        hint: 'use letters, digits, ".", "_" and "-" (no slashes), up to 128 characters',
      });
    }
    const root = options.root ?? 'runs';
    const dir = path.resolve(root, name);
    const mode = options.mode ?? 'new';
    const exists = fs.existsSync(path.join(dir, 'config.yaml')) || fs.existsSync(path.join(dir, 'metrics.jsonl'));

    if (exists && mode === 'new') {
      throw new RlmkitError(`run "${name}" already exists in ${root}/`, {
        kind: 'usage',
        hint: `resume it with --resume, start over with --overwrite (the old run is kept as ${name}.old-<time>), or pick another --run name`,
      });
    }
    if (!exists && mode === 'resume') {
      throw new RlmkitError(`cannot resume run "${name}": ${dir} holds no run`, {
        kind: 'usage',
        hint: 'drop --resume to start a new run',
      });
    }
    if (exists && mode === 'overwrite') {
      const aside = `${dir}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        fs.renameSync(dir, aside);
      } catch (e) {
        throw fsError(e, dir, 'move aside');
      }
    }
    const resumed = exists && (mode === 'resume' || mode === 'auto');

    try {
      for (const sub of ['', 'checkpoints', 'traces', 'report']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (e) {
      throw fsError(e, dir, 'create run directory');
    }
    const run = new RunDir(dir, resumed);
    cleanTempFiles(dir);

    if (options.config !== undefined) {
      const cfgPath = path.join(dir, 'config.yaml');
      if (resumed && fs.existsSync(cfgPath)) {
        const stored = parseYaml(readInputText(cfgPath, { kind: 'config', what: 'run config' }), cfgPath);
        const wanted = JSON.parse(JSON.stringify(options.config));
        if (!isDeepStrictEqual(stored, wanted)) {
          const diff = diffKeys(stored, wanted).slice(0, 5).join(', ');
          throw new RlmkitError(`cannot resume run "${name}": its config differs from this one (${diff})`, {
            kind: 'usage',
            hint: 'resume with the same config, or start a new run with another --run name or --overwrite',
          });
        }
      } else {
        writeFileAtomic(cfgPath, toYaml(options.config));
      }
    }
    return run;
  }

  get metricsPath(): string {
    return path.join(this.dir, 'metrics.jsonl');
  }
  get checkpointsDir(): string {
    return path.join(this.dir, 'checkpoints');
  }
  get tracesDir(): string {
    return path.join(this.dir, 'traces');
  }
  get reportDir(): string {
    return path.join(this.dir, 'report');
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  appendMetrics(record: Record<string, unknown>): void {
    appendJsonl(this.metricsPath, { time: new Date().toISOString(), ...record });
  }

  readMetrics(): Record<string, unknown>[] {
    return fs.existsSync(this.metricsPath) ? readJsonl<Record<string, unknown>>(this.metricsPath) : [];
  }

  /**
   * Drops metric records past `step` (a resume from an earlier checkpoint replays those steps),
   * rewriting the file atomically.
   */
  truncateMetricsAfter(step: number, key = 'step'): void {
    const kept = this.readMetrics().filter((r) => typeof r[key] !== 'number' || (r[key] as number) <= step);
    writeFileAtomic(this.metricsPath, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  writeJson(rel: string, value: unknown): string {
    const p = this.path(rel);
    writeJsonAtomic(p, value);
    return p;
  }

  writeText(rel: string, text: string): string {
    const p = this.path(rel);
    writeFileAtomic(p, text);
    return p;
  }
}

function diffKeys(a: unknown, b: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffKeys((a as any)[k], (b as any)[k], prefix ? `${prefix}.${k}` : k));
  }
  return [prefix || '(top level)'];
}

/*
 * Run-directory files are inputs like any other: a pointer edited by hand or damaged on disk must
 * not send a resume to step Infinity or to a file outside the run. The helpers below validate what
 * is read back; each error names the file and key and exits with code 2.
 */

/** An error about a run-directory file (exit code 2), with the hint to restore it or start over. */
export function runFileError(file: string, message: string): RlmkitError {
  return inputError(
    `${file}: ${message}`,
    'the run directory was edited or is damaged: restore the file, or start the run over with --overwrite',
  );
}

/** A JSON object read from a run file (not an array, not null). */
export function runObject(value: unknown, file: string, key = '(top level)'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw runFileError(file, `${key} must be an object, got ${JSON.stringify(value)?.slice(0, 40) ?? String(value)}`);
  return value as Record<string, unknown>;
}

/** A step or count read from a run file: a finite, non-negative safe integer (`1e400` parses as Infinity and is refused). */
export function runInteger(value: unknown, file: string, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw runFileError(
      file,
      `${key} must be a non-negative integer, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)?.slice(0, 40)}`,
    );
  }
  return value;
}

function isInside(base: string, target: string): boolean {
  const rel = path.relative(base, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * A file name read from a run file, resolved against `base`: it must be relative and stay inside
 * `base`, also after following symbolic links (`../../etc/passwd` and links out are refused).
 */
export function runPathInside(base: string, value: unknown, file: string, key: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0'))
    throw runFileError(file, `${key} must be a file name, got ${JSON.stringify(value)?.slice(0, 60)}`);
  const resolved = path.resolve(base, value);
  if (path.isAbsolute(value) || !isInside(path.resolve(base), resolved)) {
    throw runFileError(file, `${key} "${value.slice(0, 200)}" points outside ${base}`);
  }
  if (fs.existsSync(resolved)) {
    let real: string;
    let realBase: string;
    try {
      real = fs.realpathSync(resolved);
      realBase = fs.realpathSync(base);
    } catch (e) {
      throw fsError(e, resolved, 'resolve');
    }
    if (!isInside(realBase, real)) throw runFileError(file, `${key} "${value.slice(0, 200)}" links to ${real}, outside the run directory`);
  }
  return resolved;
}
