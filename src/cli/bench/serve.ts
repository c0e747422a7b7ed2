/**
 * `rlmkit bench serve [--json]`: tokens/s and p50/p99 latency at 1, 8 and 32 concurrent clients,
 * through `rlmkit serve` (HTTP on 127.0.0.1) and by direct in-process calls, on the same model in
 * the same run. Both paths go through the same kind of batching Scheduler, so the ratio isolates
 * what HTTP, JSON and the server add. HTTP clients run in a worker thread (as separate programs
 * would); in-process callers run in the main thread. Target: server >= 0.8x in-process
 * throughput at 32 clients.
 *
 * Defaults (both paths): the model in a worker thread (WorkerPolicy), batches of at most 16 with
 * 2 in flight, as `rlmkit serve` runs embedded models. Two calls in flight let one batch's host-side work (token choice, KV-cache copies,
 * HTTP) overlap the other's onnxruntime compute; measured here, two concurrent 16-row calls took
 * a third of the time of the same calls in sequence.
 */
import type { Command } from 'commander';
import { Worker } from 'node:worker_threads';
import { runtimeError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { presetConfig } from '../../engine/config.js';
import { initHostWeights } from '../../engine/model.js';
import { CharTokenizer } from '../../engine/tokenizer.js';
import { WorkerPolicy } from '../../models/worker-policy.js';
import { Scheduler } from '../../models/scheduler.js';
import { loadPolicy, parseModelSpec } from '../../models/spec.js';
import type { Policy } from '../../models/types.js';
import { ModelRegistry, staticProvider } from '../../serve/providers.js';
import { startServer } from '../../serve/server.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

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

/** What one timed run of a path measured. */
interface RawRun {
  latencies: number[];
  tokens: number;
  seconds: number;
}

/** Merges the rounds of one path: throughput over their summed time, percentiles over all requests. */
function summarise(runs: RawRun[]): PathResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const tokens = runs.reduce((n, r) => n + r.tokens, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { requests: latencies.length, completionTokens: tokens, seconds: Math.round(seconds * 1000) / 1000, tokensPerSec: round(tokens / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

/** `clients` loops in this thread share `total` requests (the in-process path). */
async function drive(clients: number, total: number, one: (i: number) => Promise<number>): Promise<RawRun> {
  const latencies: number[] = [];
  let tokens = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const got = await one(i); // not `tokens += await ...`: that reads `tokens` before awaiting
        tokens += got;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, tokens, seconds: (performance.now() - started) / 1000 };
}

/**
 * HTTP clients run in a worker thread, as separate client programs would: their request and JSON
 * work does not share the server's event loop. Plain JS (eval) so it runs from src and dist alike.
 */
const HTTP_CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, clients, total, maxTokens, prompts } = workerData;
const target = new URL(url);
// node:http with keep-alive: undici's fetch costs several times more CPU per request, which made
// the client, not the server, the bottleneck.
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  const latencies = [];
  let tokens = 0, next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      const res = await post(JSON.stringify({ model: 'bench', prompt: prompts[i % prompts.length], max_tokens: maxTokens, temperature: 1 }));
      if (res.status !== 200) throw new Error('server answered ' + res.status + ': ' + res.body);
      tokens += JSON.parse(res.body).usage.completion_tokens;
      latencies.push(performance.now() - t0);
    }
  }));
  agent.destroy();
  parentPort.postMessage({ latencies, tokens, seconds: (performance.now() - started) / 1000 });
})().catch((e) => parentPort.postMessage({ error: String(e && e.message || e) }));
`;

function driveHttp(url: string, clients: number, total: number, maxTokens: number, prompts: string[]): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const w = new Worker(HTTP_CLIENT_WORKER, { eval: true, workerData: { url, clients, total, maxTokens, prompts } });
    w.once('message', (m: { latencies: number[]; tokens: number; seconds: number; error?: string }) => {
      void w.terminate();
      if (m.error) reject(runtimeError(`bench client failed: ${m.error}`));
      else resolve(m);
    });
    w.once('error', reject);
  });
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
      .option('--requests <n>', 'requests per concurrency level and path', intOption(1), 96)
      .option('--max-tokens <n>', 'max_tokens per request', intOption(1), 32)
      .option('--clients <list>', 'comma-separated concurrency levels', '1,8,32')
      .option('--max-batch <n>', 'scheduler batch limit', intOption(1), 16)
      .option('--max-wait-ms <n>', 'scheduler batching wait', intOption(0), 2)
      .option('--max-fill-wait-ms <n>', 'scheduler wait for the usual crowd of callers', intOption(0), 25)
      .option('--concurrency <n>', 'backend calls in flight at once (both paths)', intOption(1, 8), 2)
      .option('--threads <n>', 'onnxruntime threads of the default model', intOption(1, 64), 2);
  },
  async run(o) {
    const levels = String(o.clients ?? '1,8,32').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
    const total = Number(o.requests ?? 96);
    const maxTokens = Number(o.maxTokens ?? 32);
    const sched = { maxBatch: Number(o.maxBatch ?? 16), maxWaitMs: Number(o.maxWaitMs ?? 2), maxFillWaitMs: Number(o.maxFillWaitMs ?? 25), concurrency: Number(o.concurrency ?? 2) };
    const spec = o.model ? parseModelSpec(String(o.model)) : undefined;
    // Embedded models run in a worker thread, as `rlmkit serve` runs them (src/serve/build.ts).
    const backend = !spec ? await defaultModel(Number(o.threads ?? 2)) : spec.kind === 'embedded' && spec.options.worker !== false ? await WorkerPolicy.start({ file: spec.path }, spec.options) : await loadPolicy(spec);
    const inProcess = new Scheduler(backend, sched);
    const served = new Scheduler(backend, sched);
    const server = await startServer({ registry: new ModelRegistry().register(staticProvider({ bench: served })), port: 0, maxConcurrent: 256, closeModels: false });
    const prompt = (i: number) => `${i % 10} ${(i * 7) % 10} ${(i * 3) % 10}|`;
    const prompts = Array.from({ length: 100 }, (_, i) => prompt(i));
    const params = { maxTokens, temperature: 1 };
    const url = `${server.url}/v1/completions`;
    const direct = async (i: number) => (await inProcess.generate([{ prompt: prompt(i) }], params))[0][0].usage.completionTokens;
    const results: Record<string, unknown>[] = [];
    try {
      // Warm up both paths (first sampler calls and HTTP connections).
      await drive(4, 8, direct);
      await driveHttp(url, 4, 8, maxTokens, prompts);
      for (const clients of levels) {
        logger.info('bench serve', { clients });
        // Alternate the two paths in rounds (A B, B A, ...) so that load changes on a shared
        // machine hit both alike.
        const rounds = Math.max(1, Math.min(4, Math.floor(total / clients)));
        const per = Math.ceil(total / rounds);
        const a: RawRun[] = [];
        const b: RawRun[] = [];
        const before = { in: inProcess.stats(), srv: served.stats() };
        for (let r = 0; r < rounds; r++) {
          const runA = () => drive(clients, per, direct).then((x) => void a.push(x));
          const runB = () => driveHttp(url, clients, per, maxTokens, prompts).then((x) => void b.push(x));
          if (r % 2 === 0) {
            await runA();
            await runB();
          } else {
            await runB();
            await runA();
          }
        }
        const after = { in: inProcess.stats(), srv: served.stats() };
        const meanBatch = (x: { batches: number; batchedRequests: number }, y: { batches: number; batchedRequests: number }) => Math.round(((y.batchedRequests - x.batchedRequests) / Math.max(1, y.batches - x.batches)) * 10) / 10;
        const inP = summarise(a);
        const srv = summarise(b);
        results.push({
          clients,
          rounds,
          inProcess: { ...inP, meanBatch: meanBatch(before.in, after.in) },
          server: { ...srv, meanBatch: meanBatch(before.srv, after.srv) },
          serverToInProcess: Math.round((srv.tokensPerSec / inP.tokensPerSec) * 1000) / 1000,
        });
      }
    } finally {
      await server.close();
      await backend.close?.();
    }
    const at32 = results.find((r) => r.clients === 32) as { serverToInProcess: number } | undefined;
    return {
      benchmark: 'serve',
      model: backend.id,
      requestsPerLevel: total,
      maxTokens,
      scheduler: sched,
      levels: results,
      target: { clients: 32, minRatio: 0.8, ratio: at32?.serverToInProcess ?? null, met: at32 ? at32.serverToInProcess >= 0.8 : null },
      note: 'one shared 2-core machine: figures are noisy; compare the two paths of the same run',
    };
  },
  format(r) {
    const lines = [`bench serve: ${r.model}, ${r.requestsPerLevel} requests/level, max_tokens ${r.maxTokens}`, 'clients  path        tok/s     p50 ms   p99 ms'];
    for (const l of r.levels as { clients: number; inProcess: PathResult; server: PathResult; serverToInProcess: number }[]) {
      for (const [name, p] of [['in-process', l.inProcess], ['server', l.server]] as const) lines.push(`${String(l.clients).padStart(7)}  ${name.padEnd(10)} ${p.tokensPerSec.toFixed(0).padStart(7)} ${p.p50Ms.toFixed(1).padStart(9)} ${p.p99Ms.toFixed(1).padStart(8)}`);
      lines.push(`         server / in-process: ${l.serverToInProcess.toFixed(3)}`);
    }
    const t = r.target as { ratio: number | null; met: boolean | null };
    lines.push(`target server >= 0.8x in-process at 32 clients: ${t.met === null ? 'not measured' : t.met ? `met (${t.ratio})` : `NOT met (${t.ratio})`}`);
    return lines.join('\n');
  },
};
