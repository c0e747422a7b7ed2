/**
 * Acceptance: Game of 24 and Countdown.
 * - The step solver (depth-first over legal moves, no negative intermediates) agrees with an
 *   independent brute force (all expression values over subset splits, negatives allowed) on
 *   every puzzle: all 1362 of 24.csv (the 100 test puzzles listed separately), 500 Countdown
 *   (TinyZero) and 500 classic Countdown test puzzles; and all 1820 multisets of four numbers in
 *   1..13, solvable or not.
 * - Every enumerated solution path replays as valid through checkStep and its expression passes
 *   verify; solution counts per puzzle are reported.
 * - The verifiers reject invalid expressions: numbers reused, wrong numbers, numbers left out,
 *   division by zero, non-integer steps under the classic rules, malformed text.
 * Run: npx tsx scripts/acceptance/games.ts
 */
import { allSolutions, bruteForceSolvable } from '../../src/tasks/games/combine.js';
import { countdownClassicTask, countdownTask } from '../../src/tasks/games/countdown.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { NumberGameProblem } from '../../src/tasks/games/number-game.js';
import { rat } from '../../src/tasks/games/rational.js';
import type { Task } from '../../src/tasks/types.js';

async function agree(
  name: string,
  task: Task<NumberGameProblem>,
  problems: NumberGameProblem[],
  rules: { useAll: boolean; integerOnly: boolean },
) {
  const t0 = performance.now();
  let agreeCount = 0;
  let solvable = 0;
  let pathsChecked = 0;
  const counts: number[] = [];
  const disagreements: string[] = [];
  for (const p of problems) {
    const start = p.data.numbers.map((n) => rat(n));
    const r = { ...rules, target: rat(p.data.target) };
    const paths = allSolutions(start, r);
    const brute = bruteForceSolvable(start, r);
    if (paths.length > 0 === brute) agreeCount++;
    else
      disagreements.push(`${p.id} (${p.data.numbers.join(' ')} -> ${p.data.target}): solver ${paths.length} paths, brute force ${brute}`);
    if (paths.length > 0) solvable++;
    counts.push(paths.length);
    for (const path of paths) {
      const end = task.checkStep!(p, path);
      const ok = end.valid && end.terminal && (await task.verify(end.answer ?? null, p)).correct;
      if (!ok) disagreements.push(`${p.id}: path ${path.join(' | ')} does not replay/verify`);
      pathsChecked++;
    }
  }
  const sorted = [...counts].sort((a, b) => a - b);
  console.log(
    `${name}: solver agrees with brute force on ${agreeCount}/${problems.length} puzzles; solvable ${solvable}; ${pathsChecked} solution paths replayed and verified; paths per puzzle median ${sorted[sorted.length >> 1]}, max ${sorted[sorted.length - 1]} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  for (const d of disagreements) console.log(`  PROBLEM: ${d}`);
  return disagreements.length === 0;
}

let ok = true;
ok =
  (await agree('Game of 24 test (ranks 901-1000)', game24Task, await game24Task.problems({ split: 'test' }), {
    useAll: true,
    integerOnly: false,
  })) && ok;
ok =
  (await agree('Game of 24 train (the other 1262)', game24Task, await game24Task.problems({ split: 'train' }), {
    useAll: true,
    integerOnly: false,
  })) && ok;
ok =
  (await agree('Countdown (TinyZero) test', countdownTask, await countdownTask.problems({ split: 'test' }), {
    useAll: true,
    integerOnly: false,
  })) && ok;
ok =
  (await agree('Countdown classic test', countdownClassicTask, await countdownClassicTask.problems({ split: 'test' }), {
    useAll: false,
    integerOnly: true,
  })) && ok;

// Every multiset of four numbers in 1..13 (1820 puzzles, solvable or not): the solver decides
// solvability exactly as the brute force does. (1362 are solvable, the size of 24.csv.)
{
  const t0 = performance.now();
  let n = 0;
  let same = 0;
  let solvable = 0;
  const r24 = { useAll: true, integerOnly: false, target: rat(24) };
  for (let a = 1; a <= 13; a++)
    for (let b = a; b <= 13; b++)
      for (let c = b; c <= 13; c++)
        for (let d = c; d <= 13; d++) {
          const start = [a, b, c, d].map((x) => rat(x));
          const bySolver = allSolutions(start, r24, 1).length > 0;
          const byBrute = bruteForceSolvable(start, r24);
          n++;
          if (bySolver === byBrute) same++;
          else console.log(`  PROBLEM: ${a} ${b} ${c} ${d}: solver ${bySolver}, brute force ${byBrute}`);
          if (byBrute) solvable++;
        }
  ok &&= same === n;
  console.log(
    `Game of 24, all ${n} multisets of 1..13: solver agrees with brute force on ${same}/${n}; solvable ${solvable} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}

// Verifier rejections.
const g: NumberGameProblem = { id: 'g', question: '', data: { numbers: [4, 4, 6, 8], target: 24 } };
const c: NumberGameProblem = { id: 'c', question: '', data: { numbers: [2, 3, 10, 7], target: 5 } };
const cases: Array<[string, Task<NumberGameProblem>, NumberGameProblem, string, boolean]> = [
  ['valid', game24Task, g, '(4+8)*(6-4)', true],
  ['number reused', game24Task, g, '(8+8)*(6-4)', false],
  ['number reused, one left out', game24Task, g, '8*(8-6)+8', false],
  ['wrong numbers', game24Task, g, '(4+8)*(7-5)', false],
  ['numbers left out', game24Task, g, '4*6', false],
  ['division by zero', game24Task, g, '(4+8)*6/(4-4)', false],
  ['wrong value', game24Task, g, '4*8-6-4', false],
  ['foreign symbol', game24Task, g, '(4+8)*(6-4)+0*x', false],
  ['malformed', game24Task, g, '(4+8*(6-4)', false],
  ['TinyZero: fractions allowed', countdownTask, c, '(7/2-3)*10', true],
  ['classic: non-integer step', countdownClassicTask, c, '(7/2-3)*10', false],
  ['classic: unused numbers allowed', countdownClassicTask, c, '10/2', true],
  ['TinyZero: unused numbers', countdownTask, c, '10/2', false],
];
for (const [name, task, p, expr, want] of cases) {
  const v = await task.verify(expr, p);
  const pass = v.correct === want;
  ok &&= pass;
  console.log(
    `${pass ? 'ok ' : 'BAD'} ${task.name.padEnd(17)} ${name.padEnd(32)} ${expr.padEnd(18)} -> ${v.correct ? 'accepted' : `rejected: ${v.details}`}`,
  );
}
const stepCases: Array<[string, Task<NumberGameProblem>, NumberGameProblem, string[]]> = [
  ['claimed result wrong', game24Task, g, ['4+8=13 (4 6 13)']],
  ['numbers left wrong', game24Task, g, ['4+8=12 (4 6 13)']],
  ['operand not available', game24Task, g, ['5+8=13 (4 4 6 13)']],
  ['operand used twice', game24Task, g, ['8+8=16 (4 4 6 16)']],
  ['division by zero', game24Task, g, ['4-4=0 (6 8 0)', '6/0=0 (8 0)']],
  ['classic: non-integer step', countdownClassicTask, c, ['7/2=7/2 (2 3 10 7/2)']],
];
for (const [name, task, p, steps] of stepCases) {
  const r = task.checkStep!(p, steps);
  ok &&= !r.valid;
  console.log(
    `${!r.valid ? 'ok ' : 'BAD'} ${task.name.padEnd(17)} step check: ${name.padEnd(26)} ${steps[steps.length - 1].padEnd(22)} -> ${r.valid ? 'accepted' : `rejected: ${r.reason}`}`,
  );
}
console.log(ok ? '\nall game checks passed' : '\nSOME GAME CHECKS FAILED');
if (!ok) process.exitCode = 1;
