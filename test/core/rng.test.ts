import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.js';

describe('Rng', () => {
  it('is deterministic under a seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    const ys = Array.from({ length: 1000 }, () => b.next());
    expect(xs).toEqual(ys);
    expect(new Rng(43).next()).not.toBe(xs[0]);
  });

  it('forks independent, reproducible streams without advancing the parent', () => {
    const a = new Rng(1);
    const before = a.getState();
    const f1 = a.fork('sampler');
    const f2 = new Rng(1).fork('sampler');
    expect(a.getState()).toEqual(before);
    expect([f1.next(), f1.next()]).toEqual([f2.next(), f2.next()]);
    expect(new Rng(1).fork('other').next()).not.toBe(new Rng(1).fork('sampler').next());
  });

  it('produces roughly uniform floats in [0, 1) and unbiased ints', () => {
    const r = new Rng(7);
    const n = 20000;
    let sum = 0;
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
      counts[r.int(0, 5)]++;
    }
    expect(sum / n).toBeGreaterThan(0.49);
    expect(sum / n).toBeLessThan(0.51);
    for (const c of counts) expect(Math.abs(c - n / 6)).toBeLessThan((n / 6) * 0.08);
  });

  it('samples normals with the right moments and categorical by weight', () => {
    const r = new Rng(3);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const counts = [0, 0, 0];
    for (let i = 0; i < 10000; i++) counts[r.categorical([1, 0, 3])]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.6);
    expect(counts[2] / counts[0]).toBeLessThan(3.4);
  });

  it('restores its state exactly', () => {
    const r = new Rng(9);
    r.normal();
    const s = r.getState();
    const xs = [r.next(), r.normal(), r.int(0, 100)];
    r.setState(s);
    expect([r.next(), r.normal(), r.int(0, 100)]).toEqual(xs);
  });

  it('shuffles as a permutation', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const ys = new Rng(5).shuffle([...xs]);
    expect([...ys].sort((a, b) => a - b)).toEqual(xs);
    expect(ys).not.toEqual(xs);
    expect(() => new Rng(1).pick([])).toThrow();
    expect(() => new Rng(NaN)).toThrow();
  });
});
