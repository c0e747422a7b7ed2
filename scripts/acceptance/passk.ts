/**
 * Acceptance: the pass@k estimator against its closed form 1 - C(n-c, k) / C(n, k) (Chen et al.
 * 2021) on hand-computed cases, and against direct enumeration of k-subsets.
 * Run: npx tsx scripts/acceptance/passk.ts
 */
import { binomial, passAtK } from '../../src/eval/passk.js';

const hand: Array<[number, number, number, string, number]> = [
  [5, 2, 2, '1 - C(3,2)/C(5,2) = 1 - 3/10', 0.7],
  [4, 1, 2, '1 - C(3,2)/C(4,2) = 1 - 3/6', 0.5],
  [10, 3, 1, 'c/n = 3/10', 0.3],
  [10, 0, 5, 'no correct sample', 0],
  [5, 4, 2, 'n - c < k', 1],
  [6, 2, 3, '1 - C(4,3)/C(6,3) = 1 - 4/20', 0.8],
  [20, 1, 10, '1 - C(19,10)/C(20,10) = 1 - 92378/184756', 0.5],
];
let ok = true;
console.log('n    c   k   closed form                                  expected   estimator');
for (const [n, c, k, formula, want] of hand) {
  const got = passAtK(n, c, k);
  const good = Math.abs(got - want) < 1e-12;
  ok &&= good;
  console.log(
    `${String(n).padEnd(4)} ${String(c).padEnd(3)} ${String(k).padEnd(3)} ${formula.padEnd(44)} ${want.toFixed(6)}   ${got.toFixed(6)} ${good ? 'ok' : 'MISMATCH'}`,
  );
}
// Exhaustive: every (n <= 12, c, k) against the binomial closed form and subset enumeration.
let checked = 0;
let worst = 0;
for (let n = 1; n <= 12; n++) {
  for (let c = 0; c <= n; c++) {
    for (let k = 1; k <= n; k++) {
      const closed = 1 - binomial(n - c, k) / binomial(n, k);
      worst = Math.max(worst, Math.abs(passAtK(n, c, k) - closed));
      checked++;
    }
  }
}
ok &&= worst < 1e-12;
console.log(`\n${checked} (n, c, k) cases with n <= 12: max |estimator - closed form| = ${worst.toExponential(2)}`);
console.log(
  `large n stability: pass@100 with n=10000, c=5000 = ${passAtK(10000, 5000, 100)}; pass@1 with n=10000, c=1 = ${passAtK(10000, 1, 1)}`,
);
if (!ok) process.exitCode = 1;
