/**
 * `rlmkit grade` as a user runs it (a subprocess): the three-way verdict per line and its summary,
 * `--vote` with majority / weighted answers and maj@k, and bad input as one clear error (exit 2).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-grade-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, lines: unknown[]) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return f;
};

describe('rlmkit grade', () => {
  it('--jsonl: verdict per line and a summary counting unparseable apart from wrong', () => {
    const f = write('pairs.jsonl', [
      { gold: '1102', pred: '\\boxed{(1,102)}' },
      { gold: '5', pred: 'I cannot tell.' },
      { gold: 'x \\ge 5', pred: 'so $5 \\le x$' },
      { gold: '(12,102)', pred: '\\boxed{(12, 102)}' },
    ]);
    const r = runCli(['grade', '--jsonl', f]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.verdict)).toEqual(['wrong', 'unparseable', 'correct', 'correct']);
    expect(lines[1].reason).toMatch(/no answer/);
    expect(r.stderr).toMatch(/graded 4 pairs: 2 correct, 1 wrong, 1 unparseable/);
  }, 60_000);

  it('--gold/--pred with --rtol', () => {
    const loose = JSON.parse(runCli(['grade', '--gold', '\\frac13', '--pred', '0.3333', '--rtol', '0.001']).stdout);
    const strict = JSON.parse(runCli(['grade', '--gold', '\\frac13', '--pred', '0.3333']).stdout);
    expect([loose.verdict, strict.verdict]).toEqual(['correct', 'wrong']);
  }, 60_000);

  it('--vote: majority and weighted answers with the grader equivalence, maj@k against the reference', () => {
    const f = write('votes.jsonl', [
      { id: 'a', gold: '\\frac12', samples: ['so \\boxed{0.5}', '\\boxed{1/2}', 'hence \\boxed{\\frac{1}{2}}', '\\boxed{2}', 'no idea'] },
      {
        id: 'b',
        gold: '7',
        samples: [
          { text: 'The answer is 7.', score: 0.9 },
          { text: '\\boxed{8}', score: 0.2 },
          { text: '\\boxed{8}', score: 0.3 },
        ],
      },
    ]);
    const r = runCli(['grade', '--vote', f, '--k', '1,3']);
    expect(r.code).toBe(0);
    const [a, b] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a.majority).toMatchObject({ answer: '0.5', votes: 3 });
    expect(a.unparseable).toBe(1);
    expect(a.verdict.majority).toBe('correct');
    expect(a.majAtK['1']).toBeCloseTo(3 / 5, 6);
    expect(b.majority.answer).toBe('8');
    expect(b.weighted.answer).toBe('7');
    expect(b.verdict).toEqual({ majority: 'wrong', weighted: 'correct' });
    expect(b.majAtK['3']).toBe(0);
    expect(b.weightedAtK['3']).toBe(1);
    expect(r.stderr).toMatch(/voted 2 problems \(8 samples, 1 unparseable\); majority correct on 1\/2/);
  }, 60_000);

  it('--vote --task uses the task equivalence', () => {
    const f = write('votes-task.jsonl', [{ samples: ['so 1,200', '1200', '13'] }]);
    const r = runCli(['grade', '--vote', f, '--task', 'arithmetic']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).majority).toMatchObject({ answer: '1200', votes: 2 });
    // A rule-checked task cannot check an answer from a reference alone: one clear error.
    const g = write('votes-task-gold.jsonl', [{ gold: '12', samples: ['12'] }]);
    const bad = runCli(['grade', '--vote', g, '--task', 'arithmetic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot check an answer from a reference alone/);
  }, 60_000);

  it('bad input: one clear error, exit 2', () => {
    const bad = write('bad.jsonl', ['{"samples": []}']);
    for (const args of [
      ['grade', '--vote', bad],
      ['grade', '--vote', bad, '--jsonl', bad],
      ['grade', '--gold', '1'],
      ['grade', '--gold', '1', '--pred', '1', '--k', '2'],
      ['grade', '--vote', write('ok.jsonl', [{ samples: ['1'] }]), '--k', 'zero'],
      ['grade', '--vote', write('ok2.jsonl', [{ samples: ['1'] }]), '--task', 'nope'],
    ]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^rlmkit: error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
