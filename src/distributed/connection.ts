/**
 * Redis connections for BullMQ from a `redis://[user:pass@]host:port[/db]` URL (or `rediss://`).
 * A malformed URL is a usage error; an unreachable server is a runtime error naming the URL (the
 * first command fails fast instead of retrying forever).
 */
import { Redis } from 'ioredis';
import { runtimeError, usageError } from '../core/errors.js';
import { logger } from '../core/log.js';

export function checkRedisUrl(url: string, flag = '--redis'): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError(`${flag} "${url}" is not a URL`, 'use redis://host:port, e.g. redis://127.0.0.1:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw usageError(`${flag} "${url}" must start with redis:// or rediss://`, 'e.g. redis://127.0.0.1:6379');
  if (!u.hostname) throw usageError(`${flag} "${url}" names no host`, 'e.g. redis://127.0.0.1:6379');
  return u;
}

/** A connection as BullMQ needs it (blocking commands: no per-request retry limit). */
export function redisConnection(url: string, flag = '--redis'): Redis {
  checkRedisUrl(url, flag);
  const r = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5_000 });
  // ioredis reconnects by itself; without a listener it would print every failed attempt.
  r.on('error', (e: Error) => logger.debug('redis connection error', { url, error: e.message }));
  return r;
}

/** Connects, or throws a runtime error naming the URL. */
export async function connectRedis(url: string, flag = '--redis'): Promise<Redis> {
  const r = redisConnection(url, flag);
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    r.disconnect();
    throw runtimeError(
      `cannot reach Redis at ${url}: ${(e as Error).message}`,
      'start redis-server (scripts/setup.sh installs it) or check the URL',
    );
  }
  return r;
}
