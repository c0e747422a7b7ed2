/**
 * `rlmkit bench cli`: cold-start time of the command line, as a user meets it. Each round runs
 * `node -e 0` (the floor: starting Node itself), `rlmkit --help`, `rlmkit --version`,
 * `rlmkit tasks` and `rlmkit grade --gold 1/2 --pred 0.5` as fresh processes, interleaved, and the
 * figures are medians over rounds. Targets (issue 12): --help and --version within 0.25 s of the
 * floor; grade under 1.5 s in total.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { median } from './stats.js';
import type { BenchModule } from './types.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = path.join(packageRoot, 'bin', 'rlmkit.js');

interface Case {
  name: string;
  args: string[];
  /** Target in seconds: absolute, or relative to the floor. */
  target?: { seconds: number; overFloor: boolean };
}

const CASES: Case[] = [
  { name: 'node -e 0 (floor)', args: ['-e', '0'] },
  { name: 'rlmkit --help', args: [bin, '--help'], target: { seconds: 0.25, overFloor: true } },
  { name: 'rlmkit --version', args: [bin, '--version'], target: { seconds: 0.25, overFloor: true } },
  { name: 'rlmkit tasks', args: [bin, 'tasks'] },
  {
    name: 'rlmkit grade --gold 1/2 --pred 0.5',
    args: [bin, 'grade', '--gold', '1/2', '--pred', '0.5'],
    target: { seconds: 1.5, overFloor: false },
  },
];

function timeOnce(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: packageRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`\`node ${args.join(' ')}\` exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  return seconds;
}

export const cliBench: BenchModule = {
  name: 'cli',
  summary: 'cold start of the CLI (--help, --version, tasks, grade) against `node -e 0`, medians of interleaved rounds',
  configure(cmd: Command) {
    cmd.option('--rounds <n>', 'interleaved rounds (medians are reported)', '7');
  },
  async run(o) {
    const rounds = Number(o.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
      throw usageError(`--rounds must be an integer in 1..100, got ${String(o.rounds)}`);
    if (!existsSync(path.join(packageRoot, 'dist', 'cli', 'main.js')))
      throw usageError('the CLI is not built (dist/ is missing)', 'run `npm run build` first');
    const times = CASES.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`bench cli: round ${r + 1}/${rounds}\n`);
      CASES.forEach((c, i) => times[i].push(timeOnce(c.args)));
    }
    const floor = median(times[0]);
    const rows = CASES.map((c, i) => {
      const m = median(times[i]);
      const limit = c.target ? (c.target.overFloor ? floor + c.target.seconds : c.target.seconds) : null;
      return {
        command: c.name,
        medianSeconds: Number(m.toFixed(3)),
        overFloorSeconds: Number((m - floor).toFixed(3)),
        runs: times[i].map((t) => Number(t.toFixed(3))),
        target: c.target ? `${c.target.overFloor ? 'floor + ' : '< '}${c.target.seconds} s` : null,
        meetsTarget: limit === null ? null : m <= limit,
      };
    });
    return { bench: 'cli', rounds, node: process.version, floorSeconds: Number(floor.toFixed(3)), rows };
  },
  format(result) {
    const rows = result.rows as Array<{
      command: string;
      medianSeconds: number;
      overFloorSeconds: number;
      target: string | null;
      meetsTarget: boolean | null;
    }>;
    const lines = [`cold start, medians of ${String(result.rounds)} interleaved rounds (${String(result.node)})`];
    for (const r of rows) {
      const verdict = r.meetsTarget === null ? '' : r.meetsTarget ? `  ok (${r.target})` : `  MISSES ${r.target}`;
      lines.push(`  ${r.command.padEnd(38)} ${r.medianSeconds.toFixed(3)} s  (+${r.overFloorSeconds.toFixed(3)} over the floor)${verdict}`);
    }
    return lines.join('\n');
  },
};
