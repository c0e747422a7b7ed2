/** The scale-on-paper simulation (src/training/async/simulate.ts) against cases worked by hand. */
import { describe, expect, it } from 'vitest';
import { simulateAsync } from '../../src/training/async/simulate.js';

const costs = { generate: 2, reference: 1, proximal: 1, load: 0.5, train: 4 };

describe('simulateAsync', () => {
  it('eta = 0, one worker: the synchronous loop, load + generate + reference + train per step, no proximal forward', () => {
    const r = simulateAsync(costs, 1, 0, 50);
    expect(r.stepS).toBeCloseTo(0.5 + 2 + 1 + 4, 6);
    expect(r.staleness).toBe(0);
  });

  it('eta = 1, one worker: generation overlaps the update; the proximal forward and a load stay on the critical path', () => {
    const r = simulateAsync(costs, 1, 1, 50);
    // per step: train 4, then the worker loads version j-1 (0.5) and scores the proximal forward (1)
    expect(r.stepS).toBeCloseTo(4 + 0.5 + 1, 6);
    expect(r.staleness).toBeCloseTo(1, 1);
  });

  it('more workers stop helping once the trainer is the bottleneck', () => {
    const two = simulateAsync(costs, 2, 1, 50).stepS;
    const eight = simulateAsync(costs, 8, 1, 50).stepS;
    expect(two).toBeCloseTo(4 + 0.5 + 0.5, 6);
    expect(eight).toBeGreaterThanOrEqual(4);
    expect(eight).toBeLessThan(two);
  });
});
