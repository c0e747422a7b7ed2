/**
 * The GenRM critique protocol (src/rewards/genrm/critique.ts): the teacher's critique of each kind
 * of step, its verdict against the rule verifier on many solver paths and corrupted ones, the judge
 * prompt, and the verdict parser (unparseable replies included).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import {
  critiqueText,
  genrmRules,
  judgePrompt,
  parseJudgement,
  teacherCritique,
  verdictProbability,
  wellFormedCritique,
} from '../../src/rewards/genrm/index.js';
import type { Completion } from '../../src/models/types.js';
import { countdownClassicTask, countdownTask } from '../../src/tasks/games/countdown.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { Problem, Task } from '../../src/tasks/types.js';

const rules24 = genrmRules('game24', 24);

describe('teacher critique', () => {
  it('recomputes every step of a correct solution and says Y', () => {
    const t = teacherCritique([4, 4, 6, 8], ['4+8=12 (4 6 12)', '6-4=2 (12 2)', '12*2=24 (24)'], rules24);
    expect(t.text).toBe('12 (4 6 12) ok;2 (12 2) ok;24 (24) ok#Y');
    expect(t.verdict).toBe('correct');
  });

  it('keeps the candidate order of the numbers left when they match as a multiset', () => {
    const t = teacherCritique([4, 4, 6, 8], ['4+8=12 (12 6 4)', '6-4=2 (2 12)', '12*2=24 (24)'], rules24);
    expect(t.entries.map((e) => e.text)).toEqual(['12 (12 6 4) ok', '2 (2 12) ok', '24 (24) ok']);
  });

  it('writes the true result and stops at a faked last step', () => {
    const t = teacherCritique([4, 4, 6, 8], ['4+8=12 (4 6 12)', '6-4=2 (12 2)', '12+2=24 (24)'], rules24);
    expect(t.text).toBe('12 (4 6 12) ok;2 (12 2) ok;14 (14) no#N');
  });

  it('writes the true numbers left when the claimed list is wrong, and stops there', () => {
    const t = teacherCritique([4, 4, 6, 8], ['4+8=12 (4 4 12)', '6-4=2 (12 2)'], rules24);
    expect(t.text).toBe('12 (4 6 12) no#N');
    expect(t.entries).toHaveLength(1);
  });

  it('marks an operand that is not available, an unreadable step and a division by zero as "? no"', () => {
    expect(teacherCritique([4, 4, 6, 8], ['7+8=15 (4 4 6 15)'], rules24).text).toBe('? no#N');
    expect(teacherCritique([4, 4, 6, 8], ['four and eight'], rules24).text).toBe('? no#N');
    expect(teacherCritique([0, 4, 6, 8], ['4/0=4 (6 8 4)'], rules24).text).toBe('? no#N');
  });

  it('says N when valid steps end without reaching the target, or stop early, or are empty', () => {
    expect(teacherCritique([4, 4, 6, 8], ['4+8=12 (4 6 12)', '6+4=10 (12 10)', '12+10=22 (22)'], rules24).text).toBe(
      '12 (4 6 12) ok;10 (12 10) ok;22 (22) ok#N',
    );
    expect(teacherCritique([4, 4, 6, 8], ['4+8=12 (4 6 12)'], rules24).text).toBe('12 (4 6 12) ok#N');
    expect(teacherCritique([4, 4, 6, 8], [], rules24).text).toBe('#N');
  });

  it('reads fractions as the rules do', () => {
    const t = teacherCritique([2, 2, 3, 6], ['2*6=12 (2 3 12)', '2/12=1/6 (3 1/6)', '3/1/6=24 (24)'], rules24);
    expect(t.text).toBe('12 (2 3 12) ok;1/6 (3 1/6) ok;18 (18) no#N');
  });

  it('follows the integer rule of classic Countdown', () => {
    const rules = genrmRules('countdown-classic', 10);
    expect(teacherCritique([3, 2, 5], ['3/2=3/2 (5 3/2)'], rules).text).toBe('? no#N');
    expect(teacherCritique([3, 2, 5], ['5*2=10 (3 10)'], rules).text).toBe('10 (3 10) ok#Y');
  });

  it('refuses tasks it has no protocol for', () => {
    expect(() => genrmRules('gsm8k', 1)).toThrow(/no critique protocol/);
  });

  // The class, not the example: on solver paths and on random corruptions of them, the teacher's
  // verdict equals the task's rule verifier on the same transcript.
  const corrupt = (steps: string[], rng: Rng): string[] => {
    const out = [...steps];
    const k = rng.int(0, out.length - 1);
    const kind = rng.int(0, 3);
    if (kind === 0) out[k] = out[k].replace(/=(-?\d+)/, (_, v: string) => `=${Number(v) + rng.int(1, 3)}`);
    else if (kind === 1) out[k] = out[k].replace(/\(([^()]*)\)/, (_, l: string) => `(${l} 1)`);
    else if (kind === 2) out.splice(k, 1);
    else out[k] = out[k].replace(/[+*]/, '-');
    return out;
  };
  for (const [name, task] of [
    ['game24', game24Task],
    ['countdown', countdownTask],
    ['countdown-classic', countdownClassicTask],
  ] as [string, Task<Problem>][]) {
    it(`agrees with the rule verifier of ${name} on solver paths and corrupted ones`, async () => {
      const problems = await task.problems({ split: name === 'game24' ? 'train' : 'test', limit: 60 });
      const rng = new Rng(7);
      let checked = 0;
      let wrong = 0;
      for (const p of problems) {
        const path = task.solve!(p, rng);
        if (!path) continue;
        for (const steps of [path, corrupt(path, rng), corrupt(path, rng)]) {
          const data = p.data as { numbers: number[]; target: number };
          const t = teacherCritique(data.numbers, steps, genrmRules(name, data.target));
          const v = await task.verify(task.extractAnswer(steps.join('\n'), p), p);
          expect(t.verdict === 'correct', `${p.id}: ${steps.join(' / ')} -> ${t.text}`).toBe(v.correct);
          expect(wellFormedCritique(parseJudgement(t.text)) || t.entries.length === 0).toBe(true);
          checked++;
          if (!v.correct) wrong++;
        }
      }
      expect(checked).toBeGreaterThan(100);
      expect(wrong).toBeGreaterThan(20);
    });
  }
});

describe('judge prompt', () => {
  it('joins the candidate steps after the policy prompt and ends with ">"', () => {
    expect(judgePrompt('4 4 6 8|', ['4+8=12 (4 6 12)', ' 6-4=2 (12 2) '])).toBe('4 4 6 8|4+8=12 (4 6 12);6-4=2 (12 2)>');
  });

  it('shows characters outside the candidate alphabet as "?"', () => {
    expect(judgePrompt('4 4 6 8|', ['4×8=32 (4 6 32)', 'so;Y#'])).toBe('4 4 6 8|4?8=32 (4 6 32);?????>');
  });
});

describe('verdict parser', () => {
  it('reads Y and N after the critique', () => {
    const y = parseJudgement('12 (4 6 12) ok;2 (12 2) ok;24 (24) ok#Y');
    expect(y.verdict).toBe('correct');
    expect(y.entries.map((e) => e.ok)).toEqual([true, true, true]);
    expect(wellFormedCritique(y)).toBe(true);
    expect(parseJudgement('14 (14) no#N').verdict).toBe('wrong');
    expect(parseJudgement('  ? no#N \n').verdict).toBe('wrong');
  });

  it('calls a reply without exactly one verdict token unparseable, with the reason', () => {
    const cases: [string, RegExp][] = [
      ['12 (4 6 12) ok;2 (12 2) ok', /no verdict mark/],
      ['', /no verdict mark/],
      ['12 (4 6 12) ok#Y#N', /more than one verdict mark/],
      ['12 (4 6 12) ok#', /must be "Y" or "N"/],
      ['12 (4 6 12) ok#YN', /must be "Y" or "N"/],
      ['12 (4 6 12) ok#Y 24', /must be "Y" or "N"/],
      ['12 (4 6 12) ok#n', /must be "Y" or "N"/],
    ];
    for (const [reply, reason] of cases) {
      const j = parseJudgement(reply);
      expect(j.verdict, reply).toBeNull();
      expect(j.reason, reply).toMatch(reason);
    }
  });

  it('still reads the verdict of a malformed critique, and reports it as not well formed', () => {
    const j = parseJudgement('12 (4 6 ok;bla#Y');
    expect(j.verdict).toBe('correct');
    expect(wellFormedCritique(j)).toBe(false);
  });

  it('round-trips every critique the teacher writes', () => {
    const entries = [
      { text: '12 (4 6 12)', ok: true },
      { text: '? no', ok: false },
    ].map((e) => ({ text: e.ok ? `${e.text} ok` : e.text, ok: e.ok }));
    for (const verdict of ['correct', 'wrong'] as const) {
      const j = parseJudgement(critiqueText(entries, verdict));
      expect(j.verdict).toBe(verdict);
      expect(j.entries).toEqual(entries);
    }
  });
});

describe('verdict probability', () => {
  const completion = (tokens: string[], top: { token: string; logprob: number }[][]): Completion => ({
    text: tokens.join(''),
    tokens,
    topLogprobs: top,
    finishReason: 'eos',
    usage: { promptTokens: 1, completionTokens: tokens.length },
  });

  it('is P(Y) / (P(Y) + P(N)) at the verdict token', () => {
    const c = completion(
      ['?', ' ', 'n', 'o', '#', 'N'],
      [
        [],
        [],
        [],
        [],
        [],
        [
          { token: 'N', logprob: Math.log(0.6) },
          { token: 'Y', logprob: Math.log(0.3) },
          { token: '1', logprob: Math.log(0.1) },
        ],
      ],
    );
    expect(verdictProbability(c, parseJudgement(c.text))).toBeCloseTo(1 / 3, 6);
  });

  it('is NaN for an unreadable verdict, and the verdict itself without top log-probs', () => {
    const bad = completion(['1', '2'], [[], []]);
    expect(verdictProbability(bad, parseJudgement(bad.text))).toBeNaN();
    const plain: Completion = { text: '? no#N', finishReason: 'eos', usage: { promptTokens: 1, completionTokens: 6 } };
    expect(verdictProbability(plain, parseJudgement(plain.text))).toBe(0);
    const missingN = completion(['#', 'Y'], [[], [{ token: 'Y', logprob: Math.log(0.9) }]]);
    expect(verdictProbability(missingN, parseJudgement(missingN.text))).toBe(1);
  });
});

describe('critique style "operation"', () => {
  it('restates each step before the true result, and is still well formed', () => {
    const t = teacherCritique([4, 4, 6, 8], ['4+8=12 (4 6 12)', '6-4=2 (12 2)', '12+2=24 (24)'], rules24, 'operation');
    expect(t.text).toBe('4+8=12 (4 6 12) ok;6-4=2 (12 2) ok;12+2=14 (14) no#N');
    expect(wellFormedCritique(parseJudgement(t.text))).toBe(true);
    expect(teacherCritique([2, 2, 3, 6], ['2*6=12 (2 3 12)', '2/12=1/6 (3 1/6)', '3/1/6=24 (24)'], rules24, 'operation').text).toBe(
      '2*6=12 (2 3 12) ok;2/12=1/6 (3 1/6) ok;3/1/6=18 (18) no#N',
    );
    expect(teacherCritique([4, 4, 6, 8], ['7+8=15 (4 4 6 15)'], rules24, 'operation').text).toBe('? no#N');
  });
});
