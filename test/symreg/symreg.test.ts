import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { evalNames, parseInfix, prefixToInfix } from '../../src/tasks/symreg/expr.js';
import { NGUYEN, nguyenProblem, sampleNguyen } from '../../src/tasks/symreg/nguyen.js';
import { checkRecovery, nguyenSpec, sameFunction } from '../../src/tasks/symreg/verify.js';
import { getTask } from '../../src/tasks/registry.js';

const spec = (name: string) => nguyenSpec(name)!;

describe('symreg expressions', () => {
  it('parses each Nguyen formula and evaluates it like the benchmark function', () => {
    for (const s of NGUYEN) {
      const { X, y } = sampleNguyen(s, 50, new Rng(3));
      const v = evalNames(
        parseInfix(s.formula, s.variables),
        s.variables,
        X.map((c) => Float64Array.from(c)),
      );
      for (let i = 0; i < y.length; i++) expect(v[i]).toBeCloseTo(y[i], 12);
    }
  });

  it('prints prefix as infix that parses back to the same function', () => {
    const names = ['+', '*', 'x', 'x', 'sin', '/', 'x', '1'];
    expect(prefixToInfix(names)).toBe('(x * x) + sin((x / 1))');
    const X = [Float64Array.from([0.3, -0.7, 1.9])];
    expect(Array.from(evalNames(parseInfix(prefixToInfix(names), ['x']), ['x'], X))).toEqual(Array.from(evalNames(names, ['x'], X)));
  });

  it('refuses bad text with a usage error naming the problem', () => {
    expect(() => parseInfix('x +', ['x'])).toThrow(/ends too early/);
    expect(() => parseInfix('z * 2', ['x'])).toThrow(/unknown name "z"/);
    expect(() => parseInfix('x $ 2', ['x'])).toThrow(/cannot read/);
  });
});

describe('exact recovery', () => {
  it('accepts other forms of the same formula and rejects near misses', () => {
    expect(checkRecovery('x*(1 + x*(1 + x))', spec('nguyen-1')).recovered).toBe(true);
    expect(checkRecovery('exp(y*log(x))', spec('nguyen-11')).recovered).toBe(true);
    expect(checkRecovery('x^3 + x^2', spec('nguyen-1')).recovered).toBe(false);
    expect(checkRecovery('x^3 + x^2 + x + 0.00000001', spec('nguyen-1')).recovered).toBe(false);
    expect(checkRecovery('log(x - 5)', spec('nguyen-8')).recovered).toBe(false);
    expect(sameFunction('sin(x)*cos(y)*2', 'sin(x)*cos(y) + cos(y)*sin(x)', spec('nguyen-10'))).toBe(true);
  });

  it('samples 20 points in the stated range, reproducibly', () => {
    const a = nguyenProblem(spec('nguyen-7'), 0);
    expect(a.y).toHaveLength(20);
    expect(a.X[0].every((x) => x >= 0 && x <= 2)).toBe(true);
    expect(nguyenProblem(spec('nguyen-7'), 0)).toEqual(a);
    expect(nguyenProblem(spec('nguyen-7'), 1).X).not.toEqual(a.X);
  });
});

describe('symreg-nguyen task', () => {
  it('is registered, loads 12 problems and verifies answers three ways', async () => {
    const task = getTask('symreg-nguyen');
    const ps = await task.problems({ split: 'test' });
    expect(ps.map((p) => p.id.split('/')[2])).toEqual(NGUYEN.map((s) => s.name));
    const p5 = ps[4];
    expect(task.extractAnswer('blah\nanswer: sin(x*x)*cos(x) - 1', p5)).toBe('sin(x*x)*cos(x) - 1');
    expect((await task.verify('sin(x*x)*cos(x) - 1', p5)).verdict).toBe('correct');
    expect((await task.verify('sin(x*x)*cos(x)', p5)).verdict).toBe('wrong');
    expect((await task.verify('sin(x*', p5)).verdict).toBe('unparseable');
    expect((await task.verify(null, p5)).verdict).toBe('unparseable');
    expect(task.sameAnswer('x^y', 'exp(y*log(x))', ps[10])).toBe(true);
    await expect(task.problems({ split: 'train' })).rejects.toThrow(/only the "test" split/);
  });
});
