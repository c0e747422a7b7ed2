/**
 * Unparseable answers are counted apart from wrong ones: `verdictOf` for any task, the eval report's
 * verdict counts and table line, and the RL reward's `unparseable` flag.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, renderReport } from '../../src/eval/index.js';
import { verifierReward } from '../../src/training/rewards.js';
import { countVerdicts, getTask, verdictOf } from '../../src/tasks/index.js';

describe('verdicts', () => {
  it("verdictOf: the verification's own verdict, else correct / unparseable (no answer) / wrong", () => {
    expect(verdictOf({ correct: false, verdict: 'unparseable' }, 'x')).toBe('unparseable');
    expect(verdictOf({ correct: true }, '3')).toBe('correct');
    expect(verdictOf({ correct: false }, null)).toBe('unparseable');
    expect(verdictOf({ correct: false }, '  ')).toBe('unparseable');
    expect(verdictOf({ correct: false }, '4')).toBe('wrong');
    expect(countVerdicts(['correct', 'wrong', 'unparseable', 'wrong', undefined])).toEqual({ correct: 1, wrong: 2, unparseable: 1 });
  });

  it('the eval report counts and prints unparseable samples apart from wrong ones', () => {
    const records = [
      {
        problemId: 'a',
        samples: [
          { answer: '1', correct: true },
          { answer: null, correct: false },
        ],
      },
      {
        problemId: 'b',
        samples: [
          { answer: '2', correct: false, verdict: 'wrong' as const },
          { answer: '\\sum', correct: false, verdict: 'unparseable' as const },
        ],
      },
    ];
    const r = buildReport(records, { task: 't', strategy: 's', model: 'm', ks: [1], same: (x, y) => x === y });
    expect(r.verdicts).toEqual({ correct: 1, wrong: 1, unparseable: 2 });
    expect(r.perProblem.map((p) => p.unparseable)).toEqual([1, 1]);
    expect(renderReport(r)).toMatch(/answers: 1 correct, 1 wrong, 2 unparseable/);
  });

  it('the RL verifier reward flags unparseable completions', async () => {
    const task = getTask('prontoqa:easy');
    const [p] = await task.problems({ split: 'test', limit: 1 });
    const out = await verifierReward(task)([
      { problem: p, completion: task.renderPlain(p, task.solve!(p)!), tokens: 10 },
      { problem: p, completion: 'I am not sure', tokens: 4 },
      { problem: p, completion: `answer: ${p.answer === 'True' ? 'False' : 'True'}`, tokens: 3 },
    ]);
    expect(out.map((r) => [r.correct, r.unparseable])).toEqual([
      [true, false],
      [false, true],
      [false, false],
    ]);
  });
});
