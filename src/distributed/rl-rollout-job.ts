/**
 * The worker side of `rl-rollout` jobs (the producer side: ./rl-rollout.ts).
 *
 * The asynchronous RL loop's rollouts on the Redis queue (src/training/async/async-rl.ts with
 * `engine: openQueueEngine(...)`): the trainer publishes each policy version to the weight store
 * (./weight-store.ts), sends every batch as `rl-rollout` jobs (chunks of prompts) and reads their
 * results once each, in order. `rlmkit worker` processes run the jobs:
 *
 * - a job starts with the newest published version (at least the one it names) and checks the
 *   store before each segment: when the trainer has published a newer version, the worker loads it
 *   and decodes the rest with it (interruptible generation, AReaL §4.1); every token records its
 *   version;
 * - the reference log-probs come from the store's `ref` weights; the proximal log-probs (version
 *   `proxVersion`) are scored when that version is already published when decoding ends (always
 *   so in the synchronous loop), and left to the trainer otherwise: a worker never waits for a
 *   version, since the batch that unblocks it may be the job a dead worker held;
 * - a worker killed mid-job stops renewing the job's lock; the job goes back to the queue and
 *   another worker runs it. The producer reads each job's result once, by id (./queue.ts), so a
 *   chunk is never lost or counted twice; a retried chunk may use newer weights, which its
 *   per-token versions say.
 */
import type { Redis } from 'ioredis';
import type { ModelConfig, OnnxSampler } from '../engine/index.js';
import { createOnnxSampler } from '../engine/index.js';
import { type RolloutBatch, type RolloutRequest, decodeSegments, responseLogprobs } from '../training/async/segmented-rollout.js';
import { connectRedis } from './connection.js';
import { WeightStore } from './weight-store.js';

export interface RlRolloutPayload {
  /** The weight store's run name. */
  run: string;
  /** The oldest version the job may start with. */
  version: number;
  request: RolloutRequest;
  /** Score reference log-probs (the store's `ref` weights). */
  ref: boolean;
  trainerTemperature: number;
  threads: number | 'auto';
}

/** A worker's samplers: the newest version of each run it serves, and the reference policy. */
export class RlSamplers {
  private redis: Promise<Redis> | null = null;
  private readonly current = new Map<string, { version: number; sampler: OnnxSampler; config: ModelConfig }>();
  private readonly refs = new Map<string, OnnxSampler>();

  constructor(private readonly url: string) {}

  private async store(run: string): Promise<WeightStore> {
    this.redis ??= connectRedis(this.url);
    return new WeightStore(await this.redis, run);
  }

  /** The sampler of `run` at its newest version (at least `atLeast`), reloading when the trainer published a newer one. */
  async newest(
    run: string,
    atLeast: number,
    threads: number | 'auto',
  ): Promise<{ sampler: OnnxSampler; version: number; config: ModelConfig }> {
    const store = await this.store(run);
    const latest = await store.latest();
    const have = this.current.get(run);
    if (have && have.version >= Math.max(atLeast, latest ?? -1)) return have;
    const w = await store.fetch(Math.max(atLeast, latest ?? atLeast));
    const sampler = await createOnnxSampler(w.weights, w.config, { threads });
    have?.sampler.dispose();
    const now = { sampler, version: w.version as number, config: w.config };
    this.current.set(run, now);
    return now;
  }

  async reference(run: string, threads: number | 'auto'): Promise<OnnxSampler> {
    let s = this.refs.get(run);
    if (!s) {
      const w = await (await this.store(run)).fetch('ref');
      s = await createOnnxSampler(w.weights, w.config, { threads });
      this.refs.set(run, s);
    }
    return s;
  }

  async close(): Promise<void> {
    for (const c of this.current.values()) c.sampler.dispose();
    for (const s of this.refs.values()) s.dispose();
    this.current.clear();
    this.refs.clear();
    if (this.redis) (await this.redis.catch(() => null))?.disconnect();
    this.redis = null;
  }
}

/** What a worker does with an `rl-rollout` job. */
export async function runRlRollout(p: RlRolloutPayload, samplers: RlSamplers): Promise<RolloutBatch> {
  const t0 = performance.now();
  let loadMs = 0;
  const policy = async () => {
    const t = performance.now();
    const now = await samplers.newest(p.run, p.version, p.threads);
    loadMs += performance.now() - t;
    return now;
  };
  const first = await policy();
  let segments = 0;
  // before each segment after the first, the newest published version takes over
  const rows = await decodeSegments(() => (segments++ === 0 ? Promise.resolve(first) : policy()), p.request, first.config);
  const genMs = performance.now() - t0;
  const t1 = performance.now();
  if (p.ref) {
    const lp = await responseLogprobs(await samplers.reference(p.run, p.threads), p.request.prompts, rows, 1);
    rows.forEach((r, i) => (r.refLogprobs = lp[i]));
  }
  const pv = p.request.proxVersion;
  if (pv !== null) {
    const now = await samplers.newest(p.run, 0, p.threads);
    if (now.version === pv) {
      const sameTemp = p.request.temperature === p.trainerTemperature;
      const stale = rows.map((_, i) => i).filter((i) => !sameTemp || rows[i].versions.some((v) => v !== pv));
      rows.forEach((r) => (r.proxLogprobs = r.logprobs));
      if (stale.length) {
        const lp = await responseLogprobs(
          now.sampler,
          stale.map((i) => p.request.prompts[i]),
          stale.map((i) => rows[i]),
          p.trainerTemperature,
        );
        stale.forEach((i, k) => (rows[i].proxLogprobs = lp[k]));
      }
    }
  }
  return { rows, stats: { genMs, loadMs, scoreMs: performance.now() - t1, waitMs: 0 } };
}
