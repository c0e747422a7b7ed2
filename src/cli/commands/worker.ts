/**
 * `rlmkit worker --redis redis://host:port`: takes rollout, search and evaluation jobs from the
 * Redis queue (BullMQ) until SIGINT/SIGTERM; `rlmkit eval --queue <url>` sends them. Start one per
 * machine (or per core group); a worker that dies mid-job has its job recovered by the others.
 */
import type { Command } from 'commander';
import { logger } from '../../core/log.js';
import { checkRedisUrl } from '../../distributed/connection.js';
import { DEFAULT_QUEUE, startWorker } from '../../distributed/queue.js';
import { intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

interface Flags {
  redis: string;
  queue: string;
  concurrency: number;
  lockMs: number;
}

export const workerCommand: CommandModule = {
  name: 'worker',
  summary: 'process rollout, search and evaluation jobs from a Redis queue (BullMQ); rlmkit eval --queue sends them',
  register(program: Command) {
    program
      .command('worker')
      .description('take jobs from the Redis queue until SIGINT/SIGTERM (see src/distributed/README.md)')
      .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
      .option('--queue <name>', 'queue name (producers must use the same)', DEFAULT_QUEUE)
      .option('--concurrency <n>', 'jobs run at once by this worker', intOption(1, 256), 1)
      .option('--lock-ms <ms>', "how long a dead worker's job waits before another worker takes it over", intOption(1000), 30_000)
      .action(async (f: Flags) => {
        checkRedisUrl(f.redis);
        const worker = await startWorker(f.redis, { name: f.queue, concurrency: f.concurrency, lockMs: f.lockMs });
        process.stdout.write(`${JSON.stringify({ event: 'worker-ready', queue: f.queue, pid: process.pid })}\n`);
        logger.info(`worker on ${f.redis} queue ${f.queue} (Ctrl-C to stop)`);
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            logger.info(`${signal}: finishing the running job(s), then stopping`);
            void worker.close().then(resolve);
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
        logger.info('worker stopped', { completed: worker.completed() });
      });
  },
};
