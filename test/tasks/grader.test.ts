import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataDir } from '../../src/tasks/data.js';
import { MathGrader, extractAnswer, gradeSync, lastBoxed, normalizeAnswer } from '../../src/tasks/grader/index.js';

const eq = (gold: string, pred: string) => gradeSync(gold, pred).correct;

describe('answer extraction', () => {
  it('takes the last \\boxed{} with nested braces', () => {
    expect(lastBoxed('first \\boxed{1} then \\boxed{\\frac{a}{\\sqrt{b^{2}}}} done')).toBe('\\frac{a}{\\sqrt{b^{2}}}');
    expect(lastBoxed('\\fbox{42}')).toBe('42');
    expect(lastBoxed('\\boxed 7$')).toBe('7');
    expect(lastBoxed('no box')).toBeNull();
  });

  // The answer and the rule that found it (`rest`, the text after a marked answer, is checked below).
  const am = (e: { answer: string | null; method: string | null }) => ({ answer: e.answer, method: e.method });
  it('follows the preference order: boxed / final answer / ####, the answer is, Answer:, choice, whole, last span or number', () => {
    expect(am(extractAnswer('so 3 + 4 = 7\n#### 7'))).toEqual({ answer: '7', method: 'hash' });
    expect(am(extractAnswer('We get 10. The answer is $\\frac{3}{4}$.'))).toEqual({ answer: '\\frac{3}{4}', method: 'answer-is' });
    expect(am(extractAnswer('Therefore, the final answer is 12.5. I hope'))).toEqual({ answer: '12.5', method: 'final-answer' });
    expect(am(extractAnswer('\\boxed{3} at first; the final answer is 4.'))).toEqual({ answer: '4', method: 'final-answer' });
    expect(am(extractAnswer('(1, 4.5)'))).toEqual({ answer: '(1, 4.5)', method: 'whole' });
    expect(am(extractAnswer('so we get $x = 2$ and then 7 apples'))).toEqual({ answer: '7', method: 'last-number' });
    expect(am(extractAnswer('7 apples, so we get $x = 2$'))).toEqual({ answer: 'x = 2', method: 'latex' });
    expect(am(extractAnswer('blah\nAnswer: 42'))).toEqual({ answer: '42', method: 'answer-colon' });
    expect(am(extractAnswer('I pick (C)', { choices: true }))).toEqual({ answer: 'C', method: 'choice' });
    expect(am(extractAnswer('there were 3 cats and 1,250 dogs'))).toEqual({ answer: '1,250', method: 'last-number' });
    expect(am(extractAnswer('nothing here'))).toEqual({ answer: null, method: null });
    // After a marked answer, the rest of the text is kept for the fallback when that answer cannot be read.
    expect(extractAnswer('Final answer is $\\sum_{k=0}^n k$. I hope. 42').rest).toBe('. I hope. 42');
    expect(extractAnswer('The answer is 5.').rest).toBe('.');
  });
});

describe('normalisation', () => {
  const cases: Array<[string, string]> = [
    ['\\$1,000', '1000'],
    ['1,000 dollars', '1000'],
    ['50\\%', '50'],
    ['90^\\circ', '90'],
    ['90^{\\circ}', '90'],
    ['x \\geq 5', 'x\\ge5'],
    ['\\pi r', '\\pi r'],
    ['32,\\!349', '32349'],
    ['(1,102)', '(1,102)'],
    ['\\\\frac{1}{2}', '\\frac{1}{2}'],
    ['\\dfrac{1}{2}', '\\frac{1}{2}'],
    ['\\tfrac12', '\\frac{1}{2}'],
    ['\\text{(B)}', '(B)'],
    ['5 \\text{ cm}^2', '5'],
    ['12 inches', '12'],
    ['\\left( 1, 2 \\right)', '(1,2)'],
    ['.5', '0.5'],
    ['3.', '3'],
    ['10.00', '10'],
    ['\\sqrt2', '\\sqrt{2}'],
    ['2/3', '\\frac{2}{3}'],
    ['1{,}000{,}000', '1000000'],
  ];
  for (const [input, want] of cases) it(`${input} -> ${want}`, () => expect(normalizeAnswer(input)).toBe(want));
});

describe('equivalence', () => {
  const same: Array<[string, string]> = [
    ['3', '\\boxed{3}'],
    ['025', '\\boxed{25}'],
    ['0.5', '\\boxed{\\frac{1}{2}}'],
    ['\\frac{1}{3}', '\\boxed{\\frac{2}{6}}'],
    ['2\\sqrt{2}', '\\boxed{\\sqrt{8}}'],
    ['\\frac{\\sqrt{3}}{3}', '\\boxed{\\frac{1}{\\sqrt{3}}}'],
    ['\\frac{\\pi}{2}', '\\boxed{\\pi/2}'],
    ['1.5\\times10^{3}', '\\boxed{1500}'],
    ['1.5e3', '\\boxed{1500}'],
    ['[1,3)', '\\boxed{[1, 3)}'],
    ['(-\\infty, 2] \\cup [3, \\infty)', '\\boxed{(-\\infty,2]\\cup[3,\\infty)}'],
    ['\\{1, 2, 3\\}', '\\boxed{\\{3, 2, 1\\}}'],
    ['1, -2', '\\boxed{-2, 1}'],
    ['(1, 2)', '\\boxed{(1,2)}'],
    ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\boxed{\\begin{pmatrix}1\\\\2\\end{pmatrix}}'],
    ['\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}', '\\boxed{\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}}'],
    ['(x+1)^2', '\\boxed{x^2+2x+1}'],
    ['\\frac{x}{2}', '\\boxed{0.5x}'],
    ['y = 2x + 3', '\\boxed{y=3+2x}'],
    ['1 \\pm \\sqrt{2}', '\\boxed{1-\\sqrt{2}, 1+\\sqrt{2}}'],
    ['\\text{(C)}', '\\boxed{C}'],
    ['\\text{Monday}', '\\boxed{monday}'],
    ['18', '$18.00'],
    ['1000', 'she pays 1,000 dollars'],
    ['10\\%', '\\boxed{10}'],
    ['30^\\circ', '\\boxed{30}'],
    ['3+4i', '\\boxed{4i+3}'],
  ];
  for (const [g, p] of same) it(`${g} == ${p}`, () => expect(gradeSync(g, p).reason && eq(g, p)).toBe(true));

  const different: Array<[string, string]> = [
    ['3', '\\boxed{4}'],
    ['100000', '\\boxed{100001}'],
    ['0.5', '\\boxed{0.51}'],
    ['\\frac{1}{3}', '\\boxed{0.333}'],
    ['2\\sqrt{2}', '\\boxed{2\\sqrt{3}}'],
    ['\\pi', '\\boxed{3.14}'],
    ['[1,3)', '\\boxed{[1,3]}'],
    ['(1,2)', '\\boxed{(2,1)}'],
    ['\\{1,2\\}', '\\boxed{\\{1,2,3\\}}'],
    ['\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}', '\\boxed{\\begin{pmatrix}0&1\\\\1&0\\end{pmatrix}}'],
    ['(x+1)^2', '\\boxed{x^2+1}'],
    ['1', '\\boxed{1 \\pm \\sqrt{19}}'],
    ['\\$36', '\\boxed{40_9}'],
    ['\\text{(C)}', '\\boxed{D}'],
    ['\\text{odd}', '\\boxed{dod}'],
    ['5', 'no answer here'],
    ['-2', '\\boxed{2}'],
  ];
  for (const [g, p] of different) it(`${g} != ${p}`, () => expect(eq(g, p)).toBe(false));

  it('respects a custom relative tolerance', () => {
    expect(gradeSync('\\frac{1}{3}', '\\boxed{0.3333}', { relTol: 1e-3 }).correct).toBe(true);
    expect(gradeSync('\\frac{1}{3}', '\\boxed{0.3333}').correct).toBe(false);
  });
});

describe('MathGrader time limit', () => {
  const grader = new MathGrader({ timeoutMs: 1500 });
  afterAll(() => grader.close());

  it('answers cheap comparisons on the calling thread and symbolic ones in a worker', async () => {
    expect((await grader.grade('0.5', '\\boxed{\\frac12}')).correct).toBe(true);
    const r = await grader.grade('(x+1)^2', '\\boxed{x^2+2x+1}');
    expect(r.correct).toBe(true);
    expect(r.timedOut).toBeUndefined();
  });

  it('a pathological comparison returns within the limit, and the grader keeps working', async () => {
    const t0 = performance.now();
    const r = await grader.grade(
      '(x+1)^{100000}',
      '\\boxed{(1+x)^{99999}(x+1) + \\sum_{n=1}^{10^{12}} \\frac{1}{n^{x}} - \\sum_{n=1}^{10^{12}} \\frac{1}{n^{x}}}',
    );
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1500 + 1500);
    if (r.timedOut) expect(r.correct).toBe(false);
    expect((await grader.grade('(x+1)^2', '\\boxed{x^2+2x+1}')).correct).toBe(true);
  });

  it('runaway predictions never stall the calling thread', async () => {
    const t0 = performance.now();
    const huge = await grader.grade('5', `\\boxed{${'1 '.repeat(50_000)}}`);
    expect(huge.correct).toBe(false);
    expect(huge.reason).toMatch(/longer than/);
    const long = await grader.grade('7', `${'blah 12 '.repeat(100_000)} so the answer is 7`);
    expect(long.correct).toBe(true);
    const xs = Array.from({ length: 300 }, (_, i) => `${i}.0`);
    const list = await grader.grade(xs.join(','), `\\boxed{${[...xs].reverse().join(', ')}}`);
    expect(list.correct || list.timedOut).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1500 + 1500);
  });

  it('a busy worker is terminated at the limit (synthetic spin)', async () => {
    // A comparison that cannot finish: a sum with 10^15 terms evaluated numerically.
    const t0 = performance.now();
    const r = await grader.grade('\\sum_{n=1}^{10^{15}} n^{x}', '\\boxed{\\sum_{n=1}^{10^{15}} n^{y}}');
    expect(performance.now() - t0).toBeLessThan(1500 + 1500);
    expect(r.correct).toBe(false);
  });
});

describe('benchmarks (samples; full runs in scripts/acceptance)', () => {
  const read = (rel: string) =>
    readFileSync(path.join(dataDir(), rel), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('MATH-500: every 5th reference solution is graded equal to its answer', () => {
    const rows = read('math500/test.jsonl').filter((_: unknown, i: number) => i % 5 === 0);
    const wrong = rows.filter((r: any) => !gradeSync(r.answer, r.solution).correct).map((r: any) => r.unique_id);
    expect(wrong).toEqual([]);
  });

  it('MATH-500: distinct answers of different problems are judged different (sample)', () => {
    const rows = read('math500/test.jsonl');
    let pairs = 0;
    let equal = 0;
    for (let i = 0; i < rows.length; i += 7) {
      for (let j = 3; j < rows.length; j += 23) {
        if (i === j || rows[i].answer.trim() === rows[j].answer.trim()) continue;
        pairs++;
        if (gradeSync(rows[i].answer, `\\boxed{${rows[j].answer}}`).correct) equal++;
      }
    }
    expect(pairs).toBeGreaterThan(1000);
    expect(equal / pairs).toBeLessThan(0.005);
  });

  it('GSM8K: reference solutions and reformatted answers are graded correct (every 4th)', () => {
    const rows = read('gsm8k/test.jsonl').filter((_: unknown, i: number) => i % 4 === 0);
    for (const r of rows) {
      expect(gradeSync(r.answer, r.answer).correct).toBe(true);
      const v = Number(r.answer.split('####').pop().trim().replace(/,/g, ''));
      const money = v.toLocaleString('en-US');
      for (const pred of [`The answer is $${money}.`, `\\boxed{${v.toFixed(2)}}`, `#### ${money} dollars`]) {
        expect(gradeSync(r.answer, pred).correct, `${v} vs ${pred}`).toBe(true);
      }
    }
  });
});
