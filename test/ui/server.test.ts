/**
 * The explorer's HTTP API over a real runs folder, on a real loopback server: listings, live
 * metrics over SSE (appends, a resume's rewrite, unreadable lines), trace validation with readable
 * 4xx messages, the playground through the library's solve, and the hardening (paths, Host,
 * Origin, content type, body size, API key, CLI refusals).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateTrace, writeTrace } from '../../src/reasoning/tracer.js';
import type { Trace } from '../../src/reasoning/trace.js';
import { startUiServer, type RunningUi } from '../../src/ui/server.js';
import { MetricsTail } from '../../src/ui/tail.js';
import { runCli } from '../helpers/cli.js';
import { makeTrace, waitFor } from './harness.js';

let root: string;
let ui: RunningUi;
let trace: Trace;

const line = (r: Record<string, unknown>) => JSON.stringify(r) + '\n';

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-ui-api-'));
  fs.mkdirSync(path.join(root, 'alpha', 'traces', 'iter0'), { recursive: true });
  fs.writeFileSync(path.join(root, 'alpha', 'config.yaml'), 'kind: train\nrun:\n  name: alpha\n');
  fs.writeFileSync(
    path.join(root, 'alpha', 'metrics.jsonl'),
    line({ phase: 'sft', step: 1, loss: 2 }) + 'not json\n' + line({ phase: 'sft', step: 2, loss: 1.5 }),
  );
  trace = await makeTrace({ problem: '4 4 6 8', strategy: 'tot-bfs' });
  writeTrace(path.join(root, 'alpha', 'traces', 'iter0', 'a.json'), trace);
  fs.writeFileSync(path.join(root, 'alpha', 'traces', 'foreign.json'), JSON.stringify({ hello: 'world' }));
  fs.mkdirSync(path.join(root, 'demo', 'rl'), { recursive: true });
  fs.writeFileSync(path.join(root, 'demo', 'summary.json'), '{}');
  fs.writeFileSync(path.join(root, 'demo', 'rl', 'metrics.jsonl'), line({ phase: 'rl', step: 1, reward: 0.25 }));
  fs.mkdirSync(path.join(root, 'not-a-run'));
  ui = await startUiServer({ runsDir: root, port: 0, pollMs: 50 });
});

afterAll(async () => {
  await ui?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Responses whose JSON the tests read field by field. */
type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };
const get = (p: string, headers: Record<string, string> = {}) => fetch(`${ui.url}${p}`, { headers }) as Promise<JsonResponse>;
const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${ui.url}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }) as Promise<JsonResponse>;

describe('runs', () => {
  it('lists run folders (nested phases too) with their phase and step, and skips other folders', async () => {
    const { runs } = await (await get('/api/runs')).json();
    const names = runs.map((r: { name: string }) => r.name).sort();
    expect(names).toEqual(['alpha', 'demo', 'demo/rl']);
    expect(runs.find((r: { name: string }) => r.name === 'alpha')).toMatchObject({ phase: 'sft', step: 2, records: 2, hasConfig: true });
  });

  it('gives the resolved config, traces and reports of a run', async () => {
    const d = await (await get('/api/runs/alpha')).json();
    expect(d.configText).toContain('name: alpha');
    expect(d.config).toEqual({ kind: 'train', run: { name: 'alpha' } });
    expect(d.traces.map((f: { path: string }) => f.path).sort()).toEqual(['traces/foreign.json', 'traces/iter0/a.json']);
    expect(d.files.map((f: { path: string }) => f.path)).toEqual([]);
    const nested = await (await get(`/api/runs/${encodeURIComponent('demo/rl')}/metrics`)).json();
    expect(nested.records).toHaveLength(1);
  });

  it('streams metrics: the file so far, then each appended record, then the whole file after a rewrite', async () => {
    const ac = new AbortController();
    const res = await fetch(`${ui.url}/api/runs/alpha/events`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let buf = '';
    const events: Array<{ event: string; data: any }> = [];
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += new TextDecoder().decode(value);
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          events.push({ event: ev, data: data ? JSON.parse(data) : null });
        }
      }
    })();
    await waitFor('the first reset', () => events.length >= 1);
    expect(events[0]).toEqual({
      event: 'reset',
      data: { records: [expect.objectContaining({ step: 1 }), expect.objectContaining({ step: 2 })], skipped: 1 },
    });
    const file = path.join(root, 'alpha', 'metrics.jsonl');
    // Half a line is not a record yet; its end makes it one.
    fs.appendFileSync(file, '{"phase":"sft","step":3,');
    fs.appendFileSync(file, '"loss":1.2}\n');
    await waitFor('an append', () => events.some((e) => e.event === 'append'));
    expect(events.filter((e) => e.event === 'append').flatMap((e) => e.data.records)).toEqual([{ phase: 'sft', step: 3, loss: 1.2 }]);
    // A resume drops records past its checkpoint by rewriting the file (atomic rename).
    fs.writeFileSync(file + '.new', line({ phase: 'sft', step: 1, loss: 2 }));
    fs.renameSync(file + '.new', file);
    await waitFor('a second reset', () => events.filter((e) => e.event === 'reset').length >= 2);
    expect(events.filter((e) => e.event === 'reset')[1].data.records).toEqual([{ phase: 'sft', step: 1, loss: 2 }]);
    ac.abort();
    await pump;
  });

  it('MetricsTail reads only complete lines and counts unreadable ones', () => {
    const file = path.join(root, 'tail.jsonl');
    const tail = new MetricsTail(file);
    expect(tail.poll()).toEqual({ kind: 'reset', records: [], skipped: 0 });
    expect(tail.poll()).toBeNull();
    fs.writeFileSync(file, line({ a: 1 }) + '[1,2]\n{"b":');
    expect(tail.poll()).toEqual({ kind: 'reset', records: [{ a: 1 }], skipped: 1 });
    fs.appendFileSync(file, '2}\n');
    expect(tail.poll()).toEqual({ kind: 'append', records: [{ b: 2 }], skipped: 0 });
    expect(tail.poll()).toBeNull();
  });
});

describe('traces', () => {
  it('serves a valid trace from a run, nested folders included', async () => {
    const r = await (await get(`/api/runs/alpha/trace?path=${encodeURIComponent('traces/iter0/a.json')}`)).json();
    expect(r.trace.nodes).toHaveLength(trace.nodes.length);
    expect(r.trace.final).toEqual(trace.final);
  });

  it('answers foreign, corrupt and truncated files with a readable 400', async () => {
    const foreign = await get('/api/runs/alpha/trace?path=traces%2Fforeign.json');
    expect(foreign.status).toBe(400);
    expect((await foreign.json()).error.message).toMatch(/traces\/foreign\.json is not a valid rlmkit trace: version/);
    const corrupt = await post('/api/trace', '{"version": 1, "nodes": [');
    expect(corrupt.status).toBe(400);
    expect((await corrupt.json()).error.message).toMatch(/^the file is not JSON/);
    const cut = { ...trace, nodes: trace.nodes.slice(0, 1) };
    const bad = await post('/api/trace', cut);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/not a valid rlmkit trace/);
    const ok = await post('/api/trace', trace);
    expect(ok.status).toBe(200);
  });

  it('never serves a file outside the run', async () => {
    for (const p of ['../alpha/config.yaml', '/etc/passwd', 'traces/../../demo/summary.json', '']) {
      const r = await get(`/api/runs/alpha/trace?path=${encodeURIComponent(p)}`);
      expect(r.status).toBe(400);
      expect((await r.json()).error.message).toMatch(/bad file path/);
    }
    fs.symlinkSync('/etc/hostname', path.join(root, 'alpha', 'traces', 'link.json'));
    const link = await get('/api/runs/alpha/trace?path=traces%2Flink.json');
    expect(link.status).toBe(400);
    expect((await link.json()).error.message).toMatch(/outside run "alpha"/);
    for (const name of ['..', 'a/b/c', '.hidden'])
      expect((await get(`/api/runs/${encodeURIComponent(name)}`)).status).toBeGreaterThanOrEqual(400);
    expect((await get('/api/runs/nope')).status).toBe(404);
  });
});

describe('playground', () => {
  it('runs the library solve and streams the finished trace; saves it into the runs folder', async () => {
    const start = await post('/api/playground', { task: 'game24', problem: '1 2 3 4', strategy: 'mcts', model: 'legal-uniform' });
    expect(start.status).toBe(200);
    const { id } = await start.json();
    const text = await (await get(`/api/playground/${id}/events`)).text();
    const done = JSON.parse(/event: done\ndata: (.*)\n/.exec(text)![1]);
    const expected = await makeTrace({ problem: '1 2 3 4', strategy: 'mcts' });
    expect(done.answer).toBe(expected.final.answer);
    expect(done.trace.nodes.length).toBe(expected.nodes.length);
    const saved = await (await post(`/api/playground/${id}/save`, {})).json();
    expect(fs.existsSync(path.join(root, saved.run, saved.path))).toBe(true);
  });

  it('streams the tree as it grows with a real model (the shipped embedded Game of 24 policy)', async () => {
    const { models } = await (await get('/api/playground/catalog')).json();
    const embedded = models.find((m: string) => m.startsWith('embedded:'));
    expect(embedded).toMatch(/checkpoints\/game24-sft\/policy\.safetensors$/);
    const { id } = await (
      await post('/api/playground', {
        task: 'game24',
        problem: '4 4 6 8',
        strategy: 'mcts',
        model: embedded,
        settings: { simulations: 16 },
      })
    ).json();
    const text = await (await get(`/api/playground/${id}/events`)).text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]) }));
    const snapshots = events.filter((e) => e.event === 'snapshot').map((e) => validateTrace(e.data.trace));
    const done = events.find((e) => e.event === 'done')!;
    expect(snapshots.length).toBeGreaterThan(0);
    const sizes = [...snapshots.map((t) => t.nodes.length), done.data.trace.nodes.length];
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(snapshots.every((t) => t.final.stopReason === 'running')).toBe(true);
    expect(validateTrace(done.data.trace).final.answer).toBe(done.data.answer);
    expect(done.data.trace.models.policy).toContain('policy.safetensors');
  });

  it('refuses bad requests with the reason', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ task: 'game24', strategy: 'mcts' }, /model/],
      [{ task: 'nope', strategy: 'mcts', model: 'legal-uniform' }, /nope/],
      [{ task: 'game24', strategy: 'nope', model: 'legal-uniform' }, /nope/],
      [{ task: 'game24', strategy: 'mcts', model: 'legal-uniform', settings: { simulations: -1 } }, /simulations/],
      [{ task: 'game24', strategy: 'mcts', model: 'legal-uniform', problem: 'no-such-problem' }, /no problem "no-such-problem"/],
    ];
    for (const [body, msg] of cases) {
      const r = await post('/api/playground', body);
      expect(r.status).toBe(400);
      expect((await r.json()).error.message).toMatch(msg);
    }
    const model = await post('/api/playground', { task: 'game24', strategy: 'mcts', model: 'embedded:/nonexistent/policy.safetensors' });
    const { id } = await model.json();
    const text = await (await get(`/api/playground/${id}/events`)).text();
    expect(text).toMatch(/event: error\ndata: .*nonexistent/);
  });
});

describe('hardening', () => {
  it('refuses other Host names on loopback, cross-origin writes, non-JSON bodies and big bodies', async () => {
    // fetch() cannot set Host; a raw request can, as a rebinding page's browser would send it.
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get(`${ui.url}/api/runs`, { headers: { host: 'attacker.example' } }, (res) => (res.resume(), resolve(res.statusCode!)))
        .on('error', reject),
    );
    expect(status).toBe(403);
    expect((await post('/api/trace', trace, { origin: 'http://attacker.example' })).status).toBe(403);
    const plain = await fetch(`${ui.url}/api/trace`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(plain.status).toBe(400);
    const small = await startUiServer({ runsDir: root, port: 0, maxBodyBytes: 1024 });
    try {
      const big = await fetch(`${small.url}/api/trace`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(trace),
      });
      expect(big.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('with an API key, every route needs it; ?token= sets a cookie', async () => {
    const locked = await startUiServer({ runsDir: root, port: 0, apiKey: 's3cret' });
    try {
      expect((await fetch(`${locked.url}/api/runs`)).status).toBe(401);
      expect((await fetch(`${locked.url}/`)).status).toBe(401);
      expect((await fetch(`${locked.url}/api/runs`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${locked.url}/api/runs`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
      const login = await fetch(`${locked.url}/?token=s3cret`, { redirect: 'manual' });
      expect(login.status).toBe(302);
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect((await fetch(`${locked.url}/api/runs`, { headers: { cookie: cookie.split(';')[0] } })).status).toBe(200);
    } finally {
      await locked.close();
    }
  });

  it('the CLI refuses to serve beyond loopback without a key, and bad options, with exit 2', () => {
    const open = runCli(['ui', '--runs', root, '--host', '0.0.0.0', '--port', '0'], { env: { RLMKIT_UI_API_KEY: '' } });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/needs an API key/);
    const file = path.join(root, 'demo', 'summary.json');
    const notDir = runCli(['ui', '--runs', file, '--port', '0']);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toMatch(/is not a folder/);
    expect(runCli(['ui', '--port', 'abc']).code).toBe(2);
  });
});
