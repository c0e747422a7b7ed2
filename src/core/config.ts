/**
 * Configuration: YAML files plus `--set a.b=value` overrides, validated by a zod schema. Every
 * error names the file, the key path and what was expected, e.g.
 *   recipes/x.yaml: train.lr: expected number, got string "fast"
 */
import * as fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { RlmkitError } from './errors.js';

export type ConfigObject = Record<string, unknown>;

function configError(message: string, hint?: string): RlmkitError {
  return new RlmkitError(message, { kind: 'config', hint });
}

/** Parses YAML text; syntax errors name the file, line and column. */
export function parseYaml(text: string, source: string): unknown {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
    const firstLine = err.message.split('\n')[0];
    throw configError(`${where}: YAML syntax error: ${firstLine}`, 'fix the YAML syntax (indentation, colons, quotes)');
  }
  return doc.toJS() ?? {};
}

/** Reads and parses a YAML config file (no validation). */
export function readYamlFile(file: string): ConfigObject {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw configError(`config file not found: ${file}`, 'check the path; recipes live in recipes/');
    if (code === 'EISDIR') throw configError(`config path is a directory: ${file}`, 'give a .yaml file');
    throw configError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  const value = parseYaml(text, file);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw configError(`${file}: the top level must be a mapping of keys to values`, 'start the file with `key: value` lines');
  }
  return value as ConfigObject;
}

/** Parses one `a.b.c=value` override; the value is read as a YAML scalar/flow value. */
export function parseOverride(spec: string): { path: string[]; value: unknown } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw configError(`bad --set "${spec}": expected key.path=value`, 'for example --set train.lr=0.001');
  const key = spec.slice(0, eq).trim();
  const raw = spec.slice(eq + 1);
  const path = key.split('.');
  if (path.some((p) => !/^[A-Za-z_][A-Za-z0-9_-]*$|^\d+$/.test(p))) {
    throw configError(`bad --set "${spec}": "${key}" is not a key path`, 'use dot-separated names, e.g. model.d_model=128');
  }
  let value: unknown;
  try {
    value = raw === '' ? '' : YAML.parse(raw);
  } catch {
    value = raw;
  }
  return { path, value };
}

/** Applies overrides to a (cloned) config object. */
export function applyOverrides(config: ConfigObject, overrides: readonly string[]): ConfigObject {
  const out = structuredClone(config);
  for (const spec of overrides) {
    const { path, value } = parseOverride(spec);
    let node: any = out;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i];
      if (node[k] === undefined || node[k] === null) node[k] = {};
      else if (typeof node[k] !== 'object') {
        throw configError(`bad --set "${spec}": ${path.slice(0, i + 1).join('.')} is a ${typeof node[k]}, not a section`);
      }
      node = node[k];
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

function getPath(obj: unknown, path: readonly PropertyKey[]): unknown {
  let node: any = obj;
  for (const k of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[k as any];
  }
  return node;
}

/** Turns zod issues into one message per problem: `<source>: <key.path>: <what was expected>`. */
export function formatZodIssues(error: z.ZodError, input: unknown, source: string): string[] {
  return error.issues.map((issue) => {
    const keyPath = issue.path.map(String).join('.') || '(top level)';
    const got = getPath(input, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const keys = (issue as any).keys as string[];
        const prefix = issue.path.length ? issue.path.map(String).join('.') + '.' : '';
        return `${source}: unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => prefix + k).join(', ')}`;
      }
      case 'invalid_type': {
        const expected = (issue as any).expected;
        return got === undefined ? `${source}: ${keyPath}: required ${expected} is missing` : `${source}: ${keyPath}: expected ${expected}, got ${describeValue(got)}`;
      }
      case 'invalid_value': {
        const values = (issue as any).values as unknown[] | undefined;
        return `${source}: ${keyPath}: expected one of ${values?.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(got)}`;
      }
      default:
        return `${source}: ${keyPath}: ${issue.message}${got !== undefined && typeof got !== 'object' ? ` (got ${describeValue(got)})` : ''}`;
    }
  });
}

/** Validates `input` against `schema`, throwing a config error that lists every problem. */
export function validateConfig<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = formatZodIssues(result.error, input, source);
  const shown = lines.slice(0, 8);
  const more = lines.length > shown.length ? `\n(and ${lines.length - shown.length} more)` : '';
  throw configError(shown.join('\n') + more, 'fix the config; `rlmkit config print <file>` shows the resolved values');
}

/** Loads a YAML file, applies `--set` overrides and validates the result. */
export function loadConfig<S extends z.ZodType>(schema: S, file: string | undefined, overrides: readonly string[] = []): z.output<S> {
  const base = file ? readYamlFile(file) : {};
  const merged = applyOverrides(base, overrides);
  const source = file ? (overrides.length ? `${file} (with --set)` : file) : overrides.length ? '--set' : 'defaults';
  return validateConfig(schema, merged, source);
}

/** Renders a config back to YAML (for `config print` and run directories). */
export function toYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0 });
}
