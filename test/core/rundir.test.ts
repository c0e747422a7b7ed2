import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDir } from '../../src/core/index.js';

function tmpRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-runs-'));
}

describe('run directories', () => {
  it('creates the layout and stores the resolved config', () => {
    const root = tmpRoot();
    const run = RunDir.open('exp1', { root, config: { a: 1 } });
    for (const sub of ['checkpoints', 'traces', 'report']) expect(fs.statSync(path.join(run.dir, sub)).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(run.dir, 'config.yaml'), 'utf8')).toBe('a: 1\n');
    run.appendMetrics({ step: 1, loss: 2 });
    expect(run.readMetrics()).toMatchObject([{ step: 1, loss: 2 }]);
    expect(run.resumed).toBe(false);
  });

  it('refuses to overwrite an existing run silently', () => {
    const root = tmpRoot();
    RunDir.open('exp', { root, config: { a: 1 } });
    expect(() => RunDir.open('exp', { root, config: { a: 1 } })).toThrow(/already exists/);
    try {
      RunDir.open('exp', { root, config: { a: 1 } });
    } catch (e: any) {
      expect(e.hint).toMatch(/--resume/);
      expect(e.exitCode).toBe(2);
    }
  });

  it('resumes with the same config and refuses a different one', () => {
    const root = tmpRoot();
    const a = RunDir.open('exp', { root, config: { a: 1, b: { c: 2 } } });
    a.appendMetrics({ step: 1 });
    const b = RunDir.open('exp', { root, mode: 'resume', config: { a: 1, b: { c: 2 } } });
    expect(b.resumed).toBe(true);
    expect(b.readMetrics()).toHaveLength(1);
    expect(() => RunDir.open('exp', { root, mode: 'resume', config: { a: 1, b: { c: 3 } } })).toThrow(
      /config differs from this one \(b\.c\)/,
    );
    expect(() => RunDir.open('nope', { root, mode: 'resume' })).toThrow(/holds no run/);
  });

  it('overwrite keeps the old run aside', () => {
    const root = tmpRoot();
    RunDir.open('exp', { root, config: { a: 1 } }).appendMetrics({ step: 1 });
    const fresh = RunDir.open('exp', { root, mode: 'overwrite', config: { a: 2 } });
    expect(fresh.readMetrics()).toEqual([]);
    const names = fs.readdirSync(root);
    expect(names.some((n) => n.startsWith('exp.old-'))).toBe(true);
  });

  it('truncates metrics past a resumed step', () => {
    const root = tmpRoot();
    const run = RunDir.open('exp', { root });
    for (let s = 1; s <= 5; s++) run.appendMetrics({ step: s });
    run.truncateMetricsAfter(3);
    expect(run.readMetrics().map((r) => r.step)).toEqual([1, 2, 3]);
  });

  it('rejects bad names and unwritable roots', () => {
    expect(() => RunDir.open('../escape', { root: tmpRoot() })).toThrow(/bad run name/);
    const root = tmpRoot();
    fs.writeFileSync(path.join(root, 'afile'), '');
    expect(() => RunDir.open('x', { root: path.join(root, 'afile') })).toThrow(/cannot create run directory/);
  });
});
