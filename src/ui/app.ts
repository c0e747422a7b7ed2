/**
 * The explorer's HTTP app (Hono): the built single-page app from web/dist and a JSON + SSE API
 * over a runs folder. Every error is a 4xx/5xx JSON body `{ error: { message, hint } }` that the UI
 * shows as it is. Hardening: requests must name this server in Host (DNS rebinding), writes need
 * a JSON content type and a same-origin Origin (CSRF), bodies are size-limited, and with an API key
 * every route needs it (Bearer header, or the cookie that `/?token=<key>` sets).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { getCookie, setCookie } from 'hono/cookie';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { inputError, isRlmkitError } from '../core/errors.js';
import { pairedDifference, type ProblemAccuracy } from '../eval/stats.js';
import { logger as rootLogger, type Logger } from '../core/log.js';
import { validateTrace } from '../reasoning/tracer.js';
import { Playground, type JobEvent } from './playground.js';
import { MetricsTail } from './tail.js';
import { NotFoundError, listRuns, readJsonFile, readMetrics, runDetail, runFile, runPath } from './runs.js';

export interface UiAppOptions {
  runsDir: string;
  /** The built app (default: web/dist next to this package). */
  webDir?: string;
  apiKey?: string;
  /** Host names (without port) a request's Host header may name; empty = any. */
  allowedHosts?: string[];
  /** Largest request body (trace uploads), bytes. */
  maxBodyBytes?: number;
  /** How often SSE streams look for new metrics, ms. */
  pollMs?: number;
  logger?: Logger;
}

export const defaultWebDir = (): string => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const err = (c: Context, status: 400 | 401 | 403 | 404 | 413 | 429 | 500, message: string, hint?: string) =>
  c.json({ error: { message, ...(hint ? { hint } : {}) } }, status);

export function createUiApp(o: UiAppOptions): { app: Hono; playground: Playground } {
  const log = (o.logger ?? rootLogger).child({ component: 'ui' });
  const webDir = o.webDir ?? defaultWebDir();
  const pollMs = o.pollMs ?? 300;
  const playground = new Playground({ runsDir: o.runsDir, logger: log });
  const app = new Hono();

  app.onError((e, c) => {
    if (e instanceof NotFoundError) return err(c, 404, e.message);
    if (isRlmkitError(e) && e.kind !== 'runtime' && e.kind !== 'io') return err(c, 400, e.message, e.hint);
    log.error('request failed', { path: c.req.path, error: (e as Error).message });
    return err(c, 500, isRlmkitError(e) ? e.message : `internal error: ${(e as Error).message}`, isRlmkitError(e) ? e.hint : undefined);
  });

  app.use('*', async (c, next) => {
    const host = (c.req.header('host') ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (o.allowedHosts && o.allowedHosts.length > 0 && !o.allowedHosts.includes(host))
      return err(c, 403, `host "${host}" is not served here`, 'open the address rlmkit ui printed');
    if (o.apiKey) {
      const token = c.req.query('token');
      if (token !== undefined && c.req.method === 'GET' && sameSecret(token, o.apiKey)) {
        setCookie(c, 'rlmkit_ui', token, { httpOnly: true, sameSite: 'Strict', path: '/' });
        return c.redirect(c.req.path);
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
      const given = bearer ?? getCookie(c, 'rlmkit_ui');
      if (!given || !sameSecret(given, o.apiKey))
        return err(c, 401, 'missing or wrong API key', 'open the URL with ?token=<key> once, or send "Authorization: Bearer <key>"');
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      const self = c.req.header('host');
      if (origin && self && origin.replace(/^https?:\/\//, '') !== self) return err(c, 403, 'cross-origin writes are refused');
      if (c.req.method === 'POST' && !(c.req.header('content-type') ?? '').startsWith('application/json'))
        return err(c, 400, 'send the body as application/json');
    }
    await next();
  });
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: o.maxBodyBytes ?? 64 * 1024 * 1024,
      onError: (c) =>
        err(
          c,
          413,
          `the request body is larger than ${o.maxBodyBytes ?? 64 * 1024 * 1024} bytes`,
          'open smaller files, or start rlmkit ui with a larger --max-body',
        ),
    }),
  );

  app.get('/api/info', (c) => c.json({ runsDir: o.runsDir, built: fs.existsSync(path.join(webDir, 'index.html')) }));
  app.get('/api/runs', (c) => c.json({ runs: listRuns(o.runsDir) }));
  app.get('/api/runs/:name', (c) => c.json(runDetail(o.runsDir, c.req.param('name'))));
  app.get('/api/runs/:name/metrics', (c) => c.json(readMetrics(runPath(o.runsDir, c.req.param('name')))));

  app.get('/api/runs/:name/events', (c) => {
    const dir = runPath(o.runsDir, c.req.param('name'));
    const tail = new MetricsTail(path.join(dir, 'metrics.jsonl'));
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let sinceWrite = 0;
      while (open) {
        const e = tail.poll();
        if (e) {
          await stream.writeSSE({ event: e.kind, data: JSON.stringify({ records: e.records, skipped: e.skipped }) });
          sinceWrite = 0;
        } else if ((sinceWrite += pollMs) >= 15_000) {
          await stream.writeSSE({ event: 'ping', data: '{}' });
          sinceWrite = 0;
        }
        await stream.sleep(pollMs);
      }
    });
  });

  app.get('/api/runs/:name/trace', (c) => {
    const rel = c.req.query('path') ?? '';
    const file = runFile(o.runsDir, c.req.param('name'), rel);
    return c.json({ trace: validateTrace(readJsonFile(file, rel), rel) });
  });
  app.get('/api/runs/:name/json', (c) => {
    const rel = c.req.query('path') ?? '';
    if (!rel.endsWith('.json')) return err(c, 400, `${rel} is not a .json file`);
    return c.json({ value: readJsonFile(runFile(o.runsDir, c.req.param('name'), rel), rel) });
  });

  /** Paired comparison of two `rlmkit eval` reports on their shared problems (src/eval/stats.ts). */
  app.get('/api/compare', (c) => {
    const read = (which: 'a' | 'b') => {
      const run = c.req.query(`${which}Run`) ?? '';
      const rel = c.req.query(`${which}Path`) ?? '';
      const value = readJsonFile(runFile(o.runsDir, run, rel), rel) as { perProblem?: unknown; model?: unknown };
      const ok =
        Array.isArray(value?.perProblem) &&
        value.perProblem.every((p: any) => p && typeof p.problemId === 'string' && Number.isInteger(p.n) && Number.isInteger(p.correct));
      if (!ok)
        throw inputError(
          `${run}/${rel} is not an rlmkit eval report (no perProblem table)`,
          'compare two files written by `rlmkit eval --json`',
        );
      return value as { perProblem: ProblemAccuracy[] };
    };
    const a = read('a');
    const b = read('b');
    return c.json({ comparison: pairedDifference(b.perProblem, a.perProblem, { seed: 0 }) });
  });

  /** Any trace file the user opens in the browser: validated here so the UI gets the schema's message. */
  app.post('/api/trace', async (c) => {
    const text = await c.req.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return err(
        c,
        400,
        `the file is not JSON: ${(e as Error).message}`,
        'open a trace written by `rlmkit solve --trace` or the playground',
      );
    }
    return c.json({ trace: validateTrace(value, 'the file') });
  });

  app.get('/api/playground/catalog', (c) => c.json(playground.catalog()));
  app.get('/api/playground/problems', async (c) =>
    c.json({ problems: await playground.problems(c.req.query('task') ?? '', c.req.query('split') ?? 'test') }),
  );
  app.post('/api/playground', async (c) => {
    if (playground.running >= 2) return err(c, 429, 'two playground searches are already running', 'wait for one to finish');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return err(c, 400, 'the body is not JSON');
    }
    const job = await playground.start(body);
    return c.json({ id: job.id });
  });
  app.get('/api/playground/:id/events', (c) => {
    const job = playground.job(c.req.param('id'));
    if (!job) return err(c, 404, `no playground job ${c.req.param('id')}`, 'start a new search');
    return streamSSE(c, async (stream) => {
      const queue: JobEvent[] = [...job.events];
      let wake: (() => void) | null = null;
      const listener = (e: JobEvent) => {
        queue.push(e);
        wake?.();
      };
      job.listeners.add(listener);
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        while (open) {
          const e = queue.shift();
          if (!e) {
            await new Promise<void>((r) => (wake = r));
            wake = null;
            continue;
          }
          if (e.event === 'snapshot' && queue.length > 0) continue;
          await stream.writeSSE({ event: e.event, data: JSON.stringify(e) });
          if (e.event !== 'snapshot') break;
        }
      } finally {
        job.listeners.delete(listener);
      }
    });
  });
  app.post('/api/playground/:id/save', (c) => c.json(playground.save(c.req.param('id'))));
  app.delete('/api/playground/:id', (c) => {
    const job = playground.job(c.req.param('id'));
    if (!job) return err(c, 404, `no playground job ${c.req.param('id')}`);
    job.abort.abort();
    return c.json({ stopped: true });
  });
  app.all('/api/*', (c) => err(c, 404, `no route ${c.req.method} ${c.req.path}`));

  app.get('*', (c) => {
    const index = path.join(webDir, 'index.html');
    if (!fs.existsSync(index)) {
      return c.html(
        `<!doctype html><title>rlmkit explorer</title><p>The explorer app is not built (${webDir} has no index.html).</p><p>Run <code>npm run build</code> in the rlmkit folder.</p>`,
        500,
      );
    }
    let rel = '';
    try {
      rel = decodeURIComponent(c.req.path).replace(/^\/+/, '');
    } catch {
      return err(c, 400, 'bad URL encoding');
    }
    let file = index;
    if (rel && !rel.split('/').includes('..')) {
      const candidate = path.join(webDir, rel);
      if (candidate.startsWith(webDir + path.sep) && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) file = candidate;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const cache = file === index ? 'no-cache' : 'public, max-age=31536000, immutable';
    return c.body(fs.readFileSync(file), 200, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
  });

  return { app, playground };
}
