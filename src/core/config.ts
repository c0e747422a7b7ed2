/**
 * Configuration: YAML files plus `--set a.b=value` overrides, validated by a zod schema. Every
 * error names the file, the key path and what was expected, e.g.
 *   recipes/x.yaml: train.lr: expected number, got string "fast"
 */
import YAML from 'yaml';
import { z } from 'zod';
import { RlmkitError } from './errors.js';
import { readInputText } from './input.js';

export type ConfigObject = Record<string, unknown>;

function configError(message: string, hint?: string): RlmkitError {
  return new RlmkitError(message, { kind: 'config', hint });
}

/**
 * Keys that would reach Object.prototype (or a constructor) when written with `obj[key] = v`:
 * refused anywhere in a config or a `--set` path, so no config can pollute prototypes.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Refuses a `--set` key path with a segment such as __proto__ (a config error, exit code 2). */
export function refuseForbiddenPath(path: readonly string[], spec: string): void {
  const bad = path.find((p) => FORBIDDEN_KEYS.has(p));
  if (bad)
    throw configError(`bad --set "${spec}": "${bad}" is a reserved JavaScript name, not a config key`, 'set a real key, e.g. run.name=x');
}

/** Aliases a config may expand (YAML's "billion laughs" bomb needs thousands). */
const MAX_YAML_ALIASES = 100;

/** Throws a config error naming the first prototype key found in a parsed config (or any parsed value). */
export function refusePrototypeKeys(value: unknown, source: string, at: string[] = [], seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  for (const key of Object.keys(value)) {
    const here = [...at, key];
    if (FORBIDDEN_KEYS.has(key)) {
      throw configError(
        `${source}: key "${here.join('.')}" is not allowed (${key} is a reserved JavaScript name)`,
        'remove or rename that key',
      );
    }
    refusePrototypeKeys((value as Record<string, unknown>)[key], source, here, seen);
  }
}

/** Parses YAML text; syntax errors name the file, line and column. An empty document is `{}`. */
export function parseYaml(text: string, source: string): unknown {
  return parseYamlValue(text, source) ?? {};
}

function parseYamlValue(text: string, source: string): unknown {
  const lineCounter = new YAML.LineCounter();
  let doc: ReturnType<typeof YAML.parseDocument>;
  try {
    doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  } catch (e) {
    throw configError(
      `${source}: cannot parse YAML: ${(e as Error).message.split('\n')[0]}`,
      'simplify the file (it nests too deeply or is too large)',
    );
  }
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
    const firstLine = err.message.split('\n')[0];
    throw configError(`${where}: YAML syntax error: ${firstLine}`, 'fix the YAML syntax (indentation, colons, quotes)');
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    // yaml throws a ReferenceError for alias bombs and a RangeError for structures nested too deeply.
    const why = /alias/i.test((e as Error).message)
      ? `too many alias expansions (an alias bomb?); at most ${MAX_YAML_ALIASES} are allowed`
      : (e as Error).message.split('\n')[0];
    throw configError(`${source}: cannot load YAML: ${why}`, 'write the values out instead of through nested aliases');
  }
  refusePrototypeKeys(value, source);
  return value;
}

/** Reads and parses a YAML config file (no validation). */
export function readYamlFile(file: string): ConfigObject {
  let text: string;
  try {
    text = readInputText(file, { kind: 'config', what: 'config file', errorKind: 'config' });
  } catch (e) {
    const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw configError(`config file not found: ${file}`, 'check the path; recipes live in recipes/');
    if (e instanceof RlmkitError) throw new RlmkitError(e.message, { kind: 'config', hint: e.hint, cause: e.cause });
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
  refuseForbiddenPath(path, spec);
  let value: unknown;
  try {
    value = raw === '' ? '' : parseYamlValue(raw, `--set ${key}`);
  } catch (e) {
    // A value that is not valid YAML is taken as a plain string; a dangerous one is refused.
    if (e instanceof RlmkitError && !/syntax error/.test(e.message)) throw e;
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
      // Own properties only: an inherited name (toString, ...) is not a section of the config.
      if (!Object.hasOwn(node, k) || node[k] === undefined || node[k] === null) node[k] = {};
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
        return got === undefined
          ? `${source}: ${keyPath}: required ${expected} is missing`
          : `${source}: ${keyPath}: expected ${expected}, got ${describeValue(got)}`;
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
