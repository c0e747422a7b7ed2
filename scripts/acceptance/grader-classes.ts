/**
 * Acceptance: the math grader on its own case suite (test/tasks/grader-cases.ts), per class of
 * issue 16 (extraction, number formats, relations, structures, the tuple regression, units and
 * text, escaping, tolerance, symbolic), through MathGrader (worker threads, time limit). Prints
 * agreement per class and every disagreement.
 * Run: npx tsx scripts/acceptance/grader-classes.ts
 */
import { MathGrader } from '../../src/tasks/grader/index.js';
import { CLASSES } from '../../test/tasks/grader-cases.js';

const grader = new MathGrader({ timeoutMs: 5000 });
let agree = 0;
let total = 0;
const t0 = performance.now();
for (const [cls, cases] of Object.entries(CLASSES)) {
  let k = 0;
  for (const [gold, pred, want, options] of cases) {
    const r = await grader.grade(gold, pred, options);
    total++;
    if (r.verdict === want) {
      agree++;
      k++;
    } else console.log(`  [${cls}] want ${want}, got ${r.verdict}: ${JSON.stringify(gold)} vs ${JSON.stringify(pred)} (${r.reason})`);
  }
  console.log(`${cls.padEnd(14)} ${k}/${cases.length}`);
}
await grader.close();
console.log(
  `all classes: ${agree}/${total} = ${((100 * agree) / total).toFixed(1)}% (three-way verdict) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (agree !== total) process.exitCode = 1;
