/**
 * Acceptance: every attack program in test/tasks/sandbox-attacks.ts is contained by the Python
 * sandbox, and the host is unharmed. Prints one line per attack (status, what the program saw)
 * and a summary. Run: npx tsx scripts/acceptance/sandbox-attacks.ts
 */
import { runPython } from '../../src/tasks/sandbox/python.js';
import { ATTACKS, prepareHost } from '../../test/tasks/sandbox-attacks.js';

const host = await prepareHost();
let contained = 0;
let victimAlive = false;
const t0 = performance.now();
try {
  for (const a of ATTACKS) {
    const r = await runPython({ program: a.code(host), tests: ['assert True'] }, { limits: { timeoutMs: 5000, ...a.limits } });
    const why = a.contained(r, host);
    if (!why) contained++;
    const seen = (r.stdout.trim().split('\n').pop() ?? '').slice(0, 90) || (r.error ?? '').slice(0, 90);
    console.log(`${why ? 'ESCAPED ' : 'contained'}  ${a.name.padEnd(44)} status=${r.status.padEnd(7)} ${(r.usage.wallMs / 1000).toFixed(2)}s  ${why ?? seen}`);
  }
} finally {
  victimAlive = host.victim.exitCode === null && host.victim.signalCode === null;
  await host.close();
}
const after = await runPython({ program: 'x = 1', tests: ['assert x == 1'] });
console.log(`\n${contained}/${ATTACKS.length} attacks contained; host victim process alive after all attacks: ${victimAlive}; sandbox still works afterwards: ${after.passed}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (contained !== ATTACKS.length || !after.passed || !victimAlive) process.exitCode = 1;
