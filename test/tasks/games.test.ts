import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { allSolutions, bruteForceSolvable, evaluateExpression, legalMoves } from '../../src/tasks/games/combine.js';
import { countdownClassicTask, countdownTask } from '../../src/tasks/games/countdown.js';
import { game24Task, generateGame24 } from '../../src/tasks/games/game24.js';
import type { NumberGameProblem } from '../../src/tasks/games/number-game.js';
import { rat } from '../../src/tasks/games/rational.js';

const p24 = (numbers: number[]): NumberGameProblem => ({ id: 'x', question: '', data: { numbers, target: 24 } });
const rules24 = { useAll: true, integerOnly: false, target: rat(24) };

describe('Game of 24', () => {
  it('loads the Tree-of-Thoughts split: test = ranks 901-1000, train = the other 1262', async () => {
    const test = await game24Task.problems({ split: 'test' });
    const train = await game24Task.problems({ split: 'train' });
    expect(test.length).toBe(100);
    expect(train.length).toBe(1262);
    expect(test[0].id).toBe('game24/test/901');
    expect(test[99].id).toBe('game24/test/1000');
    const testIds = new Set(test.map((p) => p.id.split('/').pop()));
    expect(train.some((p) => testIds.has(p.id.split('/').pop()))).toBe(false);
  });

  it('renders the calibration step format and accepts its example', () => {
    const p = p24([4, 4, 6, 8]);
    const steps = ['4+8=12 (4 6 12)', '6-4=2 (12 2)', '12*2=24 (24)'];
    expect(game24Task.renderPlain(p, steps)).toBe('4 4 6 8|4+8=12 (4 6 12)\n6-4=2 (12 2)\n12*2=24 (24)\n');
    expect(game24Task.checkStep!(p, steps.slice(0, 1))).toEqual({ valid: true, terminal: false });
    const end = game24Task.checkStep!(p, steps);
    expect(end.valid && end.terminal).toBe(true);
    expect(end.answer).toBe('(4+8)*(6-4)');
  });

  it('recomputes every step and never trusts the model', () => {
    const p = p24([4, 4, 6, 8]);
    const bad = (steps: string[]) => game24Task.checkStep!(p, steps);
    expect(bad(['4+8=13 (4 6 13)']).valid).toBe(false); // wrong arithmetic
    expect(bad(['4+8=12 (4 6 13)']).valid).toBe(false); // wrong numbers left
    expect(bad(['4+8=12 (6 12)']).valid).toBe(false); // a number dropped
    expect(bad(['5+8=13 (4 4 6 13)']).valid).toBe(false); // 5 is not available
    expect(bad(['8+8=16 (4 4 6 16)']).valid).toBe(false); // 8 used twice
    expect(bad(['4+8=12']).valid).toBe(false); // no list of numbers left
    expect(bad(['4-4=0 (6 8 0)', '6/0=0 (8 0)']).valid).toBe(false); // division by zero
    expect(bad(['4+8=13 (4 6 13)', '13+4=17 (6 17)']).reason).toMatch(/step 1 is already invalid/);
    // Order of the numbers left does not matter; fractions are exact.
    expect(bad(['4+8=12 (12 6 4)']).valid).toBe(true);
    const q = p24([1, 5, 5, 5]);
    expect(game24Task.checkStep!(q, ['1/5=1/5 (5 5 1/5)', '5-1/5=24/5 (5 24/5)', '5*24/5=24 (24)']).terminal).toBe(true);
  });

  it('verifier rejects invalid expressions', async () => {
    const p = p24([4, 4, 6, 8]);
    const v = async (a: string | null) => (await game24Task.verify(a, p)).correct;
    expect(await v('(4+8)*(6-4)')).toBe(true);
    expect(await v('(4 + 8) * (6 - 4) = 24')).toBe(true);
    expect(await v('(8+8)*(6-4)-8')).toBe(false); // 8 reused, 4 unused
    expect(await v('(4+8)*(7-5)')).toBe(false); // wrong numbers
    expect(await v('4*6')).toBe(false); // numbers left unused
    expect(await v('(4+8)*6/(4-4)')).toBe(false); // division by zero
    expect(await v('4*8-6-4')).toBe(false); // = 18
    expect(await v('(4+8)*(6-4) + 0*x')).toBe(false);
    expect(await v('')).toBe(false);
    expect(await v(null)).toBe(false);
  });

  it('extracts answers from transcripts, answer tags and final lines', () => {
    const p = p24([4, 4, 6, 8]);
    expect(game24Task.extractAnswer('4 4 6 8|4+8=12 (4 6 12)\n6-4=2 (12 2)\n12*2=24 (24)\n', p)).toBe('(4+8)*(6-4)');
    expect(game24Task.extractAnswer('4 4 6 8|4+8=13 (4 6 13)\n', p)).toBeNull();
    expect(game24Task.extractAnswer('thinking... <answer>(4+8)*(6-4)</answer>', p)).toBe('(4+8)*(6-4)');
    expect(game24Task.extractAnswer('Answer: (4 + 8) * (6 - 4) = 24', p)).toBe('(4 + 8) * (6 - 4)');
  });

  it('legal steps are exactly the valid next steps', () => {
    const p = p24([4, 4, 6, 8]);
    const steps = game24Task.legalSteps!(p, ['4+8=12 (4 6 12)']);
    expect(steps.length).toBeGreaterThan(10);
    for (const s of steps) expect(game24Task.checkStep!(p, ['4+8=12 (4 6 12)', s]).valid, s).toBe(true);
    expect(game24Task.legalSteps!(p, ['4+8=12 (4 6 12)', '6-4=2 (12 2)', '12*2=24 (24)'])).toEqual([]);
  });

  it('the solver enumerates valid paths and agrees with brute force on every test puzzle', async () => {
    const test = await game24Task.problems({ split: 'test' });
    for (const p of test) {
      const start = p.data.numbers.map((n) => rat(n));
      const paths = allSolutions(start, rules24);
      expect(paths.length > 0, p.id).toBe(bruteForceSolvable(start, rules24));
      for (const path of paths.slice(0, 3)) {
        const end = game24Task.checkStep!(p, path);
        expect(end.valid && end.terminal, `${p.id} ${path.join(' | ')}`).toBe(true);
        expect((await game24Task.verify(end.answer!, p)).correct).toBe(true);
      }
    }
  });

  it('knows unsolvable puzzles and samples paths with an Rng', () => {
    expect(game24Task.solve!(p24([1, 1, 1, 1]))).toBeNull();
    expect(
      bruteForceSolvable(
        [1, 1, 1, 1].map((n) => rat(n)),
        rules24,
      ),
    ).toBe(false);
    const a = game24Task.solve!(p24([4, 4, 6, 8]), new Rng(3));
    const b = game24Task.solve!(p24([4, 4, 6, 8]), new Rng(3));
    expect(a).toEqual(b);
  });

  it('generates solvable puzzles reproducibly', () => {
    const a = generateGame24(20, 7);
    expect(a).toEqual(generateGame24(20, 7));
    for (const p of a) expect(game24Task.solve!(p)).not.toBeNull();
  });
});

describe('Countdown', () => {
  it('generates solvable train/test puzzles with disjoint splits', async () => {
    const test = await countdownTask.problems({ split: 'test', limit: 40 });
    const train = await countdownTask.problems({ split: 'train', limit: 200 });
    const key = (p: NumberGameProblem) => `${[...p.data.numbers].sort().join(',')}>${p.data.target}`;
    const testKeys = new Set((await countdownTask.problems({ split: 'test' })).map(key));
    expect(train.some((p) => testKeys.has(key(p)))).toBe(false);
    for (const p of test) {
      const start = p.data.numbers.map((n) => rat(n));
      const rules = { useAll: true, integerOnly: false, target: rat(p.data.target) };
      expect(bruteForceSolvable(start, rules)).toBe(true);
      const sol = countdownTask.solve!(p);
      expect(sol, p.id).not.toBeNull();
      expect(countdownTask.checkStep!(p, sol!).terminal).toBe(true);
    }
  });

  it('TinyZero rules: every number exactly once, exact evaluation', async () => {
    const p: NumberGameProblem = { id: 'c', question: '', data: { numbers: [3, 5, 7], target: 22 } };
    expect((await countdownTask.verify('3*5+7', p)).correct).toBe(true);
    expect((await countdownTask.verify('3*5+7+0', p)).correct).toBe(false);
    expect((await countdownTask.verify('5*5-3', p)).correct).toBe(false); // 5 twice
    expect((await countdownTask.verify('3*7+1', p)).correct).toBe(false); // 1 not given
    expect((await countdownTask.verify('7*3+5/5', p)).correct).toBe(false);
    expect(countdownTask.extractAnswer('<think>...</think><answer>(3*5)+7</answer>', p)).toBe('(3*5)+7');
  });

  it('classic rules forbid non-integer steps and allow unused numbers', async () => {
    const p: NumberGameProblem = { id: 'c', question: '', data: { numbers: [2, 3, 10, 7], target: 5 } };
    expect((await countdownClassicTask.verify('10/2', p)).correct).toBe(true);
    expect((await countdownClassicTask.verify('(7/2-3)*10', p)).correct).toBe(false);
    // The same expression is fine under TinyZero's rules (all numbers used, fractions allowed).
    expect((await countdownTask.verify('(7/2-3)*10', p)).correct).toBe(true);
    expect(countdownClassicTask.checkStep!(p, ['7/2=7/2 (2 3 10 7/2)']).valid).toBe(false);
    expect(countdownClassicTask.checkStep!(p, ['10/2=5 (3 7 5)']).terminal).toBe(true);
    expect(evaluateExpression('7/2*2', { integerOnly: true }).error).toMatch(/not a positive integer/);
  });

  it('classic solver agrees with brute force on generated puzzles', async () => {
    const ps = await countdownClassicTask.problems({ split: 'test', limit: 60 });
    for (const p of ps) {
      const start = p.data.numbers.map((n) => rat(n));
      const rules = { useAll: false, integerOnly: true, target: rat(p.data.target) };
      expect(allSolutions(start, rules, 1).length > 0, p.id).toBe(bruteForceSolvable(start, rules));
    }
  });

  it('legal moves never produce negative numbers but checkStep accepts them', () => {
    const moves = legalMoves([rat(3), rat(5)], { useAll: true, integerOnly: false, target: rat(1) });
    expect(moves.every((m) => m.state.every((x) => x.n >= 0n))).toBe(true);
    const p: NumberGameProblem = { id: 'c', question: '', data: { numbers: [3, 5, 7], target: 5 } };
    expect(countdownTask.checkStep!(p, ['3-5=-2 (7 -2)']).valid).toBe(true);
  });
});
