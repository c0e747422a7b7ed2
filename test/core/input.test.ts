/**
 * Issue 13, items 8 and 11: every input path must be a regular file under a size limit, checked
 * before reading (no hang on a FIFO, no endless read of /dev/zero); prototype keys and YAML bombs
 * in configs are config errors with exit code 2.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RlmkitError, applyOverrides, checkInputFile, loadConfig, parseYaml, readInputFile, readYamlFile } from '../../src/core/index.js';
import { parseSetFlags } from '../../src/reasoning/strategies/index.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { runCliAsync } from '../helpers/cli.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-input-'));
}

function fifo(dir: string, name = 'pipe'): string {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

function errorOf(f: () => unknown): RlmkitError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RlmkitError);
    return e as RlmkitError;
  }
  throw new Error('expected an error');
}

describe('readInputFile / checkInputFile', () => {
  it('reads a regular file', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
    expect(readInputFile(path.join(dir, 'a.txt')).toString()).toBe('hello');
    expect(checkInputFile(path.join(dir, 'a.txt'))).toBe(5);
  });

  it('refuses /dev/zero, a FIFO with no writer and a directory at once, with exit code 2', () => {
    const dir = tmpDir();
    const t0 = Date.now();
    for (const [p, what] of [
      ['/dev/zero', /character device/],
      [fifo(dir), /FIFO/],
      [dir, /directory/],
    ] as const) {
      const e = errorOf(() => readInputFile(p));
      expect(e.message).toMatch(what);
      expect(e.exitCode).toBe(2);
      expect(errorOf(() => checkInputFile(p)).message).toMatch(what);
    }
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses a file over the limit before reading it', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'big.bin');
    fs.writeFileSync(f, Buffer.alloc(2048));
    const e = errorOf(() => readInputFile(f, { maxBytes: 1024, what: 'checkpoint' }));
    expect(e.message).toMatch(/checkpoint .* is 2\.0 KiB, over the limit of 1\.0 KiB/);
    expect(e.exitCode).toBe(2);
  });

  it('refuses a missing file with a clear message', () => {
    expect(errorOf(() => readInputFile('/nonexistent/x.yaml')).message).toMatch(/no such file/);
  });
});

describe('config safety', () => {
  it('refuses --set paths through __proto__, constructor and prototype, and pollutes nothing', () => {
    for (const spec of ['__proto__.polluted=1', 'run.__proto__.name=x', 'constructor.prototype.polluted=1', 'a.prototype=1']) {
      const e = errorOf(() => applyOverrides({}, [spec]));
      expect(e.kind).toBe('config');
      expect(e.exitCode).toBe(2);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Inherited names are not sections: toString.x=1 builds a fresh section instead of failing.
    expect(applyOverrides({}, ['toString.x=1'])).toEqual({ toString: { x: 1 } });
  });

  it('refuses the same paths in strategy --set flags (solve, eval)', () => {
    for (const spec of [
      '__proto__.polluted=1',
      'a.__proto__.polluted=1',
      'constructor.prototype.polluted=1',
      'x={"__proto__": {"polluted": 1}}',
    ]) {
      const e = errorOf(() => parseSetFlags([spec]));
      expect(e.exitCode, spec).toBe(2);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseSetFlags(['a.b=1', 'a.c=2', 'toString.x=3'])).toEqual({ a: { b: 1, c: 2 }, toString: { x: 3 } });
  });

  it('refuses prototype keys anywhere in a YAML config, and in a --set value', () => {
    for (const text of ['__proto__:\n  polluted: 1\n', 'run:\n  constructor:\n    prototype:\n      x: 1\n', 'a: [ {prototype: 1} ]\n']) {
      const e = errorOf(() => parseYaml(text, 'c.yaml'));
      expect(e.message).toMatch(/reserved JavaScript name/);
      expect(e.exitCode).toBe(2);
    }
    expect(errorOf(() => applyOverrides({}, ['run={__proto__: {x: 1}}'])).exitCode).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports a YAML alias bomb and a deeply nested document as config errors', () => {
    let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    let prev = 'a';
    for (let i = 0; i < 9; i++) {
      const name = String.fromCharCode(98 + i);
      bomb += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = name;
    }
    const e = errorOf(() => parseYaml(bomb, 'bomb.yaml'));
    expect(e.message).toMatch(/alias/);
    expect(e.kind).toBe('config');
    expect(errorOf(() => parseYaml('['.repeat(100_000), 'deep.yaml')).kind).toBe('config');
  });

  it('refuses an oversize config file without reading it whole', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'huge.yaml');
    fs.writeFileSync(f, `a: "${'x'.repeat(5 * 1024 * 1024)}"\n`);
    const e = errorOf(() => readYamlFile(f));
    expect(e.message).toMatch(/over the limit/);
    expect(e.kind).toBe('config');
    expect(errorOf(() => loadConfig(RecipeSchema, '/dev/zero')).kind).toBe('config');
  });
});

describe('CLI: hostile input paths end with exit 2 and no hang', () => {
  it('config print, train --config, lm sample --model and grade --jsonl refuse devices, FIFOs and directories', async () => {
    const dir = tmpDir();
    const p = fifo(dir);
    let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    let prev = 'a';
    for (let i = 0; i < 9; i++) {
      const name = String.fromCharCode(98 + i);
      bomb += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = name;
    }
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), bomb);
    const cases: Array<[string[], RegExp]> = [
      [['config', 'print', '/dev/zero'], /character device/],
      [['config', 'print', p], /FIFO/],
      [['config', 'print', dir], /directory/],
      [['config', 'print', path.join(dir, 'bomb.yaml')], /alias/],
      [['train', '--config', p], /FIFO/],
      [['lm', 'sample', '--model', '/dev/zero', '--prompt', 'x'], /character device/],
      [['lm', 'sample', '--model', p, '--prompt', 'x'], /FIFO/],
      [['grade', '--jsonl', p], /FIFO/],
      [['grade', '--jsonl', '/dev/zero'], /character device/],
      [['grade', '--vote', p], /FIFO/],
      [['serve', '--model', 'z=embedded:/dev/zero', '--port', '0'], /character device/],
      [['serve', '--model', `z=gguf:${p}`, '--port', '0'], /FIFO/],
      [['solve', '--task', 'game24', '--strategy', 'cot', '--model', `embedded:${p}`, '--problem', '4 4 6 8'], /FIFO/],
      [
        ['solve', '--task', 'gsm8k', '--strategy', 'cot', '--model', 'legal-uniform', '--data', '/dev/zero', '--limit', '1'],
        /character device/,
      ],
      [['data', 'export', '--traces', p, '--format', 'sft', '--out', path.join(dir, 'o.jsonl')], /FIFO/],
    ];
    // Three at a time: a loaded machine starts a dozen CLI processes slowly, and a hang must show as a timeout of its own.
    const results: Awaited<ReturnType<typeof runCliAsync>>[] = [];
    for (let i = 0; i < cases.length; i += 3)
      results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => runCliAsync(args, { timeoutMs: 90_000 })))));
    // /dev/null stays the documented empty config.
    const empty = await runCliAsync(['config', 'print', '--kind', 'demo', '/dev/null']);
    expect(empty.code, empty.stderr).toBe(0);
    results.forEach((r, i) => {
      const [args, pattern] = cases[i];
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.stderr).toMatch(/^rlmkit: error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }, 600_000);

  it('refuses --set __proto__ and constructor.prototype with exit 2', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'ok.yaml');
    fs.writeFileSync(f, 'run:\n  name: exp\n');
    const rs = await Promise.all([
      runCliAsync(['config', 'print', f, '--set', '__proto__.polluted=1']),
      runCliAsync(['config', 'print', f, '--set', 'run.__proto__.name=x']),
      runCliAsync(['config', 'print', f, '--set', 'constructor.prototype.x=1']),
    ]);
    for (const r of rs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/reserved JavaScript name/);
    }
  }, 120_000);
});
