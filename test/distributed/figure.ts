/**
 * The closing figure of src/distributed/README.md (not a test: run by hand, ~minutes):
 *   node --import tsx test/distributed/figure.ts [problems=200] [workers=3]
 * Starts redis-server on a free loopback port and `workers` `rlmkit worker` processes, runs the
 * same `rlmkit eval` in process and over the queue, SIGKILLs one worker as soon as it starts a
 * job, and prints one JSON line: whether the reports agree, the walls, and the jobs per worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, runCliAsync, tsxLoader } from '../helpers/cli.js';
import { startRedis } from './redis.js';

const N = Number(process.argv[2] ?? 200);
const W = Number(process.argv[3] ?? 3);
const mainTs = path.join(repoRoot, 'src/cli/main.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-figure-'));

const redis = await startRedis();
const url = redis.url;

const logs: string[] = [];
const workers: ChildProcess[] = [];
for (let i = 0; i < W; i++) {
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, mainTs, 'worker', '--redis', url, '--lock-ms', '5000', '--log-format', 'json'],
    { cwd: repoRoot },
  );
  logs.push('');
  child.stdout!.on('data', (d) => (logs[i] += d));
  child.stderr!.on('data', (d) => (logs[i] += d));
  workers.push(child);
}
for (const t0 = Date.now(); !logs.every((l) => l.includes('worker-ready')); await new Promise((r) => setTimeout(r, 100))) {
  if (Date.now() - t0 > 180_000) throw new Error(`workers did not start within 3 minutes:\n${logs.join('\n---\n').slice(-2000)}`);
}

const args = [
  'eval',
  '--task',
  'game24',
  '--split',
  'all',
  '--strategy',
  'mcts',
  '--set',
  'simulations=64',
  '--set',
  'stop_when_solved=false',
  '--model',
  'legal-uniform',
  '--k',
  '1',
  '--limit',
  String(N),
  '--chunk',
  '8',
  '--seed',
  '1',
];
let t0 = performance.now();
const local = await runCliAsync([...args, '--out', path.join(tmp, 'local.json')], { timeoutMs: 3_600_000 });
const localWall = (performance.now() - t0) / 1000;
process.stderr.write(`in process: ${localWall.toFixed(1)} s (exit ${local.code})\n`);
t0 = performance.now();
const queued = runCliAsync([...args, '--queue', url, '--out', path.join(tmp, 'queued.json')], { timeoutMs: 3_600_000 });
let settled = false;
void queued.then(() => (settled = true));
let killed = -1;
while (killed < 0 && !settled) {
  killed = logs.findIndex((l) => l.includes('"job started"'));
  await new Promise((r) => setTimeout(r, 10));
}
if (killed < 0) throw new Error(`the queued eval ended before any job started: ${(await queued).stderr.slice(-1000)}`);
workers[killed].kill('SIGKILL');
process.stderr.write(`killed worker ${killed} in its first job\n`);
const q = await queued;
const queueWall = (performance.now() - t0) / 1000;
const read = (f: string) => {
  const r = JSON.parse(fs.readFileSync(path.join(tmp, f), 'utf8'));
  return JSON.stringify({ metrics: r.metrics, perProblem: r.perProblem, tokens: r.tokensPerProblem });
};
const count = (l: string, msg: string) => l.split('\n').filter((x) => x.includes(`"${msg}"`)).length;
const ok = local.code === 0 && q.code === 0;
console.log(
  JSON.stringify({
    problems: N,
    workers: W,
    identical: ok && read('local.json') === read('queued.json'),
    accuracy: ok ? JSON.parse(fs.readFileSync(path.join(tmp, 'queued.json'), 'utf8')).metrics[0].mean : null,
    inProcessWallS: +localWall.toFixed(1),
    queueWallS: +queueWall.toFixed(1),
    killedWorker: killed,
    jobsDonePerWorker: logs.map((l) => count(l, 'job done')),
    jobsStartedPerWorker: logs.map((l) => count(l, 'job started')),
    errors: ok ? undefined : [local.stderr.slice(-500), q.stderr.slice(-500)],
  }),
);
for (const w of workers) w.kill('SIGTERM');
redis.stop();
fs.rmSync(tmp, { recursive: true, force: true });
