import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RlmkitError, applyOverrides, loadConfig, parseOverride } from '../../src/core/index.js';

const Schema = z.strictObject({
  run: z.strictObject({ name: z.string().default('x'), seed: z.number().int().default(0) }).default({ name: 'x', seed: 0 }),
  train: z.strictObject({ lr: z.number().positive(), algo: z.enum(['grpo', 'ppo']).default('grpo') }),
});

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-cfg-'));
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

function catchError(fn: () => unknown): RlmkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RlmkitError);
    return e as RlmkitError;
  }
  throw new Error('expected an error');
}

describe('config loading', () => {
  it('loads, applies defaults and overrides', () => {
    const f = tmpFile('a.yaml', 'train:\n  lr: 0.01\n');
    const cfg = loadConfig(Schema, f, ['train.algo=ppo', 'run.seed=7']);
    expect(cfg).toEqual({ run: { name: 'x', seed: 7 }, train: { lr: 0.01, algo: 'ppo' } });
  });

  it('names the file and key of an unknown key', () => {
    const f = tmpFile('b.yaml', 'train:\n  lr: 0.01\n  lrr: 3\n');
    const e = catchError(() => loadConfig(Schema, f));
    expect(e.message).toContain(f);
    expect(e.message).toContain('unknown key train.lrr');
    expect(e.exitCode).toBe(2);
  });

  it('names the key path and the expected type of a wrong type', () => {
    const f = tmpFile('c.yaml', 'train:\n  lr: fast\n');
    const e = catchError(() => loadConfig(Schema, f));
    expect(e.message).toMatch(/train\.lr: expected number, got string "fast"/);
    expect(e.exitCode).toBe(2);
  });

  it('reports a missing required key and bad enum values', () => {
    const f = tmpFile('d.yaml', 'train:\n  algo: dqn\n');
    const e = catchError(() => loadConfig(Schema, f));
    expect(e.message).toContain('train.lr: required number is missing');
    expect(e.message).toMatch(/train\.algo: expected one of "grpo", "ppo", got string "dqn"/);
  });

  it('reports a missing file', () => {
    const e = catchError(() => loadConfig(Schema, '/no/such/config.yaml'));
    expect(e.message).toBe('config file not found: /no/such/config.yaml');
    expect(e.exitCode).toBe(2);
  });

  it('reports YAML syntax errors with line and column', () => {
    const f = tmpFile('e.yaml', 'train:\n  lr: [0.1\n  algo: grpo\n');
    const e = catchError(() => loadConfig(Schema, f));
    expect(e.message.startsWith(f + ':')).toBe(true);
    expect(e.message.slice(f.length)).toMatch(/^:\d+:\d+: YAML syntax error/);
    expect(e.exitCode).toBe(2);
  });

  it('rejects duplicate keys and a non-mapping top level', () => {
    expect(catchError(() => loadConfig(Schema, tmpFile('f.yaml', 'train:\n  lr: 1\n  lr: 2\n'))).message).toContain('YAML syntax error');
    expect(catchError(() => loadConfig(Schema, tmpFile('g.yaml', '- 1\n- 2\n'))).message).toContain('top level must be a mapping');
  });

  it('parses --set values as YAML scalars', () => {
    expect(parseOverride('a.b=3')).toEqual({ path: ['a', 'b'], value: 3 });
    expect(parseOverride('a=true')).toEqual({ path: ['a'], value: true });
    expect(parseOverride('a=[1, 2]')).toEqual({ path: ['a'], value: [1, 2] });
    expect(parseOverride('a=hello world')).toEqual({ path: ['a'], value: 'hello world' });
    expect(() => parseOverride('novalue')).toThrow(/expected key.path=value/);
    expect(() => parseOverride('a..b=1')).toThrow(/not a key path/);
    expect(() => applyOverrides({ a: 3 }, ['a.b=1'])).toThrow(/a is a number, not a section/);
  });

  it('does not mutate the input when applying overrides', () => {
    const base = { a: { b: 1 } };
    const out = applyOverrides(base, ['a.b=2']);
    expect(base.a.b).toBe(1);
    expect(out).toEqual({ a: { b: 2 } });
  });
});
