import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { rsrm } from '../../src/reasoning/rsrm/rsrm.js';
import { DoubleQ } from '../../src/reasoning/rsrm/double-q.js';
import { slotContext, legalTokens } from '../../src/reasoning/rsrm/mcts.js';
import { standardLibrary } from '../../src/tasks/symreg/expr.js';
import { nguyenProblem } from '../../src/tasks/symreg/nguyen.js';
import { checkRecovery, nguyenSpec } from '../../src/tasks/symreg/verify.js';
import { rsrmBench } from '../../src/cli/bench/rsrm.js';

describe('rsrm search', () => {
  it('recovers Nguyen-6 and Nguyen-11 exactly from 20 samples (checked on held-out points)', () => {
    for (const name of ['nguyen-6', 'nguyen-11']) {
      const s = nguyenSpec(name)!;
      const d = nguyenProblem(s, 0);
      const r = rsrm(d.X, d.y, { evaluations: 20_000, seed: 1 });
      expect(r.fitted).toBe(true);
      expect(checkRecovery(r.prefix, s).recovered).toBe(true);
    }
  });

  it('runs both ablations within the budget and returns a formula', () => {
    const d = nguyenProblem(nguyenSpec('nguyen-1')!, 0);
    for (const arm of [{ doubleQ: false }, { discovery: false }]) {
      const r = rsrm(d.X, d.y, { evaluations: 3_000, seed: 2, ...arm });
      expect(r.evaluations).toBeLessThanOrEqual(3_000);
      expect(r.prefix.length).toBeGreaterThan(0);
      expect(Number.isFinite(r.nrmse)).toBe(true);
    }
  });

  it('refuses mismatched data', () => {
    expect(() => rsrm([[1, 2]], [1, 2, 3])).toThrow(/one column per variable/);
    expect(() => rsrm([], [])).toThrow(RangeError);
  });

  it('keeps prefixes within the length limit and tracks slot contexts', () => {
    const lib = standardLibrary(1);
    const tok = (n: string) => lib.find((t) => t.name === n)!;
    expect(slotContext([tok('+'), tok('x')])).toBe('+#1');
    expect(slotContext([tok('sin')])).toBe('sin#0');
    // 3 tokens used, 2 slots open, limit 5: only leaves fit.
    expect(legalTokens([tok('+'), tok('+'), tok('x')], lib, 5).every((t) => t.arity === 0)).toBe(true);
    expect(legalTokens([tok('exp')], lib, 10).some((t) => t.name === 'log')).toBe(false);
  });

  it('double Q moves the value of a rewarded choice toward the reward', () => {
    const q = new DoubleQ(0.5);
    const rng = new Rng(0);
    for (let i = 0; i < 40; i++) q.update([{ state: 'root', action: 'x' }], [], 1, rng);
    expect(q.value('root', 'x')).toBeGreaterThan(0.9);
    expect(q.value('root', 'sin')).toBe(0);
  });
});

describe('bench rsrm', () => {
  it('reports recovery per arm with the same budget, and refuses unknown arms', async () => {
    const r = await rsrmBench.run({ evaluations: 20_000, seeds: 1, arms: 'rsrm', only: 'nguyen-11' });
    const arm = r.rsrm as { recoveredRuns: number; runs: number };
    expect(arm.runs).toBe(1);
    expect(arm.recoveredRuns).toBe(1);
    await expect(rsrmBench.run({ evaluations: 100, seeds: 1, arms: 'nope' })).rejects.toThrow(/unknown arm/);
    await expect(rsrmBench.run({ evaluations: 100, seeds: 1, arms: 'rsrm', only: 'nguyen-99' })).rejects.toThrow(/unknown formula/);
  });
});

describe('rlmkit bench rsrm (CLI)', () => {
  it('prints one JSON object with --json, and exits 2 on a bad arm', async () => {
    const { runCliAsync } = await import('../helpers/cli.js');
    const ok = await runCliAsync([
      'bench',
      'rsrm',
      '--json',
      '--only',
      'nguyen-8',
      '--seeds',
      '1',
      '--evaluations',
      '20000',
      '--arms',
      'rsrm,no-double-q',
    ]);
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout) as Record<string, { runs: number; perFormula: Record<string, { truth: string }> }>;
    expect(out.rsrm.runs).toBe(1);
    expect(out['no-double-q'].perFormula['nguyen-8'].truth).toBe('sqrt(x)');
    const bad = await runCliAsync(['bench', 'rsrm', '--arms', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown arm "nope"/);
  }, 120_000);
});
