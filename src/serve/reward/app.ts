/**
 * The reward service as a hono app: rlmkit's verifiers behind the HTTP shapes that Python RL
 * trainers call (exact JSON in src/serve/reward/README.md).
 *
 * - `POST /get_reward`: OpenRLHF's remote reward model (`--remote_rm_url`); its client posts
 *   `{"query", "prompts", "labels"}` and reads `rewards`, `scores` and `extra_logs`
 *   (openrlhf/utils/remote_rm_utils.py, `update_samples_with_rewards`).
 * - `POST /compute_score`: one sample in verl's `compute_score(data_source, solution_str,
 *   ground_truth, extra_info)` signature (NaiveRewardManager); answers a dict with `score`.
 * - `POST /compute_score/batch`: verl's batch signature (BatchRewardManager:
 *   `compute_score(data_sources, solution_strs, ground_truths, extra_infos)`).
 * - `GET /health`.
 *
 * Hardening comes from the serve layer's helpers: body size limit (413), JSON errors, 429 over the
 * concurrency limit, 503 while draining. Every malformed batch is a 400 naming the field or sample.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { logger as rootLogger, type Logger } from '../../core/log.js';
import { readJson, ServeState } from '../app.js';
import { HttpError, errorBody, sendError, toHttpError } from '../errors.js';
import { describeIssues } from '../schemas.js';
import { LabelError } from './labels.js';
import type { ItemScore, RewardItem, RewardScorer } from './scorer.js';

export interface RewardAppOptions {
  scorer: RewardScorer;
  /** Task for OpenRLHF requests whose labels do not name one (default "math"). */
  defaultTask?: string;
  /** Largest request body in bytes (default 32 MiB). */
  maxBodyBytes?: number;
  /** Largest batch in samples (default 8192). */
  maxBatch?: number;
  /** Requests scored at once (default 16); more get 429. */
  maxConcurrent?: number;
  logger?: Logger;
}

const text = z.string().max(1_000_000);
const label = z.unknown();

const OpenRlhfSchema = z.object({
  query: z.array(text).min(1),
  prompts: z.array(text).nullish(),
  labels: z.array(label).nullish(),
});

const VerlOneSchema = z.object({
  data_source: z.string().min(1).max(256),
  solution_str: text,
  ground_truth: label,
  extra_info: z.record(z.string(), z.unknown()).nullish(),
});

const VerlBatchSchema = z.object({
  data_sources: z.array(z.string().min(1).max(256)).min(1),
  solution_strs: z.array(text),
  ground_truths: z.array(label),
  extra_infos: z.array(z.record(z.string(), z.unknown()).nullish()).nullish(),
});

function validate<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'the request body must be a JSON object', 'invalid_request_error');
  const r = schema.safeParse(body);
  if (!r.success) {
    const { message, param } = describeIssues(r.error);
    throw new HttpError(400, message, 'invalid_request_error', param);
  }
  return r.data;
}

function sameLength(fields: Record<string, unknown[] | null | undefined>, n: number, first: string): void {
  for (const [name, list] of Object.entries(fields)) {
    if (list && list.length !== n)
      throw new HttpError(
        400,
        `"${name}" has ${list.length} entries but "${first}" has ${n}; send one per sample`,
        'invalid_request_error',
        name,
      );
  }
}

/** The response part of an OpenRLHF query: the query minus its prompt when it starts with it. */
export function responseOf(query: string, prompt: string | undefined): string {
  return prompt && query.startsWith(prompt) ? query.slice(prompt.length) : query;
}

const verlDetail = (s: ItemScore) => ({
  score: s.reward,
  acc: s.correct,
  pred: s.extracted,
  verifier_score: s.score,
  timed_out: s.timedOut,
  ...(s.terms ? { terms: s.terms } : {}),
});

export function createRewardApp(o: RewardAppOptions): { app: Hono; state: ServeState } {
  const state = new ServeState();
  const log = (o.logger ?? rootLogger).child({ component: 'reward-server' });
  const maxBodyBytes = o.maxBodyBytes ?? 32 * 1024 * 1024;
  const maxBatch = o.maxBatch ?? 8192;
  const maxConcurrent = o.maxConcurrent ?? 16;
  const defaultTask = o.defaultTask ?? 'math';
  const app = new Hono();

  app.onError((e, c) => {
    const h = toHttpError(e);
    if (h.status >= 500) log.error('request failed', { path: c.req.path, status: h.status, error: h.message });
    return sendError(c, h);
  });
  app.notFound((c) =>
    c.json(
      errorBody(
        `no route ${c.req.method} ${c.req.path}; the API is POST /get_reward, POST /compute_score, POST /compute_score/batch and GET /health`,
        'invalid_request_error',
        null,
        'not_found',
      ),
      404,
    ),
  );
  app.get('/health', (c) => c.json({ status: state.draining ? 'draining' : 'ok', inflight: state.inflight, served: state.served }));

  const guard = async (c: Context, next: () => Promise<void>) => {
    if (state.draining) return c.json(errorBody('the server is shutting down', 'server_shutting_down'), 503);
    if (state.inflight >= maxConcurrent) {
      state.rejectedBusy++;
      c.header('Retry-After', '1');
      return c.json(
        errorBody(`too many concurrent requests (limit ${maxConcurrent}); retry shortly`, 'rate_limit_error', null, 'rate_limit_exceeded'),
        429,
      );
    }
    state.enter();
    try {
      await next();
    } finally {
      state.leave();
    }
  };

  async function score(items: RewardItem[]): Promise<ItemScore[]> {
    if (items.length > maxBatch)
      throw new HttpError(
        413,
        `the batch has ${items.length} samples; the limit is ${maxBatch} (--max-batch): split it`,
        'invalid_request_error',
        null,
        'batch_too_large',
      );
    try {
      return await o.scorer.score(items);
    } catch (e) {
      if (e instanceof LabelError) throw new HttpError(400, e.message, 'invalid_request_error', 'labels');
      throw e;
    }
  }

  app.post('/get_reward', guard, async (c) => {
    const body = validate(OpenRlhfSchema, await readJson(c, maxBodyBytes));
    const n = body.query.length;
    sameLength({ prompts: body.prompts, labels: body.labels }, n, 'query');
    if (!body.labels)
      throw new HttpError(
        400,
        '"labels" is required: rlmkit scores against references (start OpenRLHF with --label_key)',
        'invalid_request_error',
        'labels',
      );
    const labels = body.labels;
    const items = body.query.map((q, i): RewardItem => ({
      source: defaultTask,
      label: labels[i],
      response: responseOf(q, body.prompts?.[i]),
    }));
    const scores = await score(items);
    return c.json({
      rewards: scores.map((s) => s.reward),
      scores: scores.map((s) => s.score),
      extra_logs: { correct: scores.map((s) => (s.correct ? 1 : 0)), timed_out: scores.map((s) => (s.timedOut ? 1 : 0)) },
    });
  });

  app.post('/compute_score', guard, async (c) => {
    const body = validate(VerlOneSchema, await readJson(c, maxBodyBytes));
    const [s] = await score([{ source: body.data_source, label: body.ground_truth, response: body.solution_str }]);
    return c.json(verlDetail(s));
  });

  app.post('/compute_score/batch', guard, async (c) => {
    const body = validate(VerlBatchSchema, await readJson(c, maxBodyBytes));
    const n = body.data_sources.length;
    sameLength({ solution_strs: body.solution_strs, ground_truths: body.ground_truths, extra_infos: body.extra_infos }, n, 'data_sources');
    const scores = await score(
      body.data_sources.map((source, i) => ({ source, label: body.ground_truths[i], response: body.solution_strs[i] })),
    );
    return c.json({ scores: scores.map((s) => s.reward), details: scores.map(verlDetail) });
  });

  for (const path of ['/get_reward', '/compute_score', '/compute_score/batch']) {
    app.all(path, (c) =>
      c.json(errorBody(`${c.req.method} is not allowed on ${path}; use POST`, 'invalid_request_error', null, 'method_not_allowed'), 405),
    );
  }
  return { app, state };
}
