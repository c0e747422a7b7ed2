import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { game24Task } from '../../src/tasks/games/game24.js';
import { isRlmkitError } from '../../src/core/errors.js';
import { describeTasks, getTask, listTasks } from '../../src/tasks/registry.js';
import { arithmeticTask } from '../../src/tasks/synthetic/arithmetic.js';
import { sortingErrors, sortingTask } from '../../src/tasks/synthetic/sorting.js';
import { aime24Task, amc23Task, gsm8kTask, math500Task } from '../../src/tasks/math/math-task.js';
import type { Problem } from '../../src/tasks/types.js';

describe('registry', () => {
  it('lists every built-in task and finds them by name', () => {
    const names = listTasks().map((t) => t.name);
    for (const n of [
      'game24',
      'countdown',
      'countdown-classic',
      'arithmetic',
      'sorting',
      'gsm8k',
      'math500',
      'aime24',
      'amc23',
      'humaneval',
    ]) {
      expect(names).toContain(n);
      expect(getTask(n).name).toBe(n);
    }
  });

  it('an unknown task or split is a usage error naming the choices', async () => {
    let err: unknown;
    try {
      getTask('nope');
    } catch (e) {
      err = e;
    }
    expect(isRlmkitError(err) && err.message).toMatch(/unknown task "nope"; valid tasks: .*game24.*humaneval/);
    expect(isRlmkitError(err) && err.message).not.toContain('\n');
    expect(isRlmkitError(err) && err.hint).toBeFalsy();
    await expect(getTask('game24').problems({ split: 'validation' })).rejects.toThrow(/no split "validation"/);
  });

  it('describes every task: kind, split sizes, source, verifier, rule check', () => {
    const infos = describeTasks();
    expect(infos.map((t) => t.name)).toEqual(listTasks().map((t) => t.name));
    const by = Object.fromEntries(infos.map((t) => [t.name, t]));
    expect(by.game24).toMatchObject({
      kind: 'single-turn',
      verifier: 'rule-check',
      ruleCheck: true,
      source: { kind: 'file', file: 'game24/24.csv', licence: 'MIT' },
    });
    expect(by.game24.splits).toContainEqual({ name: 'test', size: 100 });
    expect(by.gsm8k).toMatchObject({ verifier: 'math-grader', ruleCheck: false, splits: [{ name: 'test', size: 1319 }] });
    expect(by.humaneval).toMatchObject({ verifier: 'execution', ruleCheck: false });
    expect(by.countdown.source).toEqual({ kind: 'generated' });
    for (const t of infos) {
      expect(t.splits.map((s) => s.name)).toEqual([...getTask(t.name).splits]);
      expect(t.verifier).toBeTruthy();
      expect(t.ruleCheck).toBe(!getTask(t.name).verifierNeedsAnswer);
    }
  });

  it('loads a user-given data file, and names the line of a bad record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-tasks-'));
    const csv = path.join(dir, 'mine.csv');
    fs.writeFileSync(csv, 'Rank,Puzzles\n1,4 4 6 8\n905,1 5 5 5\n');
    const test = await game24Task.problems({ split: 'test', path: csv });
    expect(test.map((p) => p.data.numbers)).toEqual([[1, 5, 5, 5]]);
    const jsonl = path.join(dir, 'gsm.jsonl');
    fs.writeFileSync(jsonl, JSON.stringify({ question: 'q', answer: 'x\n#### 1,234' }) + '\n' + JSON.stringify({ question: 'q2' }) + '\n');
    await expect(gsm8kTask.problems({ split: 'test', path: jsonl })).rejects.toThrow(/record 2 has no "answer"/);
    fs.writeFileSync(jsonl, JSON.stringify({ question: 'q', answer: 'x\n#### 1,234' }) + '\n');
    expect((await gsm8kTask.problems({ split: 'test', path: jsonl }))[0].answer).toBe('1234');
    fs.writeFileSync(csv, 'Rank,Puzzles\n1,4 4 six 8\n');
    await expect(game24Task.problems({ split: 'all', path: csv })).rejects.toThrow(/mine\.csv:2/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a missing data file is an input error with a hint', async () => {
    await expect(gsm8kTask.problems({ split: 'test', path: '/nonexistent/gsm8k.jsonl' })).rejects.toThrow(/data file not found/);
  });

  it('every task renders plain and chat prompts with steps', async () => {
    for (const t of listTasks()) {
      const task = getTask(t.name);
      const [p] = await task.problems({ split: task.splits.includes('test') ? 'test' : task.splits[0], limit: 1 });
      expect(p, t.name).toBeDefined();
      const plain = task.renderPlain(p, ['step one']);
      expect(plain.endsWith('step one\n') || plain.endsWith('step one'), t.name).toBe(true);
      const chat = task.renderChat(p, ['step one']);
      expect(chat[chat.length - 1].role).toBe('assistant');
      expect(task.renderChat(p).some((m) => m.role === 'assistant')).toBe(false);
    }
  });
});

describe('arithmetic', () => {
  it('canonical solutions are valid step by step and verify', async () => {
    const ps = await arithmeticTask.problems({ split: 'test', limit: 60 });
    expect(new Set(ps.map((p) => p.data.op))).toEqual(new Set(['+', '-', '*']));
    for (const p of ps) {
      const steps = arithmeticTask.solve!(p)!;
      for (let i = 1; i <= steps.length; i++)
        expect(arithmeticTask.checkStep!(p, steps.slice(0, i)).valid, `${p.id} ${steps[i - 1]}`).toBe(true);
      const end = arithmeticTask.checkStep!(p, steps);
      expect(end.terminal).toBe(true);
      const text = arithmeticTask.renderPlain(p, steps);
      expect((await arithmeticTask.verify(arithmeticTask.extractAnswer(text, p), p)).correct).toBe(true);
    }
  });

  it('rejects wrong arithmetic and made-up operands', () => {
    const p = { id: 'a', question: '', answer: '204383', data: { a: '347', b: '589', op: '*' as const } };
    expect(arithmeticTask.checkStep!(p, ['347*9=3123']).valid).toBe(true);
    expect(arithmeticTask.checkStep!(p, ['347*9=3124']).valid).toBe(false);
    expect(arithmeticTask.checkStep!(p, ['347*6=2082']).reason).toMatch(/place parts/);
    expect(arithmeticTask.checkStep!(p, ['347*589=204383']).terminal).toBe(true);
    expect(arithmeticTask.checkStep!(p, ['347*589=204384']).valid).toBe(false);
  });

  it('splits are disjoint and seeded', async () => {
    const test = await arithmeticTask.problems({ split: 'test' });
    const train = await arithmeticTask.problems({ split: 'train', limit: 2000 });
    const key = (p: Problem & { data: { a: string; b: string; op: string } }) => `${p.data.a}${p.data.op}${p.data.b}`;
    const testKeys = new Set(test.map(key));
    expect(train.some((p) => testKeys.has(key(p)))).toBe(false);
    expect(await arithmeticTask.problems({ split: 'test', limit: 5, seed: 3 })).toEqual(
      await arithmeticTask.problems({ split: 'test', limit: 5, seed: 3 }),
    );
    expect(await arithmeticTask.problems({ split: 'test', limit: 5, seed: 3 })).not.toEqual(
      await arithmeticTask.problems({ split: 'test', limit: 5, seed: 4 }),
    );
  });
});

describe('sorting (GoT)', () => {
  it('GoT error count', () => {
    expect(sortingErrors([0, 1, 1, 2], [1, 0, 2, 1])).toBe(0);
    expect(sortingErrors([0, 2, 1, 1], [1, 0, 2, 1])).toBe(1); // one descent
    expect(sortingErrors([0, 1, 2], [1, 0, 2, 1])).toBe(1); // one 1 missing
    expect(sortingErrors([0, 1, 1, 1, 2], [1, 0, 2, 1])).toBe(1); // one 1 too many
  });

  it('split/sort/merge steps are checked exactly and the solution verifies', async () => {
    const [p] = await sortingTask.problems({ split: 'test', limit: 1 });
    const steps = sortingTask.solve!(p)!;
    expect(steps.length).toBe(4 + 2 + 1);
    expect(sortingTask.checkStep!(p, steps).terminal).toBe(true);
    const legal0 = sortingTask.legalSteps!(p, []);
    expect(legal0.length).toBe(4);
    const broken = steps[0].replace(/:(\d)/, (_, d) => `:${(Number(d) + 1) % 10}`);
    expect(sortingTask.checkStep!(p, [broken]).valid).toBe(false);
    const v = await sortingTask.verify(sortingTask.extractAnswer(sortingTask.renderPlain(p, steps), p), p);
    expect(v.correct).toBe(true);
    const chat = await sortingTask.verify(
      sortingTask.extractAnswer(`Sorted: [${[...p.data.digits].sort((a, b) => a - b).join(', ')}]`, p),
      p,
    );
    expect(chat.correct).toBe(true);
    const partial = await sortingTask.verify(p.data.digits.join(''), p);
    expect(partial.score).toBeLessThan(1);
  });
});

describe('math benchmarks', () => {
  it('load with the expected sizes and answers', async () => {
    expect((await gsm8kTask.problems({ split: 'test' })).length).toBe(1319);
    const math = await math500Task.problems({ split: 'test' });
    expect(math.length).toBe(500);
    expect(math[0].id).toMatch(/^math500\/test\/precalculus\//);
    const aime = await aime24Task.problems({ split: 'test' });
    expect(aime.length).toBe(30);
    const amc = await amc23Task.problems({ split: 'test' });
    expect(amc.length).toBe(40);
    expect(amc[0].answer).toBe('27');
    const [g] = await gsm8kTask.problems({ split: 'test', limit: 1 });
    expect(g.answer).toBe('18');
  });

  it('verify and sameAnswer use the grader', async () => {
    const [g] = await gsm8kTask.problems({ split: 'test', limit: 1 });
    expect((await gsm8kTask.verify(gsm8kTask.extractAnswer('She makes $18 a day.\n\\boxed{18}'), g)).correct).toBe(true);
    expect((await gsm8kTask.verify('18.00', g)).correct).toBe(true);
    expect((await gsm8kTask.verify('17', g)).correct).toBe(false);
    expect(math500Task.sameAnswer('\\frac{1}{2}', '0.5')).toBe(true);
    expect(math500Task.sameAnswer('\\frac{1}{2}', '0.6')).toBe(false);
    const aime = await aime24Task.problems({ split: 'test' });
    const withZero = aime.find((p) => p.answer.startsWith('0'))!;
    expect((await aime24Task.verify(String(Number(withZero.answer)), withZero)).correct).toBe(true);
  });
});
