/**
 * The grader on its own case suite (test/tasks/grader-cases.ts): every class of issue 16 —
 * extraction, number formats, relations, structures, the tuple regression, units and text,
 * double escaping, tolerance, symbolic checks — with the three-way verdict, through both
 * `gradeSync` and the worker-backed `MathGrader` (which must agree).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MathGrader, gradeSync } from '../../src/tasks/grader/index.js';
import { CLASSES } from './grader-cases.js';
import { CONVENTIONS } from './grader-public-conventions.js';

describe.each(Object.entries(CLASSES))('grader class: %s', (_cls, cases) => {
  for (const [gold, pred, want, options] of cases) {
    it(`${JSON.stringify(gold)} vs ${JSON.stringify(pred.length > 80 ? `${pred.slice(0, 77)}...` : pred)} -> ${want}${options ? ` ${JSON.stringify(options)}` : ''}`, () => {
      const r = gradeSync(gold, pred, options);
      expect(r.verdict, `${r.reason}; gold ${r.gold.normalized}, pred ${r.pred.normalized} (${r.pred.method})`).toBe(want);
      expect(r.correct).toBe(want === 'correct');
      expect(r.reason.length).toBeGreaterThan(0);
    });
  }
});

// The answer conventions of Qwen2.5-Math's evaluator, lm-evaluation-harness, PRM800K and
// simple-evals (test/tasks/grader-public-conventions.ts): expected true must be `correct`,
// expected false must not be.
describe.each(Object.entries(CONVENTIONS))('grader conventions: %s', (_cls, cases) => {
  for (const [gold, pred, expected, options] of cases) {
    it(`${JSON.stringify(gold)} vs ${JSON.stringify(pred.length > 80 ? `${pred.slice(0, 77)}...` : pred)} -> ${expected ? 'correct' : 'not correct'}${options ? ` ${JSON.stringify(options)}` : ''}`, () => {
      const r = gradeSync(gold, pred, options);
      expect(
        r.verdict === 'correct',
        `${r.verdict}: ${r.reason}; gold ${r.gold.normalized}, pred ${r.pred.normalized} (${r.pred.method})`,
      ).toBe(expected);
    });
  }
});

describe('MathGrader agrees with gradeSync on the whole suite', () => {
  const grader = new MathGrader({ timeoutMs: 10_000 });
  afterAll(() => grader.close());
  it('same verdict for every case', async () => {
    const all = Object.values(CLASSES).flat();
    const got = await Promise.all(all.map(([g, p, , o]) => grader.grade(g, p, o)));
    const mismatches = all.flatMap((c, i) => (got[i].verdict !== c[2] ? [`${c[0]} vs ${c[1]}: ${got[i].verdict}`] : []));
    expect(mismatches).toEqual([]);
  }, 60_000);
});

describe('three-way verdict', () => {
  it('says unparseable, not wrong, when nothing can be read', () => {
    expect(gradeSync('5', 'I could not solve this.').verdict).toBe('unparseable');
    expect(gradeSync('5', 'I could not solve this.').reason).toMatch(/no answer/);
    expect(gradeSync('', '\\boxed{5}').verdict).toBe('unparseable');
    expect(gradeSync('\\frac{1}{2}', '\\boxed{\\sum_{k=0}^n\\bigl(k\\bigr) \\# @@}').verdict).not.toBe('correct');
  });
  it('names the extraction rule that found the answer', () => {
    expect(gradeSync('3', 'so \\boxed{3}').reason).toMatch(/^boxed:/);
    expect(gradeSync('3', 'The answer is 3.').reason).toMatch(/^answer-is:/);
    expect(gradeSync('3', 'we got 3').reason).toMatch(/^last-number:/);
  });
});
