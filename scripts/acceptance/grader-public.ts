/**
 * Acceptance: the math grader against public grader test cases collected by
 * scripts/acceptance/public-grader-cases.py (Math-Verify 0.9.0's own test files), against
 * test/tasks/grader-peer-suites.ts (labelled cases from other graders' public test suites: the MATH
 * harness, verl, Math-Verify's newer tests, lighteval, rllm, AReaL, SkyRL, DAPO-style rewards) with
 * --peers, and against test/tasks/grader-public-conventions.ts (this project's cases for the
 * conventions of Qwen2.5-Math's grader, lm-evaluation-harness, PRM800K and simple-evals) with
 * --conventions. An expected `true` must be `correct`; an
 * expected `false` must be `wrong` or `unparseable` (Math-Verify's verify() has no third value).
 * Math-Verify's `precision=p` (decimal places kept) is passed as relTol 10^-p. Prints agreement per
 * suite and every disagreement.
 * Run: python3 scripts/acceptance/public-grader-cases.py > /tmp/public-cases.jsonl
 *      npx tsx scripts/acceptance/grader-public.ts /tmp/public-cases.jsonl [--peers] [--conventions]
 *      (a JSONL file is optional: `npx tsx scripts/acceptance/grader-public.ts --peers` runs the peer suites alone)
 */
import { readFileSync } from 'node:fs';
import { MathGrader, type GradeOptions } from '../../src/tasks/grader/index.js';
import { CONVENTIONS } from '../../test/tasks/grader-public-conventions.js';
import { PEER_DISAGREEMENTS, PEER_SUITES, peerKey } from '../../test/tasks/grader-peer-suites.js';

interface Row {
  suite: string;
  gold: string;
  pred: string;
  expected: boolean;
  options?: { precision?: number; [k: string]: unknown };
}

const args = process.argv.slice(2);
const rows: Row[] = [];
for (const file of args.filter((a) => !a.startsWith('--'))) {
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) rows.push(JSON.parse(line) as Row);
}
if (args.includes('--peers')) {
  for (const [suite, { cases }] of Object.entries(PEER_SUITES))
    for (const [gold, pred, expected, options] of cases) rows.push({ suite: `peers/${suite}`, gold, pred, expected, options });
}
if (args.includes('--conventions')) {
  for (const [suite, cases] of Object.entries(CONVENTIONS))
    for (const [gold, pred, expected, options] of cases) rows.push({ suite: `conventions/${suite}`, gold, pred, expected, options });
}
const grader = new MathGrader({ timeoutMs: 5000 });
const bySuite = new Map<string, [number, number]>();
let agree = 0;
const t0 = performance.now();
for (const r of rows) {
  const { precision, ...rest } = r.options ?? {};
  const opts: GradeOptions = r.suite.startsWith('conventions/') || r.suite.startsWith('peers/') ? (rest as GradeOptions) : {};
  if (typeof precision === 'number' && precision !== 6) opts.relTol = 10 ** -precision;
  const g = await grader.grade(r.gold, r.pred, opts);
  const ok = (g.verdict === 'correct') === r.expected;
  const s = bySuite.get(r.suite) ?? [0, 0];
  s[1]++;
  if (ok) {
    s[0]++;
    agree++;
  } else {
    const cut = (x: string) => JSON.stringify(x.length > 160 ? `${x.slice(0, 70)} ... ${x.slice(-80)}` : x);
    console.log(`  [${r.suite}] want ${r.expected ? 'correct' : 'not correct'}, got ${g.verdict}: ${cut(r.gold)} vs ${cut(r.pred)}`);
    console.log(
      `      gold=${JSON.stringify(g.gold.normalized)} pred=${JSON.stringify(g.pred.normalized)} (${g.reason})${r.options ? ` options=${JSON.stringify(r.options)}` : ''}`,
    );
    const why = r.suite.startsWith('peers/') ? PEER_DISAGREEMENTS[peerKey(r.suite.slice(6), r.gold, r.pred)] : undefined;
    if (why) console.log(`      documented difference: ${why}`);
  }
  bySuite.set(r.suite, s);
}
await grader.close();
for (const [suite, [a, n]] of bySuite) console.log(`${suite.padEnd(70)} ${a}/${n}`);
console.log(
  `all: ${agree}/${rows.length} = ${((100 * agree) / rows.length).toFixed(1)}% in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
