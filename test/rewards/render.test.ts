/**
 * The render reward (src/rewards/render.ts): RLRF's length term, weights, zero for SVG that cannot
 * be rendered, the `render` term of the YAML registry on svg-render problems and on any problem
 * that carries a target picture, and the RL reward built from a recipe's config.
 */
import { describe, expect, it } from 'vitest';
import { buildReward, parseRewardConfig } from '../../src/rewards/registry.js';
import { lengthReward, renderReward } from '../../src/rewards/render.js';
import { getTask } from '../../src/tasks/registry.js';
import type { SvgProblem } from '../../src/tasks/svg/task.js';
import { resolveReward } from '../../src/training/rewards.js';

const target = { target: '##....../##....../......../......../......../......../......../........' };
const exact = '<svg viewBox="0 0 8 8"><rect x="0" y="0" width="2" height="2"/></svg>';
const half = '<svg viewBox="0 0 8 8"><rect x="0" y="0" width="1" height="2"/></svg>';

describe('render reward', () => {
  it("RLRF's length term: no penalty up to half the reference, then quadratic, clipped at 0", () => {
    expect(lengthReward(40, 100)).toBe(1);
    expect(lengthReward(50, 100)).toBe(1);
    expect(lengthReward(100, 100)).toBeCloseTo(1 - 0.5 ** 2, 12);
    expect(lengthReward(130, 100)).toBeCloseTo(1 - 0.8 ** 2, 12);
    expect(lengthReward(1000, 100)).toBe(0);
  });

  it('weights IoU, SSIM, length and validity; invalid SVG scores 0 whatever the weights', () => {
    expect(renderReward(exact, target).total).toBe(1);
    expect(renderReward(`some words ${half} more`, target).iou).toBeCloseTo(0.5, 12);
    const r = renderReward(
      exact,
      { ...target, referenceLength: exact.length },
      { iouWeight: 1, ssimWeight: 0.5, lengthWeight: 0.2, validWeight: 0.1 },
    );
    expect(r.total).toBeCloseTo(1 + 0.5 * r.ssim + 0.2 * lengthReward(exact.length, exact.length) + 0.1, 12);
    for (const bad of [
      'no svg here',
      '<svg viewBox="0 0 8 8"><rect',
      `<!DOCTYPE x [<!ENTITY a "b">]><svg viewBox="0 0 8 8"><text>&a;</text></svg>`,
    ])
      expect(renderReward(bad, target, { validWeight: 5, lengthWeight: 5 })).toMatchObject({ total: 0, valid: false });
  });

  it('is a term of the YAML registry, for svg-render problems and any problem with data.target', async () => {
    const reward = buildReward('terms:\n  - { type: render, iouWeight: 1, validWeight: 0.1 }\n', { task: getTask('svg-render') });
    const [p] = await getTask<SvgProblem>('svg-render').problems({ split: 'test', limit: 1 });
    const solved = getTask<SvgProblem>('svg-render').solve!(p)!.join('\n');
    expect((await reward.evaluate({ problem: p, completion: solved })).total).toBeCloseTo(1.1, 12);
    const plain = buildReward({ terms: [{ type: 'render' }] });
    expect((await plain.evaluate({ problem: { id: 'x', question: '', data: target }, completion: half })).total).toBeCloseTo(0.5, 12);
    await expect(plain.evaluate({ problem: { id: 'x', question: '', data: {} }, completion: half })).rejects.toThrow(
      /needs a target picture/,
    );
    expect(() => parseRewardConfig({ terms: [{ type: 'render', iouWieght: 1 }] })).toThrow(/iouWieght|Unrecognized/);
  });

  it('drives RL rewards from a recipe config: graded by IoU, correct only for an exact picture', async () => {
    const task = getTask<SvgProblem>('svg-render');
    const [p] = await task.problems({ split: 'test', limit: 1 });
    const fn = resolveReward({ terms: [{ type: 'render' }] }, task);
    const full = '<svg viewBox="0 0 8 8"><rect x="0" y="0" width="8" height="8"/></svg>';
    const [a, b, c] = await fn([
      { problem: p, completion: task.solve!(p)!.join('\n'), tokens: 50 },
      { problem: p, completion: full, tokens: 50 },
      { problem: p, completion: 'garbage', tokens: 7 },
    ]);
    expect(a).toMatchObject({ score: 1, correct: true });
    expect(b.score).toBeGreaterThan(0);
    expect(b.score).toBeLessThan(1);
    expect(b.correct).toBe(false);
    expect(c).toMatchObject({ score: 0, correct: false, unparseable: true });
  });
});
