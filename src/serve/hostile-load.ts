/**
 * A bounded loopback load test of a running `rlmkit serve` with hostile and normal clients at once
 * (issue 13's acceptance test; `rlmkit bench serve --hostile` and test/serve/load.test.ts):
 *
 * - `slowBodies` connections that send headers and the start of a body, then one byte now and
 *   then, and reconnect whenever the server closes them (so that many are always in flight);
 * - a large search (`search`, e.g. a huge MCTS) that a client starts and abandons after
 *   `abandonAfterMs`, again and again, so one is always running or being torn down;
 * - `normalClients` clients in closed loops sending small completions and chats;
 * - the server's RSS sampled every 200 ms (`rssBytes`, e.g. from /proc for a subprocess).
 *
 * Everything goes to 127.0.0.1 and stops after `durationMs`.
 */
import * as net from 'node:net';

/**
 * `rlmkit serve` search limits high enough that the abandoned search really runs (only its
 * abandonment can end it): the hostile load and the hostile-client tests.
 */
export const UNCAPPED_SEARCH_FLAGS: readonly string[] = [
  '--max-search-nodes',
  '1000000000',
  '--max-search-tokens',
  '2000000000',
  '--max-search-wall-ms',
  '2000000000',
];

/** `rlmkit serve` flags for the hostile load: uncapped searches and a 4 s body deadline for the slow uploads. */
export const HOSTILE_SERVE_FLAGS: readonly string[] = [...UNCAPPED_SEARCH_FLAGS, '--body-timeout-ms', '4000'];

/**
 * The search request of issue 13's first reproduction: an MCTS over the Game of 24 policy far too
 * large to finish, which a client sends and abandons. The load test, its benchmark and the
 * hostile-client tests all send this one.
 */
export const ABANDONED_SEARCH = {
  model: 'mcts@g24',
  prompt: '4 4 6 8|',
  simulations: 100000,
  children: 256,
  stopWhenSolved: false,
  maxDepth: 1000,
  parallel: 1024,
} as const;

export interface HostileLoadOptions {
  /** Base URL of the server (without /v1). */
  base: string;
  apiKey?: string;
  /** Model name for the normal requests. */
  model: string;
  /** Body of the large search the hostile client starts and abandons (none: no such client). */
  search?: Record<string, unknown>;
  slowBodies?: number;
  normalClients?: number;
  durationMs?: number;
  abandonAfterMs?: number;
  /** The server's resident memory in bytes, when it can be read. */
  rssBytes?: () => number;
}

export interface HostileLoadResult {
  durationMs: number;
  normal: {
    clients: number;
    requests: number;
    ok: number;
    failed: number;
    statuses: Record<string, number>;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  slowBodies: { target: number; opened: number; closedByServer: number; answered408: number };
  searches: { started: number; abandoned: number; refused: number };
  rss: { startBytes: number | null; maxBytes: number | null; endBytes: number | null };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runHostileLoad(o: HostileLoadOptions): Promise<HostileLoadResult> {
  const url = new URL(o.base);
  const port = Number(url.port);
  const durationMs = o.durationMs ?? 20_000;
  const slowTarget = o.slowBodies ?? 64;
  const clients = o.normalClients ?? 8;
  const abandonAfterMs = o.abandonAfterMs ?? 3_000;
  const auth: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {};
  const started = performance.now();
  const deadline = started + durationMs;
  const live = () => performance.now() < deadline;

  const rssNow = () => {
    try {
      return o.rssBytes ? o.rssBytes() : null;
    } catch {
      return null;
    }
  };
  const rss = { startBytes: rssNow(), maxBytes: rssNow(), endBytes: null as number | null };
  const sampler = setInterval(() => {
    const v = rssNow();
    if (v !== null && (rss.maxBytes === null || v > rss.maxBytes)) rss.maxBytes = v;
  }, 200);

  // Slow uploads: headers and `{"model":`, then a space every 500 ms; reconnect when closed.
  const slow = { target: slowTarget, opened: 0, closedByServer: 0, answered408: 0 };
  const sockets = new Set<net.Socket>();
  const openSlow = () => {
    if (!live()) return;
    const socket = net.connect(port, '127.0.0.1');
    sockets.add(socket);
    slow.opened++;
    let head = '';
    const drip = setInterval(() => socket.write(' '), 500);
    socket.on('connect', () => {
      const extra = Object.entries(auth)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(
        `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${extra}\r\n{"model":`,
      );
    });
    socket.on('data', (d) => (head += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      sockets.delete(socket);
      if (/^HTTP\/1\.1 408/.test(head)) slow.answered408++;
      if (live()) {
        slow.closedByServer++;
        openSlow();
      }
    });
  };
  for (let i = 0; i < slowTarget; i++) openSlow();

  // The abandoned large search, over and over.
  const searches = { started: 0, abandoned: 0, refused: 0 };
  const searchLoop = (async () => {
    while (o.search && live()) {
      const ctl = new AbortController();
      searches.started++;
      const t = setTimeout(() => ctl.abort(), abandonAfterMs);
      try {
        const res = await fetch(`${o.base}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify(o.search),
          signal: ctl.signal,
        });
        await res.text();
        if (res.status >= 400) searches.refused++;
      } catch {
        searches.abandoned++;
      }
      clearTimeout(t);
      await sleep(200);
    }
  })();

  // Normal clients.
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let failed = 0;
  const prompts = ['4 4 6 8|', '1 2 3 4|', '2 3 5 12|', '3 3 8 8|'];
  const normalLoop = async (k: number) => {
    for (let i = 0; live(); i++) {
      const chat = (i + k) % 3 === 0;
      const prompt = prompts[(i + k) % prompts.length];
      const body = chat
        ? { model: o.model, messages: [{ role: 'user', content: prompt }], max_tokens: 16, temperature: 0.7 }
        : { model: o.model, prompt, max_tokens: 16, temperature: 0.7 };
      const t0 = performance.now();
      try {
        const res = await fetch(`${o.base}${chat ? '/v1/chat/completions' : '/v1/completions'}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status !== 200) failed++;
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
        failed++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all([searchLoop, ...Array.from({ length: clients }, (_, k) => normalLoop(k))]);
  clearInterval(sampler);
  rss.endBytes = rssNow();
  for (const s of sockets) s.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    durationMs: Math.round(performance.now() - started),
    normal: {
      clients,
      requests: latencies.length,
      ok: latencies.length - failed,
      failed,
      statuses,
      p50Ms: r1(percentile(sorted, 50)),
      p99Ms: r1(percentile(sorted, 99)),
      maxMs: r1(sorted[sorted.length - 1] ?? 0),
    },
    slowBodies: slow,
    searches,
    rss,
  };
}
