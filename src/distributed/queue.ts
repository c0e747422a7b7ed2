/**
 * The job queue on Redis with BullMQ: a producer (`JobQueue`) and workers (`startWorker`).
 *
 * Delivery and counting:
 * - Each job has a deterministic id (`<run>-<part>`); BullMQ keeps one job per id, so submitting
 *   again (a producer restarted) never adds a second copy.
 * - A worker holds a lock on its job and renews it while it runs. A worker that dies (SIGKILL, a
 *   lost machine) stops renewing; after `lockMs` another worker's stalled-job check moves the job
 *   back to the wait list and it runs again (up to `maxStalled` times). A job that throws is retried
 *   `attempts` times with backoff.
 * - Results are the jobs' return values. The producer reads each job's result once, by id, into
 *   its slot: a job that ran twice (stalled, then recovered) is still counted once, and only a
 *   worker that still holds the lock can complete it (BullMQ refuses the others).
 */
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { runtimeError } from '../core/errors.js';
import { logger as rootLogger, type Logger } from '../core/log.js';
import { connectRedis } from './connection.js';
import { type JobName, type JobPayload, type JobResult, PolicyCache, runJob } from './jobs.js';
import { RlSamplers } from './rl-rollout-job.js';

export const DEFAULT_QUEUE = 'rlmkit';

export interface QueueOptions {
  /** Queue name (default "rlmkit"); producers and workers must agree. */
  name?: string;
  /** Retries of a job that throws (default 3). */
  attempts?: number;
  /** Give up waiting on a job after this long (default 24 h). */
  timeoutMs?: number;
}

export class JobQueue {
  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly o: QueueOptions,
  ) {}

  static async open(url: string, o: QueueOptions = {}): Promise<JobQueue> {
    const name = o.name ?? DEFAULT_QUEUE;
    const queue = new Queue(name, { connection: await connectRedis(url, '--queue') });
    const events = new QueueEvents(name, { connection: await connectRedis(url, '--queue') });
    await events.waitUntilReady();
    return new JobQueue(queue, events, o);
  }

  /**
   * Submits the jobs (ids `<runId>-<i>`) and resolves with their results in order. A job that
   * fails after its retries rejects the whole call with its reason.
   */
  async runAll<N extends JobName>(name: N, runId: string, payloads: JobPayload[N][]): Promise<JobResult[N][]> {
    const jobs = await this.queue.addBulk(
      payloads.map((data, i) => ({
        name,
        data,
        opts: {
          jobId: `${runId}-${i}`,
          attempts: this.o.attempts ?? 3,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    const ttl = this.o.timeoutMs ?? 24 * 3600 * 1000;
    return Promise.all(
      jobs.map(async (job) => {
        try {
          return (await job.waitUntilFinished(this.events, ttl)) as JobResult[N];
        } catch (e) {
          throw runtimeError(
            `queued job ${job.id} (${name}) failed: ${(e as Error).message}`,
            'see the worker logs; the job was retried before giving up',
          );
        }
      }),
    );
  }

  /** Removes a run's jobs (after its results are read). */
  async forget(runId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await (await this.queue.getJob(`${runId}-${i}`))?.remove();
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
  }
}

export interface WorkerOptions {
  name?: string;
  /** Jobs run at once by this process (default 1: the models use the cores). */
  concurrency?: number;
  /** Lock duration: how long a dead worker's job waits before it is recovered (default 30 s). */
  lockMs?: number;
  /** How many times a job may be recovered from a dead worker (default 5). */
  maxStalled?: number;
  logger?: Logger;
}

export interface RunningWorker {
  /** Jobs completed by this process. */
  completed(): number;
  close(): Promise<void>;
}

export async function startWorker(url: string, o: WorkerOptions = {}): Promise<RunningWorker> {
  const log = (o.logger ?? rootLogger).child({ component: 'worker' });
  const policies = new PolicyCache();
  const rlSamplers = new RlSamplers(url);
  let done = 0;
  const lockMs = o.lockMs ?? 30_000;
  const worker = new Worker(
    o.name ?? DEFAULT_QUEUE,
    async (job: Job) => {
      log.info('job started', { id: job.id, name: job.name, attempt: job.attemptsMade + 1 });
      const t0 = performance.now();
      const result = await runJob(job.name as JobName, job.data as JobPayload[JobName], policies, rlSamplers);
      log.info('job done', { id: job.id, name: job.name, ms: Math.round(performance.now() - t0) });
      done++;
      return result;
    },
    {
      connection: await connectRedis(url),
      concurrency: o.concurrency ?? 1,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
      maxStalledCount: o.maxStalled ?? 5,
    },
  );
  worker.on('failed', (job, err) => log.warn('job failed', { id: job?.id, attempt: job?.attemptsMade, error: err.message }));
  worker.on('error', (err) => log.warn('worker error', { error: err.message }));
  await worker.waitUntilReady();
  return {
    completed: () => done,
    async close() {
      await worker.close();
      await policies.close();
      await rlSamplers.close();
    },
  };
}
