/**
 * The producer side of the asynchronous RL loop's rollouts on the Redis queue (the worker side and
 * the protocol: ./rl-rollout-job.ts): a `RolloutEngine` for src/training/async/async-rl.ts that
 * publishes each policy version to the weight store and runs every batch as `rl-rollout` jobs,
 * one per chunk of prompts, so the workers share a batch.
 */
import { randomBytes } from 'node:crypto';
import type { HostWeights } from '../engine/index.js';
import type { OpenRolloutEngine, RolloutBatch, RolloutEngine, RolloutEngineSettings } from '../training/async/rollout-client.js';
import type { RolloutRequest } from '../training/async/segmented-rollout.js';
import { connectRedis } from './connection.js';
import type { JobQueue } from './queue.js';
import { WeightStore } from './weight-store.js';

export interface QueueEngineOptions {
  queue: JobQueue;
  /** Redis URL of the weight store (the queue's server). */
  url: string;
  /** Prompts per job (a batch is split over the workers). */
  chunk: number;
  /** onnxruntime threads of each worker's sampler. */
  threads?: number | 'auto';
  /** Weight store run name (default: a fresh random one). */
  run?: string;
}

/** A rollout engine whose batches run as `rl-rollout` jobs on `rlmkit worker` processes. */
export function openQueueEngine(o: QueueEngineOptions): OpenRolloutEngine {
  return async (s: RolloutEngineSettings): Promise<RolloutEngine> => {
    const redis = await connectRedis(o.url);
    const run = o.run ?? `rl-${randomBytes(6).toString('hex')}`;
    const store = new WeightStore(redis, run);
    if (s.refWeights) await store.publishRef(s.refWeights, s.config);
    let latest = -1;
    let batches = 0;
    const submitted: { id: string; count: number }[] = [];
    return {
      async publish(weights: HostWeights, version: number) {
        await store.publish(version, weights, s.config);
        latest = version;
      },
      async generate(req: RolloutRequest): Promise<RolloutBatch> {
        const parts: RolloutRequest[] = [];
        for (let i = 0; i < req.prompts.length; i += o.chunk)
          parts.push({ ...req, prompts: req.prompts.slice(i, i + o.chunk), seed: (req.seed + Math.imul(i / o.chunk, 0x85ebca6b)) >>> 0 });
        const id = `${run}-b${batches++}`;
        submitted.push({ id, count: parts.length });
        const results = await o.queue.runAll(
          'rl-rollout',
          id,
          parts.map((request) => ({
            run,
            version: Math.max(0, latest),
            request,
            ref: s.refWeights !== null,
            trainerTemperature: s.trainerTemperature,
            threads: o.threads ?? s.threads,
          })),
        );
        return {
          rows: results.flatMap((r) => r.rows),
          stats: {
            genMs: Math.max(...results.map((r) => r.stats.genMs)),
            loadMs: Math.max(...results.map((r) => r.stats.loadMs)),
            scoreMs: Math.max(...results.map((r) => r.stats.scoreMs)),
            waitMs: 0,
          },
        };
      },
      async close() {
        for (const b of submitted) await o.queue.forget(b.id, b.count).catch(() => undefined);
        await store.clear().catch(() => undefined);
        redis.disconnect();
      },
    };
  };
}

/** Runs `fn` with a queue engine on `url` (the queue's server also holds the weights), then closes the queue. */
export async function withQueueEngine<T>(
  url: string,
  o: { chunk: number; name?: string },
  fn: (engine: OpenRolloutEngine) => Promise<T>,
): Promise<T> {
  const { JobQueue } = await import('./queue.js');
  const queue = await JobQueue.open(url, o.name ? { name: o.name } : {});
  try {
    return await fn(openQueueEngine({ queue, url, chunk: o.chunk }));
  } finally {
    await queue.close();
  }
}
