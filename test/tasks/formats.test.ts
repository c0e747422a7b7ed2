/**
 * Datasets in the field's formats: reasoning-gym rows and verifiers rows read and written (round
 * trips keep every field), and `jsonl:FILE` tasks with the math / exact / regex / code verifiers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/errors.js';
import { extractTaggedAnswer, getTask, readRows, toReasoningGymRow, writeRows } from '../../src/tasks/index.js';
import { arithmeticTask } from '../../src/tasks/synthetic/arithmetic.js';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-formats-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, rows: unknown[]) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
};
const errorOf = async (f: () => unknown) => {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return null;
};

describe('reasoning-gym rows', () => {
  const rgRows = [
    {
      question: 'Sort these words: banana, apple',
      answer: 'apple, banana',
      metadata: { source_dataset: 'word_sorting', source_index: 0, words: ['banana', 'apple'] },
    },
    { question: 'How many r in strawberry?', answer: '3', metadata: { source_dataset: 'letter_counting', source_index: 1 } },
  ];

  it('reads question, answer and metadata, with ids from the source', () => {
    const ps = readRows(file('rg.jsonl', rgRows), 'rg');
    expect(ps.map((p) => p.id)).toEqual(['rg/word_sorting/0', 'rg/letter_counting/1']);
    expect(ps[0]).toMatchObject({ question: rgRows[0].question, answer: 'apple, banana' });
    expect(ps[0].data.format).toBe('reasoning-gym');
    expect(ps[0].data.meta.words).toEqual(['banana', 'apple']);
  });

  it('writes a task as rows that read back the same (round trip)', async () => {
    const problems = await arithmeticTask.problems({ split: 'test', limit: 5 });
    const out = path.join(dir, 'arith-rg.jsonl');
    expect(writeRows(out, problems, arithmeticTask, 'reasoning-gym')).toBe(5);
    const back = readRows(out, 'x');
    expect(back.map((p) => [p.question, p.answer])).toEqual(problems.map((p) => [p.question, p.answer]));
    expect(back[0].data.meta).toMatchObject({ source_dataset: 'arithmetic', source_index: 0, id: problems[0].id, a: problems[0].data.a });
    // Rows read from reasoning-gym keep their metadata when written again.
    const again = readRows(file('rg2.jsonl', rgRows), 'rg');
    expect(toReasoningGymRow(again[0], 'other', 5)).toEqual({ ...rgRows[0], metadata: { ...rgRows[0].metadata, id: 'rg/word_sorting/0' } });
  });
});

describe('verifiers rows', () => {
  const vRows = [
    {
      prompt: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is 2+3?' },
      ],
      answer: '5',
      info: { id: 'q1', level: 1 },
      task: 'sums',
    },
    { question: 'What is 4*4?', answer: '16', info: { level: 2 } },
  ];
  it('reads chat prompts, answers and info; the chat prompt is used as given', () => {
    const f = file('v.jsonl', vRows);
    const ps = readRows(f, 'v');
    expect(ps[0]).toMatchObject({ id: 'v/q1', question: 'What is 2+3?', answer: '5' });
    expect(ps[0].data.info).toEqual({ id: 'q1', level: 1 });
    const task = getTask(`jsonl:${f}`);
    expect(task.renderChat(ps[0] as any)).toEqual(vRows[0].prompt);
    expect(task.renderChat(ps[1] as any)[1]).toEqual({ role: 'user', content: 'What is 4*4?' });
  });
  it('writes rows with the task chat prompt, answer, info and task name', async () => {
    const problems = await arithmeticTask.problems({ split: 'test', limit: 3 });
    const out = path.join(dir, 'arith-v.jsonl');
    writeRows(out, problems, arithmeticTask, 'verifiers');
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows[0].prompt).toEqual(arithmeticTask.renderChat(problems[0]));
    expect(rows[0]).toMatchObject({ answer: problems[0].answer, task: 'arithmetic', info: { id: problems[0].id } });
    const back = readRows(out, 'x');
    expect(back[0].data.format).toBe('verifiers');
    expect(back[0].answer).toBe(problems[0].answer);
  });
});

describe('jsonl:FILE tasks', () => {
  const rows = Array.from({ length: 20 }, (_, i) => ({ question: `q${i}`, answer: String(i * i) }));

  it('splits: all, test (every 10th row) and train (the rest)', async () => {
    const t = getTask(`jsonl:${file('sq.jsonl', rows)}#exact`);
    expect((await t.problems({ split: 'all' })).length).toBe(20);
    expect((await t.problems({ split: 'test' })).map((p) => p.question)).toEqual(['q0', 'q10']);
    expect((await t.problems({ split: 'train' })).length).toBe(18);
  });

  it('exact: <answer> tags, boxes, answer lines; three-way verdicts', async () => {
    const t = getTask(`jsonl:${file('sq2.jsonl', rows)}`, { verifier: 'exact' });
    const [p] = await t.problems({ split: 'all', limit: 4 }).then((ps) => ps.slice(3));
    expect(extractTaggedAnswer('think... <answer> 9 </answer>')).toBe('9');
    expect((await t.verify(t.extractAnswer('so <answer>9</answer>', p), p)).verdict).toBe('correct');
    expect((await t.verify(t.extractAnswer('\\boxed{8}', p), p)).verdict).toBe('wrong');
    expect((await t.verify(t.extractAnswer('', p), p)).verdict).toBe('unparseable');
  });

  it('math: the grader decides (0.5 = 1/2)', async () => {
    const t = getTask(`jsonl:${file('m.jsonl', [{ problem: 'half?', answer: '\\frac{1}{2}' }])}`);
    const [p] = await t.problems({ split: 'all' });
    expect((await t.verify(t.extractAnswer('it is \\boxed{0.5}', p), p)).correct).toBe(true);
  });

  it('regex: the answer is a pattern for the whole extracted answer', async () => {
    const t = getTask(`jsonl:${file('r.jsonl', [{ question: 'a color?', answer: '(red|blue)' }])}#regex`);
    const [p] = await t.problems({ split: 'all' });
    expect((await t.verify('blue', p)).correct).toBe(true);
    expect((await t.verify('blueish', p)).correct).toBe(false);
    const bad = getTask(`jsonl:${file('rbad.jsonl', [{ question: 'x', answer: '(' }])}#regex`);
    expect(String(await errorOf(() => bad.problems({ split: 'all' })))).toMatch(/not a valid regular expression/);
  });

  it('code: runs the completion with the row tests in the sandbox', async () => {
    const t = getTask(
      `jsonl:${file('c.jsonl', [{ question: 'Write add(a, b).', tests: ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0'] }])}#code`,
    );
    const [p] = await t.problems({ split: 'all' });
    const good = await t.verify(t.extractAnswer('```python\ndef add(a, b):\n    return a + b\n```', p), p);
    expect(good).toMatchObject({ correct: true, verdict: 'correct' });
    const bad = await t.verify(t.extractAnswer('```python\ndef add(a, b):\n    return 3\n```', p), p);
    expect(bad.correct).toBe(false);
    expect(bad.score).toBe(0.5);
  }, 60_000);

  it('bad input is one clear usage or input error', async () => {
    const missing = getTask(`jsonl:${file('noans.jsonl', [{ question: 'x' }])}#exact`);
    expect(String(await errorOf(() => missing.problems({ split: 'all' })))).toMatch(/has no "answer"/);
    expect(String(await errorOf(() => getTask(`jsonl:${file('x.jsonl', rows)}`, { verifier: 'fuzzy' })))).toMatch(
      /unknown verifier "fuzzy"; valid verifiers: math, exact, regex, code/,
    );
    expect(String(await errorOf(() => getTask('game24', { verifier: 'exact' })))).toMatch(/--verifier is for --task jsonl:FILE/);
    const e = await errorOf(() => getTask(`jsonl:${file('y.jsonl', rows)}#exact`, { verifier: 'math' }));
    expect(isRlmkitError(e)).toBe(true);
    const noq = getTask(`jsonl:${file('noq.jsonl', [{ answer: '1' }])}`);
    expect(String(await errorOf(() => noq.problems({ split: 'all' })))).toMatch(/row 1: no question/);
  });

  it('rlmkit grade --vote --task jsonl:FILE#exact uses the file task', () => {
    const f = file('votes.jsonl', [
      { gold: 'Paris', samples: ['<answer>Paris</answer>', '<answer>Lyon</answer>', 'so the answer is Paris'] },
    ]);
    const r = runCli([
      'grade',
      '--vote',
      f,
      '--task',
      `jsonl:${file('capitals.jsonl', [{ question: 'capital?', answer: 'Paris' }])}#exact`,
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ majority: { answer: 'Paris', votes: 2 }, verdict: { majority: 'correct' } });
  }, 60_000);
});

describe('rlmkit data export --task NAME --format reasoning-gym|verifiers', () => {
  it('writes a procedural split as reasoning-gym rows that read back to the same problems, answers that still verify', async () => {
    const out = path.join(dir, 'knapsack-rg.jsonl');
    const r = runCli([
      'data',
      'export',
      '--task',
      'knapsack:easy',
      '--format',
      'reasoning-gym',
      '--split',
      'test',
      '--limit',
      '6',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      event: 'exported',
      rows: 6,
      format: 'reasoning-gym',
      task: 'knapsack:easy',
      split: 'test',
    });
    const task = getTask('knapsack:easy');
    const problems = await task.problems({ split: 'test', limit: 6 });
    const back = readRows(out, 'rg');
    expect(back.map((p) => [p.question, p.answer])).toEqual(problems.map((p) => [p.question, p.answer]));
    expect(back.every((p) => p.data.format === 'reasoning-gym')).toBe(true);
    // The metadata carries the instance: the original checker accepts the exported answer.
    for (const [i, p] of back.entries()) {
      expect(p.data.meta).toMatchObject({ source_dataset: 'knapsack:easy', source_index: i, id: problems[i].id });
      expect((await task.verify(p.answer!, problems[i])).verdict).toBe('correct');
    }
    // Read as a user's own task (exact verifier): the exported answers are correct, another is wrong.
    const fileTask = getTask(`jsonl:${out}#exact`);
    const all = await fileTask.problems({ split: 'all' });
    expect(all).toHaveLength(6);
    expect((await fileTask.verify(fileTask.extractAnswer(`answer: ${all[0].answer}`), all[0])).verdict).toBe('correct');
    expect((await fileTask.verify('9,9,9', all[0])).verdict).toBe('wrong');
    // Written again from what was read: the same lines (nothing lost).
    const again = path.join(dir, 'knapsack-rg-again.jsonl');
    writeRows(again, back, { name: 'knapsack:easy', renderChat: task.renderChat as any }, 'reasoning-gym');
    const norm = (f: string) =>
      fs
        .readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const a = norm(out);
    const b = norm(again);
    expect(b.map((row) => ({ ...row, metadata: { ...row.metadata, id: undefined } }))).toEqual(
      a.map((row) => ({ ...row, metadata: { ...row.metadata, id: undefined } })),
    );
  }, 120_000);

  it('writes verifiers rows whose chat prompt is the task prompt and read back as given', async () => {
    const out = path.join(dir, 'zebra-vf.jsonl');
    const r = runCli([
      'data',
      'export',
      '--task',
      'zebra:easy',
      '--format',
      'verifiers',
      '--split',
      'train',
      '--limit',
      '4',
      '--seed',
      '3',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const task = getTask('zebra:easy');
    const problems = await task.problems({ split: 'train', limit: 4, seed: 3 });
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    lines.forEach((row, i) => {
      expect(row.prompt).toEqual(task.renderChat(problems[i]));
      expect(row).toMatchObject({ answer: problems[i].answer, task: 'zebra:easy', info: { id: problems[i].id } });
    });
    const back = readRows(out, 'vf');
    expect(back.map((p) => [p.question, p.answer, p.data.format])).toEqual(
      problems.map((p) => [
        task
          .renderChat(p)
          .filter((m) => m.role === 'user')
          .pop()!.content,
        p.answer,
        'verifiers',
      ]),
    );
    // The file task renders the row's own prompt, so writing it again gives the same rows.
    const fileTask = getTask(`jsonl:${out}#exact`);
    const again = path.join(dir, 'zebra-vf-again.jsonl');
    writeRows(again, await fileTask.problems({ split: 'all' }), fileTask, 'verifiers');
    const b = fs
      .readFileSync(again, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(b.map((row) => [row.prompt, row.answer, { ...row.info, id: undefined }])).toEqual(
      lines.map((row) => [row.prompt, row.answer, { ...row.info, id: undefined }]),
    );
  }, 120_000);

  it('bad input: one clear error, exit 2', () => {
    const traces = runCli(['data', 'export', '--traces', dir, '--format', 'verifiers', '--out', path.join(dir, 'not-written.jsonl')]);
    expect(traces.code).toBe(2);
    expect(traces.stderr).toMatch(/give --task <name>, not --traces/);
    const split = runCli([
      'data',
      'export',
      '--task',
      'sat',
      '--format',
      'reasoning-gym',
      '--split',
      'dev',
      '--out',
      path.join(dir, 'not-written.jsonl'),
    ]);
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/no split "dev"[\s\S]*train, test/);
    const ext = runCli(['data', 'export', '--task', 'sat', '--format', 'reasoning-gym', '--out', path.join(dir, 'not-written.parquet')]);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toMatch(/must end in \.jsonl/);
    for (const res of [traces, split, ext]) expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'not-written.jsonl'))).toBe(false);
  }, 120_000);
});
