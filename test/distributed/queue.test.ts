/**
 * Distributed evaluation on a real Redis (a redis-server this test starts on a free loopback port)
 * with real `rlmkit worker` processes: results equal the in-process run exactly, and a worker
 * killed with SIGKILL in the middle of a job loses nothing and counts nothing twice.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solveManyQueued } from '../../src/distributed/eval.js';
import { PolicyCache, runJob } from '../../src/distributed/jobs.js';
import { countdownTask } from '../../src/tasks/games/countdown.js';
import { JobQueue, startWorker } from '../../src/distributed/queue.js';
import { repoRoot, runCli, runCliAsync } from '../helpers/cli.js';
import { type TestRedis, firstWorkerToStartAJob, freePort, jobIds, spawnWorker, startRedis } from './redis.js';

let redis: TestRedis;
let url: string;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-queue-'));
  redis = await startRedis();
  url = redis.url;
});

afterAll(() => {
  redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What must agree between runs: per-problem results and the metrics (not the wall times). */
function outcome(file: string) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(r.perProblem.length).toBeGreaterThan(0);
  expect(r.metrics.length).toBeGreaterThan(0);
  return { metrics: r.metrics, perProblem: r.perProblem, tokens: r.tokensPerProblem };
}

describe('rlmkit worker + rlmkit eval --queue', () => {
  it('3 workers give exactly the in-process results; SIGKILL of a worker mid-job loses nothing', async () => {
    const workers = await Promise.all([spawnWorker(url, [], 60_000), spawnWorker(url, [], 60_000), spawnWorker(url, [], 60_000)]);
    try {
      // Slow enough jobs (MCTS over the legal moves, 2 problems each) that a kill lands inside one.
      const args = [
        'eval',
        '--task',
        'game24',
        '--strategy',
        'mcts',
        '--set',
        'simulations=300',
        '--set',
        'stop_when_solved=false',
        '--model',
        'legal-uniform',
        '--k',
        '1,2',
        '--limit',
        '8',
        '--chunk',
        '2',
        '--seed',
        '3',
      ];
      const local = runCli([...args, '--out', path.join(tmp, 'local.json')], { timeoutMs: 300_000 });
      expect(local.code, local.stderr).toBe(0);

      const queued = runCliAsync([...args, '--queue', url, '--out', path.join(tmp, 'queued.json')], { timeoutMs: 300_000 });
      // Kill the first worker that starts a job, while it runs it.
      const victim = await firstWorkerToStartAJob(workers, 120_000, 20);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const r = await queued;
      expect(r.code, r.stderr).toBe(0);
      expect(outcome(path.join(tmp, 'queued.json'))).toEqual(outcome(path.join(tmp, 'local.json')));

      // The killed job was unfinished by the victim and finished by another worker.
      const killedJob = jobIds(victim.log(), 'job started')[0];
      expect(jobIds(victim.log(), 'job done')).not.toContain(killedJob);
      const survivors = workers.filter((w) => w !== victim);
      expect(survivors.flatMap((w) => jobIds(w.log(), 'job done'))).toContain(killedJob);
      // 8 problems / 2 per job x 2 rounds: every job completed exactly once among the survivors' results.
      const report = JSON.parse(fs.readFileSync(path.join(tmp, 'queued.json'), 'utf8'));
      for (const p of report.perProblem) expect(p.n).toBe(2);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
  }, 600_000);

  it('sampled chain of thought, several rounds, in-process workers: same as --chunk in process', async () => {
    const w1 = await startWorker(url, { lockMs: 2000 });
    const w2 = await startWorker(url, { lockMs: 2000 });
    try {
      const args = [
        'eval',
        '--task',
        'countdown',
        '--strategy',
        'cot',
        '--set',
        'decoding=sample',
        '--model',
        'legal-uniform',
        '--k',
        '1,4',
        '--limit',
        '10',
        '--chunk',
        '3',
      ];
      const local = await runCliAsync([...args, '--out', path.join(tmp, 'cot-local.json')]);
      expect(local.code, local.stderr).toBe(0);
      const queued = await runCliAsync([...args, '--queue', url, '--out', path.join(tmp, 'cot-queued.json')]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(outcome(path.join(tmp, 'cot-queued.json'))).toEqual(outcome(path.join(tmp, 'cot-local.json')));
      expect(w1.completed() + w2.completed()).toBe(4 * 4); // 4 chunks x 4 rounds

      // solveMany over the queue: the same answers as solveMany in process on the same chunks.
      const problems = await countdownTask.problems({ split: 'test', limit: 6, seed: 0 });
      const q = await JobQueue.open(url);
      try {
        const o = { strategy: 'cot', settings: { decoding: 'sample' }, model: 'legal-uniform', seed: 2, style: 'auto' as const, chunk: 3 };
        const remote = await solveManyQueued(countdownTask as never, problems, { ...o, queue: q });
        const cache = new PolicyCache();
        const local = [
          ...(await runJob(
            'search',
            {
              task: 'countdown',
              strategy: 'cot',
              settings: o.settings,
              model: o.model,
              modelSeed: 2,
              seed: 2 * 100_003,
              style: 'auto',
              problems: problems.slice(0, 3),
            },
            cache,
          )),
          ...(await runJob(
            'search',
            {
              task: 'countdown',
              strategy: 'cot',
              settings: o.settings,
              model: o.model,
              modelSeed: 2,
              seed: 2 * 100_003,
              style: 'auto',
              problems: problems.slice(3),
            },
            cache,
          )),
        ];
        expect(remote.map((r) => r.problemId)).toEqual(problems.map((p) => p.id));
        expect(remote).toEqual(local);
      } finally {
        await q.close();
      }
    } finally {
      await w1.close();
      await w2.close();
    }
  });

  it('rollout jobs: the committed policy completions come back in order, as in process', async () => {
    const w = await startWorker(url, { lockMs: 2000 });
    const q = await JobQueue.open(url);
    const spec = `embedded:${path.join(repoRoot, 'checkpoints/game24-sft/policy.safetensors')}`;
    const payload = {
      model: spec,
      modelSeed: 0,
      prompts: ['4 4 6 8|', '1 5 5 5|', '2 3 4 6|'],
      options: { n: 2, maxTokens: 24, temperature: 0.7, seed: 5, stop: ['\n'] },
    };
    const local = new PolicyCache();
    try {
      const [remote] = await q.runAll('rollout', `rollout-test-${Date.now()}`, [payload]);
      const here = await runJob('rollout', payload, local);
      expect(remote.map((g) => g.map((c) => c.text))).toEqual(here.map((g) => g.map((c) => c.text)));
      expect(remote).toHaveLength(3);
      expect(remote[0]).toHaveLength(2);
    } finally {
      await local.close();
      await q.close();
      await w.close();
    }
  });

  it('bad URLs are usage errors (exit 2); an unreachable Redis is a runtime error (exit 1)', async () => {
    expect(runCli(['worker', '--redis', 'http://x']).code).toBe(2);
    const free = await freePort();
    const r = runCli([
      'eval',
      '--task',
      'game24',
      '--strategy',
      'cot',
      '--model',
      'legal-uniform',
      '--limit',
      '1',
      '--queue',
      `redis://127.0.0.1:${free}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis/);
  });
});
