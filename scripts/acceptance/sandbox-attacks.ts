/**
 * Acceptance: every attack program in test/tasks/sandbox-attacks.ts is contained by the Python
 * sandbox, the host is unharmed, and the host-cost attacks stay within their memory budget
 * (configured limits + HOST_MARGIN). Prints one line per attack (status, what the program saw, and
 * for host-cost attacks the measured growth of tmpfs memory, kernel slab and the process tree, plus
 * host memory and disk in use, which other jobs on the machine also move) and
 * a summary. Run: npx tsx scripts/acceptance/sandbox-attacks.ts
 */
import { runPython } from '../../src/tasks/sandbox/python.js';
import {
  ATTACKS,
  HOST_LIMITS,
  HOST_MARGIN,
  HOST_MEMORY_ATTACKS,
  hostGrowth,
  overBudget,
  prepareHost,
} from '../../test/tasks/sandbox-attacks.js';

const MiB = 1024 * 1024;
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
    console.log(
      `${why ? 'ESCAPED ' : 'contained'}  ${a.name.padEnd(48)} status=${r.status.padEnd(7)} ${(r.usage.wallMs / 1000).toFixed(2)}s  ${why ?? seen}`,
    );
  }
} finally {
  victimAlive = host.victim.exitCode === null && host.victim.signalCode === null;
  await host.close();
}
console.log(
  `\nhost-cost attacks (limits: memory ${HOST_LIMITS.memoryBytes! / MiB} MiB, /tmp ${HOST_LIMITS.tmpBytes! / MiB} MiB and ${HOST_LIMITS.maxFiles} inodes, /dev/shm ${HOST_LIMITS.shmBytes! / MiB} MiB; margins: tmpfs +${HOST_MARGIN.shmem / MiB} MiB, slab ${HOST_MARGIN.slab / MiB} MiB, processes +${HOST_MARGIN.processes / MiB} MiB)`,
);
let withinBudget = 0;
for (const a of HOST_MEMORY_ATTACKS) {
  const { value: r, growth } = await hostGrowth(() => runPython({ program: a.code, tests: ['assert True'] }, { limits: HOST_LIMITS }));
  const why = overBudget(r, growth);
  if (!why && !r.passed) withinBudget++;
  const f = (n: number) => `${(n / MiB).toFixed(0)} MiB`.padStart(8);
  console.log(
    `${why ? 'OVER    ' : 'within  '}  ${a.name.padEnd(40)} status=${r.status.padEnd(7)} tmpfs ${f(growth.shmem)}  slab ${f(growth.slab)}  process tree ${f(r.usage.memoryBytes ?? 0)}  host used ${f(growth.used)}  host disk ${f(growth.disk)}${why ? `  ${why}` : ''}`,
  );
}
const after = await runPython({ program: 'x = 1', tests: ['assert x == 1'] });
console.log(
  `\n${contained}/${ATTACKS.length} attacks contained; ${withinBudget}/${HOST_MEMORY_ATTACKS.length} host-cost attacks within budget; host victim process alive after all attacks: ${victimAlive}; sandbox still works afterwards: ${after.passed}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (contained !== ATTACKS.length || withinBudget !== HOST_MEMORY_ATTACKS.length || !after.passed || !victimAlive) process.exitCode = 1;
