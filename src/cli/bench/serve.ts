/**
 * `rlmkit bench serve [--json]`: tokens/s and p50/p99 latency at 1, 8 and 32 concurrent clients,
 * through `rlmkit serve` (HTTP on 127.0.0.1) and by direct in-process calls, on the same model in
 * the same run. Both paths go through their own batching Scheduler with the same settings and
 * send the same requests (request i: prompt i, the same max_tokens and temperature, no seed), so
 * the ratio isolates what HTTP, JSON and the server add. HTTP clients run in a worker thread (as
 * separate programs would); in-process callers run in the main thread. Target: server >= 0.8x
 * in-process throughput at 32 clients.
 *
 * Measurement: each level runs a few seconds per path (--requests), after an untimed warm-up of
 * both paths at that level, in alternating rounds (A B B A ...) so that load changes on a shared
 * machine hit both alike. Requests are greedy by default, so both paths must return the same
 * completions: the result counts requests whose token counts differ (expected 0).
 *
 * Defaults (both paths): the model in a worker thread (WorkerPolicy), batches of at most 16 with
 * 2 in flight, as `rlmkit serve` runs embedded models. Two calls in flight let one batch's
 * host-side work (token choice, KV-cache copies, HTTP) overlap the other's onnxruntime compute,
 * and keep the model busy while the clients of the other batch send their next requests.
 */
import type { Command } from 'commander';
import { Worker } from 'node:worker_threads';
import { runtimeError, usageError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { presetConfig } from '../../engine/config.js';
import { initHostWeights } from '../../engine/model.js';
import { CharTokenizer } from '../../engine/tokenizer.js';
import { WorkerPolicy } from '../../models/worker-policy.js';
import { Scheduler, type SchedulerStats } from '../../models/scheduler.js';
import { loadPolicy, parseModelSpec } from '../../models/spec.js';
import type { Policy } from '../../models/types.js';
import { ModelRegistry, staticProvider } from '../../serve/providers.js';
import { startServer } from '../../serve/server.js';
import { floatOption, intOption } from '../options.js';
import type { BenchModule } from './types.js';
import { runHostileBench } from './serve-hostile.js';
import { median } from './stats.js';

interface PathResult {
  requests: number;
  completionTokens: number;
  seconds: number;
  tokensPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** What one timed round of a path measured. `counts[k]` is the completion tokens of request `first + k`. */
interface RawRun {
  latencies: number[];
  counts: number[];
  seconds: number;
}

const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Merges the rounds of one path: throughput over their summed time, percentiles over all requests. */
function summarise(runs: RawRun[]): PathResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const tokens = sum(runs.map((r) => sum(r.counts)));
  const seconds = sum(runs.map((r) => r.seconds));
  return {
    requests: latencies.length,
    completionTokens: tokens,
    seconds: Math.round(seconds * 1000) / 1000,
    tokensPerSec: round1(tokens / seconds),
    p50Ms: round1(percentile(latencies, 50)),
    p99Ms: round1(percentile(latencies, 99)),
  };
}

/** `clients` loops in this thread share requests first..first+total-1 (the in-process path). */
async function drive(clients: number, first: number, total: number, one: (i: number) => Promise<number>): Promise<RawRun> {
  const latencies: number[] = [];
  const counts = new Array<number>(total).fill(0);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const k = next++;
        const t0 = performance.now();
        counts[k] = await one(first + k);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, counts, seconds: (performance.now() - started) / 1000 };
}

/**
 * HTTP clients run in a worker thread, as separate client programs would: their request and JSON
 * work does not share the server's event loop. One worker serves every round over persistent
 * keep-alive connections, as a real client's would (a fresh worker per round paid thread start-up,
 * cold JIT and TCP connects inside the timed rounds). Plain JS (eval) so it runs from src and dist
 * alike.
 *
 * In a deployment the clients run elsewhere; here they share the two cores with the server and
 * the model, so every microsecond of client CPU is taken from the path being measured. The default
 * client is therefore a lean HTTP/1.1 client on raw sockets, as load generators (wrk, autocannon)
 * are: it writes each request whole and reads the status, Content-Length framing and JSON body of
 * each answer. It uses about 40 us of CPU per request against about 115 us for node:http, which
 * measured the client as much as the server (--client node keeps that one for comparison).
 */
const HTTP_CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const net = require('node:net');
const { url, maxSockets, prompts, body, client } = workerData;
const target = new URL(url);
const HEAD_END = Buffer.from('\\r\\n\\r\\n');

// --client node: node:http with keep-alive (undici's fetch cost several times more CPU still).
const agent = new http.Agent({ keepAlive: true, maxSockets });
function postNode(slot, payload) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// --client raw: one keep-alive socket per client slot, one request in flight on each.
const conns = [];
function connect() {
  const conn = { sock: net.connect({ host: target.hostname, port: Number(target.port) }), buf: null, pending: null, closed: false };
  conn.sock.setNoDelay(true);
  conn.sock.on('data', (d) => {
    conn.buf = conn.buf ? Buffer.concat([conn.buf, d]) : d;
    readAnswer(conn);
  });
  const fail = (e) => {
    conn.closed = true;
    const p = conn.pending;
    conn.pending = null;
    if (p) p.reject(e);
  };
  conn.sock.on('error', fail);
  conn.sock.on('close', () => fail(new Error('the server closed the connection')));
  return conn;
}
function readAnswer(conn) {
  if (!conn.pending || !conn.buf) return;
  const buf = conn.buf;
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return;
  const head = buf.toString('latin1', 0, end);
  const m = /\\r\\ncontent-length: *(\\d+)/i.exec(head);
  const p = conn.pending;
  if (!m) {
    conn.pending = null;
    p.reject(new Error('answer without Content-Length: ' + head.split('\\r\\n')[0]));
    return;
  }
  const bodyEnd = end + 4 + Number(m[1]);
  if (buf.length < bodyEnd) return;
  conn.buf = buf.length > bodyEnd ? buf.subarray(bodyEnd) : null;
  conn.pending = null;
  p.resolve({ status: Number(head.slice(9, 12)), body: buf.toString('utf8', end + 4, bodyEnd) });
}
function send(conn, payload) {
  return new Promise((resolve, reject) => {
    conn.pending = { resolve, reject };
    conn.sock.write('POST ' + target.pathname + ' HTTP/1.1\\r\\nHost: ' + target.host + '\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + Buffer.byteLength(payload) + '\\r\\n\\r\\n' + payload);
  });
}
async function postRaw(slot, payload) {
  // The server closes idle keep-alive sockets after a few seconds: open a new one then.
  if (!conns[slot] || conns[slot].closed) conns[slot] = connect();
  const conn = conns[slot];
  const reused = conn.used;
  conn.used = true;
  try {
    return await send(conn, payload);
  } catch (e) {
    // A reused socket the server closed as idle just as this request went out: resend once on a
    // new one (as HTTP clients do for idempotent retries of a stale keep-alive connection).
    if (!reused || !conn.closed || conn.buf) throw e;
    conns[slot] = connect();
    conns[slot].used = true;
    return send(conns[slot], payload);
  }
}

const post = client === 'node' ? postNode : postRaw;
async function run({ clients, first, total }) {
  const latencies = [];
  const counts = new Array(total).fill(0);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, slot) => {
    while (next < total) {
      const k = next++;
      const t0 = performance.now();
      const res = await post(slot, JSON.stringify({ ...body, prompt: prompts[(first + k) % prompts.length] }));
      if (res.status !== 200) throw new Error('server answered ' + res.status + ': ' + res.body);
      counts[k] = JSON.parse(res.body).usage.completion_tokens;
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies, counts, seconds: (performance.now() - started) / 1000 };
}
parentPort.on('message', (job) => {
  if (job === 'close') {
    agent.destroy();
    for (const c of conns) if (c) c.sock.destroy();
    parentPort.close();
    return;
  }
  run(job).then((r) => parentPort.postMessage(r), (e) => parentPort.postMessage({ error: String((e && e.message) || e) }));
});
`;

/** The persistent HTTP client worker: `run` posts one round and resolves with what it measured. */
function startHttpClients(url: string, maxSockets: number, prompts: string[], body: Record<string, unknown>, client: 'raw' | 'node') {
  const w = new Worker(HTTP_CLIENT_WORKER, { eval: true, workerData: { url, maxSockets, prompts, body, client } });
  let failed: Error | undefined;
  w.on('error', (e) => (failed = e));
  return {
    run(clients: number, first: number, total: number): Promise<RawRun> {
      if (failed) return Promise.reject(runtimeError(`bench client failed: ${failed.message}`));
      return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(runtimeError(`bench client failed: ${e.message}`));
        w.once('error', onError);
        w.once('message', (m: RawRun & { error?: string }) => {
          w.off('error', onError);
          if (m.error) reject(runtimeError(`bench client failed: ${m.error}`));
          else resolve(m);
        });
        w.postMessage({ clients, first, total });
      });
    },
    async close() {
      w.postMessage('close');
      await w.terminate();
    },
  };
}

/**
 * Requests per level and path when --requests is not given: enough for a few seconds of work at
 * the throughputs measured here (about 40 requests/s at 1 client, 250 at 32), so that timer
 * granularity, ramp-up and the tail of the last batches stay small next to the whole.
 */
function defaultRequests(clients: number): number {
  return Math.min(1024, Math.max(160, 96 * clients));
}

/** The default benchmark model: a random-init `tiny` preset over a Game-of-24-like character vocabulary. */
async function defaultModel(threads: number): Promise<Policy> {
  const tokenizer = new CharTokenizer([...' 0123456789+-*/=()|abcdefghijklmnopqrstuvwxyz.,']);
  const config = presetConfig('tiny', { vocabSize: tokenizer.vocabSize });
  return WorkerPolicy.start({ source: { config, weights: initHostWeights(config, 0), tokenizer, name: 'random-tiny' } }, { threads });
}

export const serveBench: BenchModule = {
  name: 'serve',
  summary: 'server vs in-process throughput and latency at 1, 8 and 32 concurrent clients',
  configure(cmd: Command) {
    cmd
      .option('--model <spec>', 'model to serve (default: a random-init tiny embedded model)')
      .option('--requests <n>', 'requests per concurrency level and path (default: 96 per client, 160 to 1024)', intOption(1))
      .option('--max-tokens <n>', 'max_tokens per request', intOption(1), 32)
      .option(
        '--temperature <t>',
        'sampling temperature of every request (0 = greedy: both paths must then produce the same tokens)',
        floatOption(0, 100),
        0,
      )
      .option('--clients <list>', 'comma-separated concurrency levels', '1,8,32')
      .option('--client <kind>', 'HTTP load generator: raw (lean keep-alive sockets) or node (node:http Agent)', 'raw')
      .option('--max-batch <n>', 'scheduler batch limit', intOption(1), 16)
      .option('--max-wait-ms <n>', 'scheduler batching wait', intOption(0), 2)
      .option('--max-fill-wait-ms <n>', 'scheduler wait for the usual crowd of callers', intOption(0), 25)
      .option('--concurrency <n>', 'backend calls in flight at once (both paths)', intOption(1, 8), 2)
      .option('--threads <n>', 'onnxruntime threads of the default model', intOption(1, 64), 2)
      .option(
        '--hostile',
        'instead: normal clients next to 64 slow bodies and an abandoned huge search (p99, server RSS; src/cli/bench/serve-hostile.ts)',
      )
      .option('--duration-s <s>', 'length of the --hostile run', floatOption(1, 3600), 20);
  },
  async run(o) {
    if (o.hostile) return runHostileBench(o);
    const levels = String(o.clients ?? '1,8,32')
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
    if (levels.length === 0)
      throw usageError(`--clients "${String(o.clients)}" names no concurrency level`, 'pass positive integers, e.g. --clients 1,8,32');
    const client = String(o.client ?? 'raw');
    if (client !== 'raw' && client !== 'node')
      throw usageError(`--client must be raw or node, got "${client}"`, 'pass --client raw (default) or --client node');
    const fixedRequests = o.requests === undefined ? undefined : Number(o.requests);
    const maxTokens = Number(o.maxTokens ?? 32);
    const temperature = Number(o.temperature ?? 0);
    const sched = {
      maxBatch: Number(o.maxBatch ?? 16),
      maxWaitMs: Number(o.maxWaitMs ?? 2),
      maxFillWaitMs: Number(o.maxFillWaitMs ?? 25),
      concurrency: Number(o.concurrency ?? 2),
    };
    const spec = o.model ? parseModelSpec(String(o.model)) : undefined;
    // Embedded models run in a worker thread, as `rlmkit serve` runs them (src/serve/build.ts).
    const backend = !spec
      ? await defaultModel(Number(o.threads ?? 2))
      : spec.kind === 'embedded' && spec.options.worker !== false
        ? await WorkerPolicy.start({ file: spec.path }, spec.options)
        : await loadPolicy(spec);
    // Two schedulers with the same settings over the same backend: one for each path.
    const inProcess = new Scheduler(backend, sched);
    const served = new Scheduler(backend, sched);
    const server = await startServer({
      registry: new ModelRegistry().register(staticProvider({ bench: served })),
      port: 0,
      maxConcurrent: 256,
      closeModels: false,
    });
    const prompt = (i: number) => `${i % 10} ${(i * 7) % 10} ${(i * 3) % 10}|`;
    const prompts = Array.from({ length: 100 }, (_, i) => prompt(i));
    // The same requests on both paths: request i has prompt(i), these settings, and no seed.
    const params = { maxTokens, temperature };
    const clientsWorker = startHttpClients(
      `${server.url}/v1/completions`,
      Math.max(...levels),
      prompts,
      { model: 'bench', max_tokens: maxTokens, temperature },
      client,
    );
    const direct = async (i: number) => (await inProcess.generate([{ prompt: prompt(i) }], params))[0][0].usage.completionTokens;
    const results: Record<string, unknown>[] = [];
    try {
      for (const clients of levels) {
        const total = fixedRequests ?? defaultRequests(clients);
        logger.info('bench serve', { clients, requests: total });
        // Warm-up at this level on both paths (untimed): first sampler calls, keep-alive
        // connections, and the schedulers' estimate of how many callers come back together.
        await drive(clients, 0, 2 * clients, direct);
        await clientsWorker.run(clients, 0, 2 * clients);
        // Alternate the two paths in rounds (A B B A A B ...) so that load changes on a shared
        // machine hit both alike. With enough requests, each round covers at least 8 cycles of
        // the clients, so its ramp-up and tail stay small.
        const rounds = Math.max(2, Math.min(8, 2 * Math.floor(total / (16 * clients))));
        const per = Math.ceil(total / rounds);
        const a: RawRun[] = [];
        const b: RawRun[] = [];
        let serverBusy = 0;
        let serverWall = 0;
        const before = { in: inProcess.stats(), srv: served.stats() };
        for (let r = 0; r < rounds; r++) {
          const first = r * per;
          const count = Math.min(per, total - first);
          if (count <= 0) break;
          const runA = async () => void a.push(await drive(clients, first, count, direct));
          const runB = async () => {
            const elu = performance.eventLoopUtilization();
            b.push(await clientsWorker.run(clients, first, count));
            const used = performance.eventLoopUtilization(elu);
            serverBusy += used.active;
            serverWall += used.idle + used.active;
          };
          if (r % 2 === 0) {
            await runA();
            await runB();
          } else {
            await runB();
            await runA();
          }
        }
        const after = { in: inProcess.stats(), srv: served.stats() };
        const meanBatch = (x: SchedulerStats, y: SchedulerStats) =>
          round1((y.batchedRequests - x.batchedRequests) / Math.max(1, y.batches - x.batches));
        // How busy the backend slots were during the path's rounds (1 = every slot always running a batch).
        const slotBusy = (x: SchedulerStats, y: SchedulerStats, seconds: number) =>
          Math.round(((y.backendBusyMs - x.backendBusyMs) / (sched.concurrency * seconds * 1000)) * 1000) / 1000;
        const inP = summarise(a);
        const srv = summarise(b);
        const aCounts = a.flatMap((x) => x.counts);
        const bCounts = b.flatMap((x) => x.counts);
        const differing = aCounts.filter((n, k) => n !== bCounts[k]).length;
        const tps = (x: RawRun) => sum(x.counts) / x.seconds;
        results.push({
          clients,
          rounds: a.length,
          inProcess: { ...inP, meanBatch: meanBatch(before.in, after.in), slotBusy: slotBusy(before.in, after.in, inP.seconds) },
          server: {
            ...srv,
            meanBatch: meanBatch(before.srv, after.srv),
            slotBusy: slotBusy(before.srv, after.srv, srv.seconds),
            mainThreadBusy: Math.round((serverBusy / Math.max(1e-9, serverWall)) * 1000) / 1000,
          },
          serverToInProcess: Math.round((srv.tokensPerSec / inP.tokensPerSec) * 1000) / 1000,
          // Ratio of each round pair, median: less sensitive to one round that met a load spike.
          roundRatioMedian: Math.round(median(a.map((x, k) => tps(b[k]) / tps(x))) * 1000) / 1000,
          // With greedy requests both paths must produce the same completions.
          requestsWithDifferentTokenCounts: differing,
        });
      }
    } finally {
      await clientsWorker.close();
      await server.close();
      await backend.close?.();
    }
    const at32 = results.find((r) => r.clients === 32) as { serverToInProcess: number } | undefined;
    return {
      benchmark: 'serve',
      model: backend.id,
      requestsPerLevel: fixedRequests ?? Object.fromEntries(levels.map((c) => [c, defaultRequests(c)])),
      maxTokens,
      temperature,
      client,
      scheduler: sched,
      levels: results,
      target: { clients: 32, minRatio: 0.8, ratio: at32?.serverToInProcess ?? null, met: at32 ? at32.serverToInProcess >= 0.8 : null },
      note: 'one shared 2-core machine: figures are noisy; compare the two paths of the same run',
    };
  },
  format(r) {
    const lines = [
      `bench serve: ${r.model}, max_tokens ${r.maxTokens}, temperature ${r.temperature}`,
      'clients  path        requests    tokens   tok/s     p50 ms   p99 ms  batch',
    ];
    for (const l of r.levels as {
      clients: number;
      inProcess: PathResult & { meanBatch: number };
      server: PathResult & { meanBatch: number };
      serverToInProcess: number;
      roundRatioMedian: number;
    }[]) {
      for (const [name, p] of [
        ['in-process', l.inProcess],
        ['server', l.server],
      ] as const) {
        lines.push(
          `${String(l.clients).padStart(7)}  ${name.padEnd(10)} ${String(p.requests).padStart(8)} ${String(p.completionTokens).padStart(9)} ${p.tokensPerSec.toFixed(0).padStart(7)} ${p.p50Ms.toFixed(1).padStart(9)} ${p.p99Ms.toFixed(1).padStart(8)} ${p.meanBatch.toFixed(1).padStart(6)}`,
        );
      }
      lines.push(
        `         server / in-process: ${l.serverToInProcess.toFixed(3)} (median of round pairs ${l.roundRatioMedian.toFixed(3)})`,
      );
    }
    const t = r.target as { ratio: number | null; met: boolean | null };
    lines.push(
      `target server >= 0.8x in-process at 32 clients: ${t.met === null ? 'not measured' : t.met ? `met (${t.ratio})` : `NOT met (${t.ratio})`}`,
    );
    return lines.join('\n');
  },
};
