/**
 * The playground: runs one `solve` (src/reasoning) for the explorer and streams the search as it
 * grows. The strategy is wrapped so the job can read the live SearchContext; after every model
 * call (solve's onProgress) a snapshot trace is built with the same `buildTrace` the final trace
 * uses, so the UI draws partial and final trees with one code path.
 */
import { z } from 'zod';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { inputError, isRlmkitError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Policy, ValueModel } from '../models/types.js';
import { solve } from '../reasoning/solve.js';
import { canonicalSettings, getStrategy, parseSettings, describeSettings, strategies } from '../reasoning/strategies/index.js';
import type { Strategy } from '../reasoning/strategy.js';
import type { SearchContext } from '../reasoning/context.js';
import { buildTrace, writeTrace } from '../reasoning/tracer.js';
import type { Trace } from '../reasoning/trace.js';
import { getTask, listTasks } from '../tasks/registry.js';
import type { Problem, Task } from '../tasks/types.js';
import { MODEL_FREE, isModelFree, openSearchPolicy, openSearchValueModel } from '../reasoning/open-models.js';
import { selectProblems } from '../tasks/select.js';

/** The Game of 24 policy the package ships (checkpoints/ at the package root), offered in the form. */
const SHIPPED_POLICY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../checkpoints/game24-sft/policy.safetensors');

export const PlaygroundRequest = z.strictObject({
  task: z.string().min(1),
  /** A problem id, an index into the split, or (game24) four numbers. */
  problem: z.string().optional(),
  split: z.string().default('test'),
  strategy: z.string().min(1),
  settings: z.record(z.string(), z.unknown()).default({}),
  model: z.string().min(1),
  value: z.string().optional(),
  seed: z.number().int().nonnegative().default(0),
  journey: z.boolean().default(false),
  /** Wall-clock limit in seconds (at most 600). */
  budgetSeconds: z.number().positive().max(600).default(120),
  budgetTokens: z.number().int().positive().optional(),
  budgetExpansions: z.number().int().positive().optional(),
});
export type PlaygroundRequest = z.infer<typeof PlaygroundRequest>;

export type JobEvent =
  | { event: 'snapshot'; trace: Trace; elapsedMs: number }
  | { event: 'done'; trace: Trace; answer: string | null; correct: boolean | null; stopReason: string }
  | { event: 'error'; message: string; hint?: string };

export interface Job {
  id: string;
  request: PlaygroundRequest;
  status: 'running' | 'done' | 'error';
  events: JobEvent[];
  listeners: Set<(e: JobEvent) => void>;
  abort: AbortController;
  finishedAt?: number;
}

/** The live context of a running solve, captured by wrapping the strategy's run. */
function capturing(inner: Strategy, onContext: (ctx: SearchContext) => void): Strategy {
  return {
    name: inner.name,
    summary: inner.summary,
    structure: inner.structure,
    settings: inner.settings,
    run: (ctx, s) => {
      onContext(ctx);
      return inner.run(ctx, s);
    },
    ...(inner.best ? { best: inner.best.bind(inner) } : {}),
  };
}

export interface PlaygroundOptions {
  runsDir: string;
  logger: Logger;
  /** Jobs running at once; more are refused (429). */
  maxJobs?: number;
}

export class Playground {
  private readonly jobs = new Map<string, Job>();
  private readonly policies = new Map<string, Promise<Policy>>();
  private readonly values = new Map<string, Promise<ValueModel>>();

  constructor(private readonly o: PlaygroundOptions) {}

  /** Tasks, strategies with their settings, and suggested model specs, for the form. */
  catalog() {
    return {
      tasks: listTasks(),
      strategies: strategies.map((s) => ({
        name: s.name,
        summary: s.summary,
        structure: s.structure,
        settings: describeSettings(s),
        defaults: canonicalSettings(parseSettings(s, {})),
      })),
      models: [
        MODEL_FREE[0],
        ...(fs.existsSync(SHIPPED_POLICY) ? [`embedded:${SHIPPED_POLICY}`] : []),
        'gguf:<file.gguf>',
        'http://127.0.0.1:8000/v1#<model>',
      ],
    };
  }

  async problems(taskName: string, split: string): Promise<{ id: string; question: string }[]> {
    const task = getTask(taskName);
    if (!task.splits.includes(split))
      throw inputError(`task ${taskName} has no split "${split}"`, `choose one of: ${task.splits.join(', ')}`);
    const all = await task.problems({ split, seed: 0 });
    return all.slice(0, 200).map((p) => ({ id: p.id, question: p.question }));
  }

  get running(): number {
    return [...this.jobs.values()].filter((j) => j.status === 'running').length;
  }

  job(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Validates the request (usage errors surface before a job exists) and starts the solve. */
  async start(raw: unknown): Promise<Job> {
    const parsed = PlaygroundRequest.safeParse(raw);
    if (!parsed.success)
      throw inputError(
        `bad playground request: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ')}`,
        'send task, strategy and model',
      );
    const req = parsed.data;
    const task = getTask(req.task) as Task<Problem>;
    const strategy = getStrategy(req.strategy);
    const settings = parseSettings(strategy, req.settings);
    const [problem] = await selectProblems(task, { problem: req.problem, split: req.split, limit: 1, seed: req.seed });
    this.expire();
    const job: Job = { id: randomUUID(), request: req, status: 'running', events: [], listeners: new Set(), abort: new AbortController() };
    this.jobs.set(job.id, job);
    const emit = (e: JobEvent) => {
      if (e.event === 'snapshot') job.events = job.events.filter((x) => x.event !== 'snapshot');
      job.events.push(e);
      for (const l of job.listeners) l(e);
    };
    void this.run(job, task, problem, strategy, settings, emit);
    return job;
  }

  private async models(req: PlaygroundRequest): Promise<{ policy: Policy; value?: ValueModel }> {
    let policy: Policy;
    if (isModelFree(req.model)) policy = await openSearchPolicy(req.model, req.seed);
    else {
      if (!this.policies.has(req.model)) this.policies.set(req.model, openSearchPolicy(req.model, req.seed));
      policy = await this.policies.get(req.model)!.catch((e) => {
        this.policies.delete(req.model);
        throw e;
      });
    }
    if (!req.value) return { policy };
    if (!this.values.has(req.value)) this.values.set(req.value, openSearchValueModel(req.value));
    const value = await this.values.get(req.value)!.catch((e) => {
      this.values.delete(req.value!);
      throw e;
    });
    return { policy, value };
  }

  private async run(
    job: Job,
    task: Task<Problem>,
    problem: Problem,
    strategy: Strategy,
    settings: Record<string, unknown>,
    emit: (e: JobEvent) => void,
  ): Promise<void> {
    const req = job.request;
    const started = Date.now();
    try {
      const models = await this.models(req);
      let ctx: SearchContext | null = null;
      const snapshot = () => {
        if (!ctx) return;
        const trace = buildTrace({
          task: task.name,
          problem,
          strategy: { name: strategy.name, settings },
          models: { policy: models.policy.id, ...(models.value ? { value: models.value.id } : {}) },
          graph: ctx.graph,
          operators: [...ctx.operators],
          usage: { ...ctx.meter.usage, wallMs: Date.now() - started },
          usedGroundTruth: false,
          checksUsed: [...ctx.checksUsed],
          final: { node: null, answer: null, correct: null, stopReason: 'running' },
        });
        emit({ event: 'snapshot', trace, elapsedMs: Date.now() - started });
      };
      const r = await solve(problem, {
        task,
        strategy: capturing(strategy, (c) => (ctx = c)),
        settings,
        models,
        seed: req.seed,
        journey: req.journey,
        signal: job.abort.signal,
        budget: {
          wallMs: req.budgetSeconds * 1000,
          ...(req.budgetTokens ? { tokens: req.budgetTokens } : {}),
          ...(req.budgetExpansions ? { expansions: req.budgetExpansions } : {}),
        },
        onProgress: snapshot,
        // A snapshot is the whole trace so far: at most a few a second.
        progressEveryMs: 400,
      });
      job.status = 'done';
      emit({ event: 'done', trace: r.trace!, answer: r.answer, correct: r.correct, stopReason: r.stopReason });
    } catch (e) {
      job.status = 'error';
      const message = isRlmkitError(e) ? e.message : `the solve failed: ${(e as Error).message}`;
      this.o.logger.warn('playground job failed', { job: job.id, error: (e as Error).message });
      emit({ event: 'error', message, ...(isRlmkitError(e) && e.hint ? { hint: e.hint } : {}) });
    } finally {
      job.finishedAt = Date.now();
    }
  }

  /** Writes a finished job's trace under `<runs>/playground/traces/` (atomically) and returns its path in the run. */
  save(id: string): { run: string; path: string } {
    const job = this.jobs.get(id);
    const done = job?.events.find((e) => e.event === 'done');
    if (!job || !done || done.event !== 'done')
      throw inputError(`playground job ${id} has no finished trace`, 'wait for the search to finish');
    const safe = done.trace.problem.id.replace(/[^A-Za-z0-9._-]+/g, '-').slice(-60);
    const rel = `traces/${done.trace.strategy.name}-${safe}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    writeTrace(path.join(this.o.runsDir, 'playground', rel), done.trace);
    return { run: 'playground', path: rel };
  }

  /** Forgets finished jobs older than 15 minutes. */
  private expire(): void {
    const old = Date.now() - 15 * 60_000;
    for (const [id, j] of this.jobs) if (j.finishedAt !== undefined && j.finishedAt < old) this.jobs.delete(id);
  }

  async close(): Promise<void> {
    for (const j of this.jobs.values()) j.abort.abort();
    const all = [...this.policies.values(), ...this.values.values()];
    for (const p of all) {
      const m = await p.catch(() => null);
      await m?.close?.().catch(() => undefined);
    }
  }
}
