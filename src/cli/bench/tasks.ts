/**
 * `rlmkit bench tasks [--json]`: throughput of the verifiers.
 *
 * (a) Python sandbox: HumanEval canonical solutions (first `--problems`) run at `--concurrency`;
 *     executions per second, median wall time per execution, all must pass.
 * (b) JavaScript sandbox: small programs with 3 tests each in fresh QuickJS modules.
 * (c) Math grader: MATH-500 reference solutions vs answers (the cheap path), and answer pairs that
 *     need compute-engine (symbolic path), comparisons per second on the calling thread.
 * Figures on a shared 2-core machine are noisy; run it alone for numbers to report.
 */
import type { Command } from 'commander';
import { humanevalTask, runHumanEval } from '../../tasks/code/humaneval.js';
import { gradeSync } from '../../tasks/grader/index.js';
import { math500Task } from '../../tasks/math/math-task.js';
import { runJavaScript } from '../../tasks/sandbox/javascript.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

interface TasksBenchFlags {
  problems: number;
  concurrency: number;
  js: number;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export const tasksBench: BenchModule = {
  name: 'tasks',
  summary: 'verifier throughput: Python sandbox (HumanEval), QuickJS sandbox, math grader',
  configure(cmd: Command) {
    cmd
      .option('--problems <n>', 'HumanEval problems to run', intOption(1, 164), 40)
      .option('--concurrency <n>', 'sandboxes at once', intOption(1, 64), 2)
      .option('--js <n>', 'JavaScript programs to run', intOption(1, 10_000), 50);
  },
  async run(options) {
    const f = options as unknown as TasksBenchFlags;
    const he = (await humanevalTask.problems({ split: 'test' })).slice(0, f.problems);
    let passed = 0;
    const walls: number[] = [];
    let t0 = performance.now();
    await pool(he, f.concurrency, async (p) => {
      const r = await runHumanEval(p, p.data.canonicalSolution);
      if (r.passed) passed++;
      walls.push(r.usage.wallMs);
    });
    const pySecs = (performance.now() - t0) / 1000;
    walls.sort((a, b) => a - b);

    t0 = performance.now();
    let jsPassed = 0;
    for (let i = 0; i < f.js; i++) {
      const r = await runJavaScript({
        program: `function f(x) { return x * ${i} + 1 }`,
        tests: [`if (f(0) !== 1) throw 1`, `if (f(1) !== ${i + 1}) throw 2`, `if (f(2) !== ${2 * i + 1}) throw 3`],
      });
      if (r.passed) jsPassed++;
    }
    const jsSecs = (performance.now() - t0) / 1000;

    const math = await math500Task.problems({ split: 'test' });
    t0 = performance.now();
    let mathOk = 0;
    for (const p of math) if (gradeSync(p.answer, p.data.solution!).correct) mathOk++;
    const cheapSecs = (performance.now() - t0) / 1000;
    const symbolicPairs: Array<[string, string]> = [
      ['(x+1)^2', '\\boxed{x^2+2x+1}'],
      ['\\frac{\\sqrt{3}}{3}', '\\boxed{\\frac{1}{\\sqrt{3}}}'],
      ['2\\sqrt{2}', '\\boxed{\\sqrt{8}}'],
      ['\\frac{\\pi}{4}', '\\boxed{\\frac{2\\pi}{8}}'],
      ['\\frac{x}{2}', '\\boxed{0.5x}'],
    ];
    const rounds = 20;
    t0 = performance.now();
    let symOk = 0;
    for (let i = 0; i < rounds; i++) for (const [g, p] of symbolicPairs) if (gradeSync(g, p).correct) symOk++;
    const symSecs = (performance.now() - t0) / 1000;
    return {
      python: {
        executions: he.length,
        passed,
        concurrency: f.concurrency,
        seconds: pySecs,
        executionsPerSecond: he.length / pySecs,
        medianWallMs: walls[walls.length >> 1],
      },
      javascript: { executions: f.js, passed: jsPassed, seconds: jsSecs, executionsPerSecond: f.js / jsSecs },
      grader: {
        math500: { comparisons: math.length, equal: mathOk, seconds: cheapSecs, perSecond: math.length / cheapSecs },
        symbolic: {
          comparisons: rounds * symbolicPairs.length,
          equal: symOk,
          seconds: symSecs,
          perSecond: (rounds * symbolicPairs.length) / symSecs,
        },
      },
    };
  },
};
