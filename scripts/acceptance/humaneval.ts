/**
 * Acceptance: HumanEval in the Python sandbox. All 164 canonical solutions must pass their tests;
 * 164 broken variants (the body replaced by `return None`) must fail; a second broken family
 * (the canonical body with its last return value off, via a wrapper) is reported too. Prints
 * executions per second at the given concurrency (default 2 = the machine's cores).
 * Run: npx tsx scripts/acceptance/humaneval.ts [--concurrency 2]
 */
import { humanevalTask, runHumanEval, type CodeProblem } from '../../src/tasks/code/humaneval.js';
import type { ExecutionResult } from '../../src/tasks/sandbox/limits.js';

const at = process.argv.indexOf('--concurrency');
const concurrency = at > 0 ? Number(process.argv[at + 1]) : 2;
const problems = await humanevalTask.problems({ split: 'test' });

/** A wrapper that calls the canonical function and perturbs its result (None stays None). */
const perturbed = (p: CodeProblem) =>
  `${p.data.prompt}${p.data.canonicalSolution}\n_original = ${p.data.entryPoint}\ndef ${p.data.entryPoint}(*args, **kwargs):\n    r = _original(*args, **kwargs)\n    if isinstance(r, bool): return not r\n    if isinstance(r, (int, float)): return r + 1\n    if isinstance(r, str): return r + 'x'\n    if isinstance(r, list): return r + [None]\n    if isinstance(r, tuple): return r + (None,)\n    return 'perturbed'\n`;

interface Job {
  p: CodeProblem;
  kind: 'canonical' | 'return-none' | 'perturbed';
  code: string;
}
const jobs: Job[] = problems.flatMap((p) => [
  { p, kind: 'canonical' as const, code: p.data.canonicalSolution },
  { p, kind: 'return-none' as const, code: '    return None\n' },
  { p, kind: 'perturbed' as const, code: perturbed(p) },
]);
const results = new Map<Job, ExecutionResult>();
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      results.set(j, await runHumanEval(j.p, j.code));
    }
  }),
);
const secs = (performance.now() - t0) / 1000;
const count = (kind: Job['kind'], passed: boolean) => jobs.filter((j) => j.kind === kind && results.get(j)!.passed === passed);
console.log(`HumanEval canonical solutions passing: ${count('canonical', true).length}/${problems.length}`);
for (const j of count('canonical', false))
  console.log(`  canonical FAILED: ${j.p.id}: ${results.get(j)!.error ?? JSON.stringify(results.get(j)!.tests.filter((t) => !t.passed))}`);
console.log(`broken variants (return None) failing: ${count('return-none', false).length}/${problems.length}`);
for (const j of count('return-none', true)) console.log(`  return-None PASSED: ${j.p.id}`);
console.log(`broken variants (result perturbed) failing: ${count('perturbed', false).length}/${problems.length}`);
for (const j of count('perturbed', true)) console.log(`  perturbed PASSED: ${j.p.id}`);
const cpu = [...results.values()].map((r) => r.usage.cpuMs ?? 0);
const wall = [...results.values()].map((r) => r.usage.wallMs).sort((a, b) => a - b);
console.log(
  `${jobs.length} sandboxed executions in ${secs.toFixed(1)} s at concurrency ${concurrency}: ${(jobs.length / secs).toFixed(1)} executions/s; per execution wall median ${wall[wall.length >> 1].toFixed(0)} ms, guest CPU mean ${(cpu.reduce((a, b) => a + b, 0) / cpu.length).toFixed(0)} ms`,
);
if (count('canonical', false).length || count('return-none', true).length) process.exitCode = 1;
