/**
 * The strategy registry: `rlmkit strategies` lists it, `rlmkit solve --strategy` and the serve
 * proxy (`<strategy>@<model>`) look names up here. A new strategy adds one import and one entry.
 */
import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import { refuseForbiddenPath, refusePrototypeKeys } from '../../core/config.js';
import type { Strategy } from '../strategy.js';
import { beam } from './beam.js';
import { bestOfN } from './best-of-n.js';
import { cot } from './cot.js';
import { dvts } from './dvts.js';
import { got } from './got.js';
import { llamaBerry } from './llama-berry.js';
import { mcts } from './mcts.js';
import { selfConsistency } from './self-consistency.js';
import { totBfs } from './tot-bfs.js';
import { totDfs } from './tot-dfs.js';

export const strategies: readonly Strategy[] = [cot, bestOfN, selfConsistency, beam, dvts, mcts, totBfs, totDfs, got, llamaBerry];

export function strategyNames(): string[] {
  return strategies.map((s) => s.name);
}

export function getStrategy(name: string): Strategy {
  const s = strategies.find((x) => x.name === name);
  if (!s)
    throw usageError(`unknown strategy "${name}"`, `choose one of: ${strategyNames().join(', ')} (rlmkit strategies lists their settings)`);
  return s;
}

/**
 * Setting names: users write snake_case (`--set max_depth=4`, serve's `"settings": {"max_depth": 4}`),
 * like recipes and OpenAI request fields; `rlmkit strategies`, help and errors show that spelling.
 * Strategy code reads the parsed settings as camelCase TypeScript fields (`settings.maxDepth`).
 * camelCase input (`maxDepth`) is still accepted, for compatibility; naming one setting in both
 * spellings is a usage error.
 */
export function settingName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function fieldName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function settingsShape(strategy: Strategy): Record<string, z.ZodType> {
  return (strategy.settings as unknown as z.ZodObject<z.ZodRawShape>).shape as Record<string, z.ZodType>;
}

/**
 * Settings keyed by their user-facing (snake_case) names, for merging defaults and overrides
 * written in either spelling; one setting in both spellings is a usage error.
 */
export function canonicalSettings(raw: Record<string, unknown>): Record<string, unknown> {
  const writtenAs = new Map<string, string>();
  for (const k of Object.keys(raw)) {
    const name = settingName(fieldName(k));
    const before = writtenAs.get(name);
    if (before !== undefined) throw usageError(`setting ${name} is given twice (as ${before} and as ${k})`, `write it once, as ${name}`);
    writtenAs.set(name, k);
  }
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [settingName(fieldName(k)), v]));
}

/** Keys renamed to the strategy's fields; unknown keys kept as written, for zod to name. */
function toFields(strategy: Strategy, raw: Record<string, unknown>): Record<string, unknown> {
  const shape = settingsShape(strategy);
  const writtenAs = new Map<string, string>();
  const entries: [string, unknown][] = [];
  for (const [k, v] of Object.entries(raw)) {
    const field = Object.hasOwn(shape, k) ? k : Object.hasOwn(shape, fieldName(k)) ? fieldName(k) : k;
    const before = writtenAs.get(field);
    if (before !== undefined)
      throw usageError(
        `invalid settings for strategy ${strategy.name}: ${settingName(field)} is given twice (as ${before} and as ${k})`,
        `write it once, as ${settingName(field)}`,
      );
    writtenAs.set(field, k);
    entries.push([field, v]);
  }
  return Object.fromEntries(entries);
}

/**
 * Validates settings written in either spelling (defaults filled in) and returns them keyed by
 * field (camelCase, what strategies read); a bad setting is a usage error naming it in snake_case.
 */
export function parseSettings(strategy: Strategy, raw: Record<string, unknown> = {}): Record<string, unknown> {
  const r = strategy.settings.safeParse(toFields(strategy, raw));
  if (!r.success) {
    const issues = r.error.issues
      .map((i) => {
        const path = i.path.map((p, n) => (n === 0 && typeof p === 'string' ? settingName(p) : String(p))).join('.');
        return `${path || '(settings)'}: ${i.message}`;
      })
      .join('; ');
    throw usageError(
      `invalid settings for strategy ${strategy.name}: ${issues}`,
      `run \`rlmkit strategies ${strategy.name}\` for its settings and defaults`,
    );
  }
  return r.data as Record<string, unknown>;
}

/**
 * Parses `--set key=value` pairs: values are read as JSON when they parse (numbers, booleans,
 * arrays, objects), else kept as strings. Nested keys use dots: `--set a.b=1`.
 */
export function parseSetFlags(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--set expects key=value, got "${pair}"`, 'write e.g. --set simulations=32');
    const key = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    const parts = key.split('.');
    // No path through __proto__ / constructor / prototype, in the key or inside a JSON value (issue 13).
    refuseForbiddenPath(parts, pair);
    refusePrototypeKeys(value, `--set ${key}`);
    let cur = out;
    for (const p of parts.slice(0, -1))
      cur = (Object.hasOwn(cur, p) && cur[p] !== null && typeof cur[p] === 'object' ? cur[p] : (cur[p] = {})) as Record<string, unknown>;
    cur[parts[parts.length - 1]] = value;
  }
  return out;
}

/** One strategy's settings as rows (snake_case name, type, default) for `rlmkit strategies`. */
export function describeSettings(strategy: Strategy): { name: string; type: string; default: unknown }[] {
  return Object.entries(settingsShape(strategy)).map(([field, t]) => {
    const def = t.safeParse(undefined);
    return { name: settingName(field), type: typeName(t), default: def.success ? def.data : undefined };
  });
}

function typeName(t: z.ZodType): string {
  const def = (t as any)._zod?.def ?? (t as any).def;
  const type: string = def?.type ?? 'unknown';
  if (type === 'default' || type === 'optional' || type === 'prefault') return typeName(def.innerType);
  if (type === 'enum') return Object.values(def.entries as Record<string, string>).join('|');
  if (type === 'array') return `${typeName(def.element)}[]`;
  if (type === 'number') return (t as any).isInt ? 'integer' : 'number';
  return type;
}
