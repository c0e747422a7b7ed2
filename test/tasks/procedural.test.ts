/**
 * The procedural families (SAT, knapsack, zebra, PrOntoQA, word sorting, letter counting,
 * arithmetic chains, mini-sudoku) at every level: seeded and disjoint splits, solver traces that
 * the verifier and the step check accept, exact verifiers that reject wrong answers and call
 * unreadable ones unparseable, and independent checks of the solvers (brute force).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { describeTasks, dpll, getTask, knapsack, LEVELS, PROCEDURAL_SPECS } from '../../src/tasks/index.js';
import type { Problem, Task } from '../../src/tasks/types.js';

const names = PROCEDURAL_SPECS.flatMap((s) => LEVELS.map((l) => (l === 'medium' ? s.name : `${s.name}:${l}`)));

describe.each(names)('procedural task %s', (name) => {
  const task = getTask(name) as Task<Problem & { answer: string }>;

  it('splits are seeded, de-duplicated, and test never appears in train', async () => {
    const test = await task.problems({ split: 'test', limit: 20, seed: 3 });
    const again = await task.problems({ split: 'test', limit: 20, seed: 3 });
    expect(again.map((p) => p.question)).toEqual(test.map((p) => p.question));
    expect(new Set(test.map((p) => p.question)).size).toBe(test.length);
    const train = await task.problems({ split: 'train', limit: 60, seed: 3 });
    const testQs = new Set((await task.problems({ split: 'test', seed: 3 })).map((p) => p.question));
    expect(train.filter((p) => testQs.has(p.question))).toEqual([]);
    expect(test.length).toBe(20);
  }, 180_000);

  it('solver traces pass the verifier and every step check; plain prompts render', async () => {
    for (const p of await task.problems({ split: 'test', limit: 15 })) {
      const steps = task.solve!(p)!;
      expect(steps[steps.length - 1]).toMatch(/^answer: /);
      const text = task.renderPlain(p, steps);
      expect(text.split('|').length).toBe(2);
      const answer = task.extractAnswer(text, p);
      expect(answer).toBe(p.answer);
      expect(await task.verify(answer, p)).toMatchObject({ correct: true, verdict: 'correct' });
      for (let i = 1; i <= steps.length; i++) {
        const c = task.checkStep!(p, steps.slice(0, i));
        expect(c.valid, `${p.id} step ${i}: ${c.reason}`).toBe(true);
        expect(c.terminal).toBe(i === steps.length);
      }
      // Chat: the answer in tags is read too.
      expect(task.extractAnswer(`work...\n<answer>${p.answer}</answer>`, p)).toBe(p.answer);
      expect(task.renderChat(p)[1].content).toContain('answer:');
    }
  });

  it('wrong answers are wrong, unreadable ones unparseable; a corrupted step fails the step check', async () => {
    const [p, q] = await task.problems({ split: 'test', limit: 40 }).then((ps) => [ps[0], ps.find((x) => x.answer !== ps[0].answer)!]);
    if (q) {
      const other = await task.verify(q.answer, p);
      // Another problem's answer may happen to fit (SAT: another satisfying assignment); when it is
      // not correct it must be a readable, wrong answer.
      if (!other.correct) expect(other.verdict).toBe('wrong');
    }
    expect((await task.verify('§§ not an answer §§', p)).verdict).toBe('unparseable');
    expect((await task.verify(null, p)).verdict).toBe('unparseable');
    const steps = task.solve!(p)!;
    if (steps.length > 1) {
      const bad = [...steps.slice(0, -1)];
      bad[0] = `${bad[0]}9`;
      expect(task.checkStep!(p, bad.slice(0, 1)).valid).toBe(false);
    }
  });
});

describe('solvers against brute force', () => {
  it('DPLL finds an assignment exactly when one exists (random 3-SAT, 5 variables)', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 200; t++) {
      const n = 5;
      const clauses = Array.from({ length: rng.int(5, 30) }, () => [1, 2, 3].map(() => (rng.bool() ? 1 : -1) * rng.int(1, n)));
      const brute = Array.from({ length: 1 << n }, (_, m) => Array.from({ length: n }, (_, i) => ((m >> i) & 1) === 1)).some((a) =>
        clauses.every((c) => c.some((l) => (l > 0 ? a[l - 1] : !a[-l - 1]))),
      );
      const r = dpll(n, clauses);
      expect(r !== null).toBe(brute);
      if (r) expect(clauses.every((c) => c.some((l) => (l > 0 ? r[l - 1] : !r[-l - 1])))).toBe(true);
    }
  });

  it('knapsack DP equals the best of all subsets', () => {
    const rng = new Rng(12);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(1, 8);
      const w = Array.from({ length: n }, () => rng.int(1, 9));
      const v = Array.from({ length: n }, () => rng.int(1, 20));
      const cap = rng.int(0, 25);
      let best = 0;
      for (let m = 0; m < 1 << n; m++) {
        let ws = 0;
        let vs = 0;
        for (let i = 0; i < n; i++) if ((m >> i) & 1) [ws, vs] = [ws + w[i], vs + v[i]];
        if (ws <= cap) best = Math.max(best, vs);
      }
      const r = knapsack(w, v, cap);
      expect(r.best).toBe(best);
      expect(r.items.reduce((a, i) => a + w[i - 1], 0)).toBeLessThanOrEqual(cap);
      expect(r.items.reduce((a, i) => a + v[i - 1], 0)).toBe(best);
    }
  });
});

describe('registry', () => {
  it('lists the families (medium level) with kind, sizes and rule check; levels by name', () => {
    const infos = Object.fromEntries(describeTasks().map((t) => [t.name, t]));
    for (const s of PROCEDURAL_SPECS) {
      expect(infos[s.name]).toMatchObject({ kind: 'single-turn', source: { kind: 'generated' }, ruleCheck: true });
      expect(infos[s.name].splits.map((x) => x.name)).toEqual(['train', 'test']);
    }
    expect(getTask('sat:hard').name).toBe('sat:hard');
    expect(() => getTask('sat:extreme')).toThrow(/unknown level "extreme" for task sat; valid levels: easy, medium, hard/);
  });

  it('SAT accepts any satisfying assignment, not only the reference one', async () => {
    const t = getTask('sat:easy');
    for (const p of await t.problems({ split: 'test', limit: 30 })) {
      const d = p.data as { n: number; clauses: number[][] };
      const all = Array.from({ length: 1 << d.n }, (_, m) => Array.from({ length: d.n }, (_, i) => ((m >> i) & 1) === 1));
      const sat = all.filter((a) => d.clauses.every((c) => c.some((l) => (l > 0 ? a[l - 1] : !a[-l - 1]))));
      for (const a of sat) expect((await t.verify(a.map((b) => (b ? 1 : 0)).join(''), p)).correct).toBe(true);
      const unsat = all.find((a) => !sat.includes(a));
      if (unsat) expect((await t.verify(unsat.map((b) => (b ? 1 : 0)).join(''), p)).verdict).toBe('wrong');
    }
  });
});
