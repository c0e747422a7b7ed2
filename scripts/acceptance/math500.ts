/**
 * Acceptance: the math grader on MATH-500.
 * - Positives: the answer extracted from each reference `solution` is judged equal to `answer`
 *   (through MathGrader, i.e. with the per-comparison time limit). Every exception is listed.
 * - Negatives: each problem's `answer` against the answers of all other problems; pairs whose
 *   answer texts are identical are not negatives and are skipped. Every pair judged equal is
 *   listed with the grader's reason so it can be justified by hand. Target: < 0.5%.
 * Run: npx tsx scripts/acceptance/math500.ts [--stride 1]
 */
import { math500Task } from '../../src/tasks/math/math-task.js';
import { MathGrader, gradeSync } from '../../src/tasks/grader/index.js';

const stride = Number(process.argv[process.argv.indexOf('--stride') + 1] ?? 1) || 1;
const problems = await math500Task.problems({ split: 'test' });

// Positives.
const grader = new MathGrader({ timeoutMs: 5000 });
let t0 = performance.now();
const exceptions: string[] = [];
for (const p of problems) {
  const r = await grader.grade(p.answer, p.data.solution!);
  if (!r.correct)
    exceptions.push(`${p.id}: answer ${JSON.stringify(p.answer)} vs extracted ${JSON.stringify(r.pred.extracted)} (${r.reason})`);
}
await grader.close();
console.log(
  `MATH-500 positives: ${problems.length - exceptions.length}/${problems.length} reference solutions graded equal to their answer (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
for (const e of exceptions) console.log(`  exception: ${e}`);

// Negatives.
t0 = performance.now();
let pairs = 0;
let skippedIdentical = 0;
let slowest = 0;
const judgedEqual: string[] = [];
for (let i = 0; i < problems.length; i++) {
  for (let j = 0; j < problems.length; j += stride) {
    if (i === j) continue;
    if (problems[i].answer.trim() === problems[j].answer.trim()) {
      skippedIdentical++;
      continue;
    }
    const s = performance.now();
    const r = gradeSync(problems[i].answer, `\\boxed{${problems[j].answer}}`);
    slowest = Math.max(slowest, performance.now() - s);
    pairs++;
    if (r.correct) judgedEqual.push(`${JSON.stringify(problems[i].answer)} ~ ${JSON.stringify(problems[j].answer)} (${r.reason})`);
  }
}
const rate = judgedEqual.length / pairs;
console.log(
  `\nMATH-500 negatives: ${pairs} ordered pairs of different answer texts (${skippedIdentical} identical-text pairs skipped); judged equal: ${judgedEqual.length} = ${(100 * rate).toFixed(4)}% (target < 0.5%); slowest comparison ${slowest.toFixed(0)} ms; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
const counts = new Map<string, number>();
for (const e of judgedEqual) counts.set(e, (counts.get(e) ?? 0) + 1);
for (const [e, c] of counts) console.log(`  judged equal${c > 1 ? ` ×${c}` : ''}: ${e}`);
if (rate >= 0.005) process.exitCode = 1;
