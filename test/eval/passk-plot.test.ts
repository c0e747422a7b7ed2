/** pass@k curves (unbiased estimator, Chen et al. 2021) and the SVG plot of `rlmkit eval --curve`. */
import { describe, expect, it } from 'vitest';
import { crossover, passAtKCurve, passAtKSvg, powersOfTwoUpTo } from '../../src/eval/passk-plot.js';

describe('pass@k curve', () => {
  it('k = 1, 2, 4 ... n', () => {
    expect(powersOfTwoUpTo(256)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
    expect(powersOfTwoUpTo(6)).toEqual([1, 2, 4, 6]);
    expect(() => powersOfTwoUpTo(0)).toThrow(/positive integer/);
  });

  it('averages the unbiased estimator over problems', () => {
    // problem A: n = 4, c = 1 -> pass@1 = 1/4, pass@2 = 1 - C(3,2)/C(4,2) = 1/2, pass@4 = 1; problem B never solved
    const curve = passAtKCurve(
      [
        { n: 4, correct: 1 },
        { n: 4, correct: 0 },
      ],
      [1, 2, 4],
    );
    expect(curve.map((p) => p.k)).toEqual([1, 2, 4]);
    expect(curve[0].passAtK).toBeCloseTo(0.125, 12);
    expect(curve[1].passAtK).toBeCloseTo(0.25, 12);
    expect(curve[2].passAtK).toBeCloseTo(0.5, 12);
    expect(() => passAtKCurve([{ n: 2, correct: 1 }], [4])).toThrow(/only 2 samples/);
  });

  it('finds where two curves change order', () => {
    const rl = [
      { k: 1, passAtK: 0.5 },
      { k: 2, passAtK: 0.6 },
      { k: 4, passAtK: 0.7 },
    ];
    const sft = [
      { k: 1, passAtK: 0.3 },
      { k: 2, passAtK: 0.6 },
      { k: 4, passAtK: 0.8 },
    ];
    expect(crossover(rl, sft)).toBe(4);
    expect(crossover(rl, rl)).toBeNull();
    expect(crossover(rl, sft.slice(0, 2))).toBeNull();
  });

  it('draws one polyline per policy, a legend with escaped labels and the crossover', () => {
    const svg = passAtKSvg(
      [
        {
          label: 'SFT <base>',
          points: [
            { k: 1, passAtK: 0.3 },
            { k: 4, passAtK: 0.8 },
          ],
        },
        {
          label: 'RL',
          points: [
            { k: 1, passAtK: 0.5 },
            { k: 4, passAtK: 0.7 },
          ],
        },
      ],
      { title: 'pass@k' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('SFT &lt;base&gt;');
    expect(svg).toContain('curves cross by k = 4');
    expect(() => passAtKSvg([])).toThrow(/needs points/);
  });
});
