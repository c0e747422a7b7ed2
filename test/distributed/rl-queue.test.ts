/**
 * The asynchronous RL loop on the Redis queue, with a redis-server the test starts on a free
 * loopback port and real `rlmkit worker` processes:
 * - the weight store is versioned and atomic (a reader never finds `latest` naming a missing
 *   blob), keeps the newest versions, and refuses a dropped one with a clear error;
 * - GRPO steps whose rollouts run as `rl-rollout` jobs on 2 workers, one killed with SIGKILL in
 *   the middle of a job: every step gets all its samples, the killed job is finished by the other
 *   worker, every job is completed once, and the workers pick up each new policy version.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/index.js';
import { connectRedis } from '../../src/distributed/connection.js';
import { JobQueue, startWorker } from '../../src/distributed/queue.js';
import { openQueueEngine } from '../../src/distributed/rl-rollout.js';
import { WeightStore } from '../../src/distributed/weight-store.js';
import { initEngine, loadCheckpoint, tokenizerFromSpec } from '../../src/engine/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import { runAsyncRl } from '../../src/training/async/async-rl.js';
import type { LoadedModel } from '../../src/training/models.js';
import { RlSectionSchema } from '../../src/training/recipe.js';
import { resolveReward } from '../../src/training/rewards.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { repoRoot, runCliAsync } from '../helpers/cli.js';
import { type TestRedis, firstWorkerToStartAJob, jobIds, spawnWorker, startRedis } from './redis.js';

let redis: TestRedis;
let start: LoadedModel;

beforeAll(async () => {
  redis = await startRedis();
  await initEngine();
  const ck = loadCheckpoint(path.join(repoRoot, 'checkpoints/game24-sft/policy.safetensors'));
  start = { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: 'game24-sft' };
});

afterAll(() => redis?.stop());

describe('weight store', () => {
  it('versions are immutable, publishing is atomic, old versions are dropped, a dropped one is a clear error', async () => {
    const r = await connectRedis(redis.url);
    const store = new WeightStore(r, 'store-test');
    try {
      expect(await store.latest()).toBeNull();
      const one = (v: number) => new Map([...start.weights].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((x) => x + v) }]));
      await store.publish(0, one(0), start.config, 3);
      // A reader polling latest + fetch while versions are published never sees a missing blob.
      let stop = false;
      let reads = 0;
      const reader = (async () => {
        const rr = await connectRedis(redis.url);
        const s2 = new WeightStore(rr, 'store-test');
        try {
          while (!stop) {
            const v = (await s2.latest())!;
            const w = await s2.fetch(v);
            expect(w.version).toBe(v);
            expect(w.weights.get('tok_embeddings.weight')!.data[0]).toBeCloseTo(start.weights.get('tok_embeddings.weight')!.data[0] + v, 4);
            reads++;
          }
        } finally {
          rr.disconnect();
        }
      })();
      for (let v = 1; v <= 8; v++) await store.publish(v, one(v), start.config, 3);
      stop = true;
      await reader;
      expect(reads).toBeGreaterThan(0);
      expect(await store.latest()).toBe(8);
      const w = await store.fetch(8);
      expect(w.config).toEqual(start.config);
      expect([...w.weights.keys()]).toEqual([...start.weights.keys()]);
      await expect(store.fetch(5)).rejects.toThrow(/version 5 are not in Redis/);
      expect((await store.fetch(6)).version).toBe(6);
      await store.clear();
      expect(await store.latest()).toBeNull();
    } finally {
      r.disconnect();
    }
  }, 120_000);
});

describe('asynchronous RL on the queue', () => {
  it('rollout jobs on 2 rlmkit workers, one SIGKILLed mid-job: all samples, each job once, new versions picked up', async () => {
    const name = 'rl-queue-test';
    const workers = await Promise.all([spawnWorker(redis.url, ['--queue', name]), spawnWorker(redis.url, ['--queue', name])]);
    const queue = await JobQueue.open(redis.url, { name });
    try {
      const problems = await game24Task.problems({ split: 'train', limit: 64 });
      const rl = validateConfig(
        RlSectionSchema,
        {
          steps: 4,
          prompts_per_step: 8,
          group_size: 8,
          mini_batches: 2,
          reward: 'verifier',
          eval_problems: 0,
          kl_loss: { estimator: 'k3', coef: 0.001 },
          policy_loss: { name: 'decoupled' },
          rollout: { max_new_tokens: 48, temperature: 1 },
          optim: { lr: 5e-5, schedule: 'constant', grad_clip: 1 },
        },
        'test',
      );
      const steps: Record<string, number>[] = [];
      const run = runAsyncRl({
        phase: 'rl',
        task: game24Task as never,
        problems,
        start,
        rl,
        reward: resolveReward('verifier', game24Task as never),
        seed: 5,
        async: { staleness: 1, segmentTokens: 16 },
        engine: openQueueEngine({ queue, url: redis.url, chunk: 16, threads: 1 }),
        onStep: (_s, m) => steps.push(m),
      });
      // Kill the first worker that starts a job, while it runs it (the first job also loads the weights).
      const victim = await firstWorkerToStartAJob(workers, 300_000, 10);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const r = await run;

      // Nothing lost, nothing counted twice: every step trained on its 8 x 8 samples.
      expect(r.steps).toBe(4);
      expect(r.samples).toBe(4 * 64);
      const killedJob = jobIds(victim.log(), 'job started')[0];
      expect(jobIds(victim.log(), 'job done')).not.toContain(killedJob);
      const survivor = workers.find((w) => w !== victim)!;
      const done = [...jobIds(victim.log(), 'job done'), ...jobIds(survivor.log(), 'job done')];
      expect(done).toContain(killedJob);
      expect(new Set(done).size).toBe(done.length); // no job completed twice
      expect(done.length).toBe(4 * 4); // 4 steps x 64 samples / 16 per job
      // The workers reloaded as the trainer published: the last batch used a version >= 2, within eta = 1.
      expect(steps.at(-1)!.version_last).toBeGreaterThanOrEqual(2);
      for (const m of steps) expect(m.staleness).toBeLessThanOrEqual(1);
      for (const m of steps) expect(Number.isFinite(m.loss)).toBe(true);
    } finally {
      await queue.close();
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
  }, 900_000);
});

describe('rlmkit train --queue', () => {
  it('runs pipeline async-rl with its rollouts on a worker; refuses other pipelines and bad URLs (exit 2)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-train-queue-'));
    const worker = await startWorker(redis.url, { name: 'train-queue', lockMs: 2000 });
    try {
      const sets = [
        'rl.steps=2',
        'rl.prompts_per_step=4',
        'rl.group_size=4',
        'rl.rollout.max_new_tokens=48',
        'rl.eval_problems=4',
        `run.root=${root}`,
      ];
      const r = await runCliAsync(
        [
          'train',
          '--config',
          'recipes/game24-async-grpo.yaml',
          '--quiet',
          '--queue',
          redis.url,
          '--queue-name',
          'train-queue',
          '--chunk',
          '8',
          ...sets.flatMap((x) => ['--set', x]),
        ],
        { timeoutMs: 600_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(worker.completed()).toBe(2 * 2); // 2 steps x 16 samples / 8 per job
      const steps = fs
        .readFileSync(path.join(root, 'game24-async-grpo', 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((m) => m.reward !== undefined);
      expect(steps.map((m) => m.step)).toEqual([1, 2]);

      const wrong = await runCliAsync(['train', '--config', 'recipes/countdown-grpo.yaml', '--queue', redis.url]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/--queue sends the rollouts of pipeline async-rl/);
      const bad = await runCliAsync(['train', '--config', 'recipes/game24-async-grpo.yaml', '--queue', 'http://x']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/must start with redis:\/\//);
    } finally {
      await worker.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 900_000);
});
