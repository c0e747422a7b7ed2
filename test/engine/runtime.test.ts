import { describe, expect, it } from 'vitest';
import { ensureRuntime, installIteratorHelpers } from '../../src/engine/runtime.js';

describe('engine runtime', () => {
  it('provides the iterator helpers jax-js needs on Node 20', () => {
    installIteratorHelpers();
    function* g() {
      yield 1;
      yield 2;
      yield 3;
    }
    type H = Iterator<number> & {
      map(f: (x: number) => number): H;
      filter(f: (x: number) => boolean): H;
      take(n: number): H;
      drop(n: number): H;
      flatMap(f: (x: number) => number[]): H;
      toArray(): number[];
      reduce(f: (a: number, b: number) => number, init?: number): number;
      some(f: (x: number) => boolean): boolean;
      every(f: (x: number) => boolean): boolean;
      find(f: (x: number) => boolean): number | undefined;
    };
    const it = () => g() as unknown as H;
    expect(
      it()
        .map((x) => x * 2)
        .filter((x) => x > 2)
        .toArray(),
    ).toEqual([4, 6]);
    expect(it().take(2).toArray()).toEqual([1, 2]);
    expect(
      it()
        .drop(1)
        .reduce((a, b) => a + b),
    ).toBe(5);
    expect(it().reduce((a, b) => a + b, 10)).toBe(16);
    expect(
      it()
        .flatMap((x) => [x, x])
        .toArray(),
    ).toEqual([1, 1, 2, 2, 3, 3]);
    expect(it().some((x) => x === 3) && it().every((x) => x > 0) && it().find((x) => x > 1) === 2).toBe(true);
  });

  it('starts the wasm backend once', async () => {
    await expect(Promise.all([ensureRuntime(), ensureRuntime()])).resolves.toBeDefined();
  });
});
