/**
 * Acceptance: GSM8K. All 1319 reference solutions (ending in "#### n") are graded correct against
 * their own answer, and the same answers re-formatted ($1,000 / 1000.00 / 1,000 dollars / "The
 * answer is ...") are still graded correct. Run: npx tsx scripts/acceptance/gsm8k.ts
 */
import { gsm8kTask } from '../../src/tasks/math/math-task.js';
import { MathGrader } from '../../src/tasks/grader/index.js';

const problems = await gsm8kTask.problems({ split: 'test' });
const grader = new MathGrader({ timeoutMs: 5000 });
const t0 = performance.now();
let references = 0;
const formats: Record<string, (v: number) => string> = {
  'dollar sign + thousands ($1,000)': (v) => `The answer is $${v.toLocaleString('en-US')}.`,
  'two decimals (1000.00)': (v) => `\\boxed{${v.toFixed(2)}}`,
  'thousands + unit (1,000 dollars)': (v) => `#### ${v.toLocaleString('en-US')} dollars`,
  'sentence, last number': (v) => `So in total she gets ${v.toLocaleString('en-US')} dollars`,
};
const ok: Record<string, number> = Object.fromEntries(Object.keys(formats).map((k) => [k, 0]));
const failures: string[] = [];
for (const p of problems) {
  const ref = await grader.grade(p.data.solution!, p.data.solution!);
  if (ref.correct) references++;
  else failures.push(`${p.id}: reference (${ref.reason})`);
  const v = Number(p.answer);
  for (const [name, f] of Object.entries(formats)) {
    const r = await grader.grade(p.data.solution!, f(v));
    if (r.correct) ok[name]++;
    else failures.push(`${p.id}: ${name}: ${JSON.stringify(f(v))} -> ${r.pred.normalized} (${r.reason})`);
  }
}
await grader.close();
console.log(`GSM8K reference solutions graded correct: ${references}/${problems.length}`);
for (const [name, n] of Object.entries(ok)) console.log(`  re-formatted, ${name.padEnd(34)} ${n}/${problems.length}`);
for (const f of failures) console.log(`  failure: ${f}`);
console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s for ${problems.length * 5} gradings`);
if (failures.length) process.exitCode = 1;
