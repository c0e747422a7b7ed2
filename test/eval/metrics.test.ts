import { Command } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import {
  binomial,
  bestOfK,
  bootstrapMean,
  buildReport,
  meanWithCI,
  pairedDifference,
  passAtK,
  renderReport,
  renderTable,
  runEval,
  votingAtK,
  wilson,
} from '../../src/eval/index.js';
import type { EvalSample } from '../../src/eval/report.js';
import { gradeCommand } from '../../src/cli/commands/grade.js';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { game24Task } from '../../src/tasks/games/game24.js';

/** All k-subsets of 0..n-1. */
function* subsets(n: number, k: number, start = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === k) {
    yield acc;
    return;
  }
  for (let i = start; i < n; i++) yield* subsets(n, k, i + 1, [...acc, i]);
}

describe('pass@k', () => {
  it('matches the closed form 1 - C(n-c,k)/C(n,k) on hand-computed cases', () => {
    expect(passAtK(10, 0, 1)).toBe(0);
    expect(passAtK(10, 10, 5)).toBe(1);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    // n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10.
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12);
    // n=4, c=1, k=2: 1 - C(3,2)/C(4,2) = 1 - 3/6.
    expect(passAtK(4, 1, 2)).toBeCloseTo(0.5, 12);
    // n - c < k: always solved.
    expect(passAtK(5, 4, 2)).toBe(1);
    for (const [n, c, k] of [
      [20, 3, 5],
      [50, 7, 10],
      [13, 2, 13],
      [100, 1, 1],
    ]) {
      expect(passAtK(n, c, k)).toBeCloseTo(1 - binomial(n - c, k) / binomial(n, k), 10);
    }
  });

  it('equals the fraction of k-subsets containing a correct sample', () => {
    const correct = [false, true, false, false, true, false, false];
    for (let k = 1; k <= correct.length; k++) {
      let hit = 0;
      let all = 0;
      for (const s of subsets(correct.length, k)) {
        all++;
        if (s.some((i) => correct[i])) hit++;
      }
      expect(passAtK(correct.length, 2, k)).toBeCloseTo(hit / all, 12);
    }
  });

  it('is numerically stable for large n', () => {
    const v = passAtK(10000, 5000, 100);
    expect(v).toBeGreaterThan(0.999999);
    expect(v).toBeLessThanOrEqual(1);
    expect(passAtK(10000, 1, 1)).toBeCloseTo(1e-4, 15);
  });

  it('rejects impossible arguments', () => {
    expect(() => passAtK(5, 6, 1)).toThrow(RangeError);
    expect(() => passAtK(5, 1, 6)).toThrow(RangeError);
  });
});

describe('voting and best-of-k', () => {
  const same = (a: string, b: string) => a === b;
  const samples: EvalSample[] = [
    { answer: '24', correct: true, score: 0.9 },
    { answer: '12', correct: false, score: 0.95 },
    { answer: '24', correct: true, score: 0.2 },
    { answer: '12', correct: false, score: 0.1 },
    { answer: '12', correct: false, score: 0.3 },
    { answer: null, correct: false, score: 0.5 },
  ];

  it('maj@k is exact over all subsets (ties split evenly)', () => {
    for (let k = 1; k <= samples.length; k++) {
      let sum = 0;
      let all = 0;
      for (const s of subsets(samples.length, k)) {
        all++;
        const votes = new Map<string, number>();
        for (const i of s) if (samples[i].answer !== null) votes.set(samples[i].answer!, (votes.get(samples[i].answer!) ?? 0) + 1);
        if (votes.size === 0) continue;
        const best = Math.max(...votes.values());
        const top = [...votes].filter(([, v]) => v === best).map(([a]) => a);
        sum += top.filter((a) => a === '24').length / top.length;
      }
      expect(votingAtK(samples, k, same, { rng: () => 0.5 })).toBeCloseTo(sum / all, 12);
    }
  });

  it('maj@n is the plain majority vote; weighted voting uses scores', () => {
    expect(votingAtK(samples, 6, same, { rng: () => 0.5 })).toBe(0); // 12 wins 3-2
    // Weighted: 24 has 1.1, 12 has 1.35 -> 12 wins; drop sample 1 -> 24 wins.
    expect(votingAtK(samples, 6, same, { rng: () => 0.5, weighted: true })).toBe(0);
    expect(
      votingAtK(
        samples.filter((_, i) => i !== 1),
        5,
        same,
        { rng: () => 0.5, weighted: true },
      ),
    ).toBe(1);
  });

  it('best-of-k by reward model equals the brute-force expectation', () => {
    for (let k = 1; k <= samples.length; k++) {
      let sum = 0;
      let all = 0;
      for (const s of subsets(samples.length, k)) {
        all++;
        const best = s.reduce((b, i) => (samples[i].score! > samples[b].score! ? i : b), s[0]);
        sum += samples[best].correct ? 1 : 0;
      }
      expect(bestOfK(samples, k)).toBeCloseTo(sum / all, 12);
    }
  });

  it('best-of-k splits tied scores', () => {
    expect(
      bestOfK(
        [
          { answer: 'a', correct: true, score: 1 },
          { answer: 'b', correct: false, score: 1 },
        ],
        2,
      ),
    ).toBeCloseTo(0.5);
  });

  it('Monte-Carlo voting is seeded and close to exact', () => {
    const many: EvalSample[] = Array.from({ length: 30 }, (_, i) => ({
      answer: i % 3 === 0 ? 'x' : i % 3 === 1 ? 'y' : `z${i}`,
      correct: i % 3 === 0,
    }));
    const exact = votingAtK(many, 3, same, { rng: () => 0.5 });
    const rngA = new Rng(1);
    const rngB = new Rng(1);
    const mcA = votingAtK(many, 15, same, { rng: () => rngA.next(), maxExact: 0, resamples: 400 });
    const mcB = votingAtK(many, 15, same, { rng: () => rngB.next(), maxExact: 0, resamples: 400 });
    expect(mcA).toBe(mcB);
    expect(exact).toBeGreaterThan(0);
    const mcSmall = votingAtK(many, 3, same, { rng: () => rngA.next(), maxExact: 0, resamples: 4000 });
    expect(Math.abs(mcSmall - exact)).toBeLessThan(0.03);
  });
});

describe('confidence intervals', () => {
  it('Wilson interval matches published values', () => {
    const w = wilson(8, 10);
    expect(w.lo).toBeCloseTo(0.4902, 3);
    expect(w.hi).toBeCloseTo(0.9433, 3);
    const z = wilson(0, 20);
    expect(z.lo).toBe(0);
    expect(z.hi).toBeCloseTo(0.1611, 3);
  });

  it('bootstrap is seeded and brackets the mean; meanWithCI picks the method', () => {
    const xs = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
    const a = bootstrapMean(xs, { seed: 3 });
    expect(a).toEqual(bootstrapMean(xs, { seed: 3 }));
    expect(a.lo).toBeLessThan(a.mean);
    expect(a.hi).toBeGreaterThan(a.mean);
    expect(meanWithCI([1, 0, 1]).method).toBe('wilson');
    expect(meanWithCI([1, 0.5, 1]).method).toBe('bootstrap');
  });
});

describe('reports and tables', () => {
  it('renders aligned tables', () => {
    const t = renderTable(
      ['name', 'value'],
      [
        ['a', 1.5],
        ['long name', 10],
      ],
    );
    expect(t.split('\n')).toEqual(['name       value', '---------  -----', 'a          1.500', 'long name     10']);
  });

  it('runEval with a scripted strategy: metrics, CIs and token usage', async () => {
    const problems = await game24Task.problems({ split: 'test', limit: 4 });
    const strategy = async (_t: unknown, ps: readonly unknown[], n: number) =>
      ps.map((_, i) =>
        Array.from({ length: n }, (_, j) => ({
          answer: j < i ? 'right' : 'wrong',
          correct: j < i,
          promptTokens: 10,
          completionTokens: 5 + i,
          score: j < i ? 1 : 0,
        })),
      );
    const { report } = await runEval({
      task: { ...game24Task, sameAnswer: (a: string, b: string) => a === b },
      problems,
      strategy,
      strategyName: 'scripted',
      model: 'none',
      ks: [1, 2, 4],
      seed: 0,
    });
    expect(report.samplesPerProblem).toBe(4);
    const pass1 = report.metrics.find((m) => m.metric === 'pass' && m.k === 1)!;
    expect(pass1.mean).toBeCloseTo((0 + 0.25 + 0.5 + 0.75) / 4);
    expect(pass1.method).toBe('bootstrap');
    const pass4 = report.metrics.find((m) => m.metric === 'pass' && m.k === 4)!;
    expect(pass4.mean).toBeCloseTo(0.75);
    expect(pass4.method).toBe('wilson');
    expect(report.metrics.some((m) => m.metric === 'best-of')).toBe(true);
    expect(report.tokensPerProblem.completion.mean).toBeCloseTo(4 * (5 + 1.5));
    const text = renderReport(report);
    expect(text).toMatch(/pass@k\s+1\s+37\.500/);
    expect(text).toMatch(/tokens per problem/);
  });

  it('buildReport drops k larger than the samples', () => {
    const r = buildReport([{ problemId: 'a', samples: [{ answer: '1', correct: true }] }], {
      task: 't',
      strategy: 's',
      model: 'm',
      ks: [1, 8],
      same: (a, b) => a === b,
    });
    expect(r.ks).toEqual([1]);
  });
});

describe('CLI', () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const run = async (cmd: typeof gradeCommand, args: string[]) => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    const program = new Command().exitOverride();
    cmd.register(program);
    await program.parseAsync(['node', 'rlmkit', ...args]);
    vi.restoreAllMocks();
    return out.join('');
  };

  it('rlmkit grade --gold --pred prints one JSON object', async () => {
    const r = JSON.parse(await run(gradeCommand, ['grade', '--gold', '\\frac{1}{2}', '--pred', 'so it is \\boxed{0.5}']));
    expect(r.correct).toBe(true);
    expect(r.pred).toEqual({ extracted: '0.5', normalized: '0.5', method: 'boxed' });
    expect(r.gold.normalized).toBe('\\frac{1}{2}');
    expect(typeof r.reason).toBe('string');
  });

  it('rlmkit grade --jsonl grades every line in order, errors per line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-grade-'));
    const file = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ gold: '3', pred: '#### 3' }),
        'not json',
        JSON.stringify({ gold: '(x+1)^2', pred: '\\boxed{x^2+2x+1}' }),
        JSON.stringify({ gold: 4, pred: 'the answer is 5' }),
      ].join('\n'),
    );
    const lines = (await run(gradeCommand, ['grade', '--jsonl', file]))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4]);
    expect(lines[0].correct).toBe(true);
    expect(lines[1].error).toMatch(/not valid JSON/);
    expect(lines[2].correct).toBe(true);
    expect(lines[3].correct).toBe(false);
    process.exitCode = 0;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rlmkit eval runs a reasoning strategy with the model-free policy and writes JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-eval-'));
    const file = path.join(dir, 'report.json');
    const text = await run(evalCommand, [
      'eval',
      '--task',
      'game24',
      '--strategy',
      'cot',
      '--model',
      'legal-uniform',
      '--k',
      '1,2',
      '--limit',
      '5',
      '--set',
      'decoding=sample',
      '--out',
      file,
    ]);
    expect(text).toMatch(/pass@k/);
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(report.problems).toBe(5);
    expect(report.samplesPerProblem).toBe(2);
    expect(report.metrics.length).toBeGreaterThanOrEqual(4);
    expect(report.tokensPerProblem.total.mean).toBeGreaterThan(0);
    // A second run compared with the first, paired by problem.
    const second = path.join(dir, 'second.json');
    const vs = await run(evalCommand, [
      'eval',
      '--task',
      'game24',
      '--strategy',
      'tot-dfs',
      '--model',
      'legal-uniform',
      '--limit',
      '5',
      '--set',
      'k=8',
      '--baseline',
      file,
      '--out',
      second,
    ]);
    expect(vs).toMatch(/same 5 problems .*paired/);
    const cmp = JSON.parse(fs.readFileSync(second, 'utf8')).comparison;
    expect(cmp.problems).toBe(5);
    expect(cmp.better + cmp.worse + cmp.same).toBe(5);
    expect(cmp.difference.mean).toBeCloseTo(cmp.current - cmp.baseline, 12);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('paired difference: matched by problem id, with a bootstrap interval around the mean difference', () => {
    const base = Array.from({ length: 200 }, (_, i) => ({ problemId: `p${i}`, n: 4, correct: i % 4 }));
    // +1 correct sample of 4 on every other problem: +12.5 points on average; one problem unmatched.
    const cur = base
      .map((p, i) => ({ ...p, correct: Math.min(4, p.correct + (i % 2)) }))
      .concat([{ problemId: 'extra', n: 1, correct: 1 }]);
    const c = pairedDifference(base, cur, { seed: 1 });
    expect(c.problems).toBe(200);
    const exact = cur.slice(0, 200).reduce((s, p, i) => s + (p.correct - base[i].correct) / 4, 0) / 200;
    expect(c.difference.mean).toBeCloseTo(exact, 12);
    expect(c.difference.lo).toBeLessThan(exact);
    expect(c.difference.hi).toBeGreaterThan(exact);
    expect(c.difference.lo).toBeGreaterThan(0);
    expect(c.better + c.worse + c.same).toBe(200);
    expect(c.worse).toBe(0);
  });

  it('rlmkit eval refuses a baseline that is not an eval report, before any work', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-eval-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"hello": 1}');
    await expect(
      run(evalCommand, ['eval', '--task', 'game24', '--strategy', 'cot', '--model', 'legal-uniform', '--limit', '2', '--baseline', bad]),
    ).rejects.toThrow(/no per-problem results/);
    await expect(
      run(evalCommand, [
        'eval',
        '--task',
        'game24',
        '--strategy',
        'cot',
        '--model',
        'legal-uniform',
        '--limit',
        '2',
        '--baseline',
        path.join(dir, 'missing.json'),
      ]),
    ).rejects.toThrow(/no such file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
