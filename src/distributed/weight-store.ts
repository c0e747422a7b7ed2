/**
 * Versioned policy weights on Redis, where rollout workers on any machine fetch them.
 *
 * - Each version is one immutable key `rlmkit:weights:<run>:<version>` holding a safetensors blob
 *   (the model config in its metadata); `rlmkit:weights:<run>:latest` names the newest version.
 * - Publishing writes the blob and moves `latest` in one MULTI/EXEC transaction: a reader sees
 *   either the old version or the new one, never a pointer to a missing or partial blob.
 * - Old versions are dropped once `keep` newer ones exist (a worker still decoding with an older
 *   version keeps its sampler; only a fetch of a dropped version fails, and the job is retried).
 * - `ref` holds the frozen reference policy of the KL term.
 */
import type { Redis } from 'ioredis';
import { runtimeError, usageError } from '../core/errors.js';
import { type HostWeights, type ModelConfig, decodeSafetensors, encodeSafetensors } from '../engine/index.js';

export interface StoredWeights {
  version: number | 'ref';
  weights: HostWeights;
  config: ModelConfig;
}

export class WeightStore {
  constructor(
    private readonly redis: Redis,
    readonly run: string,
  ) {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(run)) throw usageError(`weight store run "${run}" must be 1-100 of A-Z a-z 0-9 . _ -`);
  }

  private key(v: number | 'ref' | 'latest'): string {
    return `rlmkit:weights:${this.run}:${v}`;
  }

  /** Publishes `version` (and makes it the latest); keeps the `keep` newest versions. */
  async publish(version: number, weights: HostWeights, config: ModelConfig, keep = 4): Promise<void> {
    if (!Number.isInteger(version) || version < 0) throw usageError(`weight version must be a whole number >= 0, got ${version}`);
    const blob = Buffer.from(encodeSafetensors(weights, { config: JSON.stringify(config), version: String(version) }));
    const tx = this.redis.multi().set(this.key(version), blob).set(this.key('latest'), String(version));
    if (version - keep >= 0) tx.del(this.key(version - keep));
    await tx.exec();
  }

  async publishRef(weights: HostWeights, config: ModelConfig): Promise<void> {
    await this.redis.set(this.key('ref'), Buffer.from(encodeSafetensors(weights, { config: JSON.stringify(config), version: 'ref' })));
  }

  /** The newest published version, or null before the first. */
  async latest(): Promise<number | null> {
    const v = await this.redis.get(this.key('latest'));
    return v === null ? null : Number(v);
  }

  /** One version's weights; a runtime error when it was never published or has been dropped. */
  async fetch(version: number | 'ref'): Promise<StoredWeights> {
    const blob = await this.redis.getBuffer(this.key(version));
    if (!blob)
      throw runtimeError(
        `weights ${this.run} version ${version} are not in Redis (never published, or dropped after newer versions)`,
        'the job is retried with the newest version',
      );
    const f = decodeSafetensors(new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength), `weights ${this.run}:${version}`);
    return { version, weights: f.tensors, config: JSON.parse(f.metadata.config) as ModelConfig };
  }

  /** Removes every version of this run. */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `rlmkit:weights:${this.run}:*`, 'COUNT', 100);
      if (keys.length) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
