/**
 * The reward server: a Python client in OpenRLHF's and verl's shapes gets correct rewards for math,
 * code and Game of 24 samples, malformed batches get 4xx, limits hold, and the CLI starts and stops.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelError, resolveSample } from '../../src/serve/reward/labels.js';
import { RewardScorer } from '../../src/serve/reward/scorer.js';
import { type RunningRewardServer, startRewardServer } from '../../src/serve/reward/server.js';
import { repoRoot, runCli, tsxLoader } from '../helpers/cli.js';

function runPython(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('labels', () => {
  it('resolves each verifier from task names, verl data sources and JSON labels', () => {
    expect(resolveSample('openai/gsm8k', '72').problem.answer).toBe('72');
    expect(resolveSample('lighteval/MATH', 18).problem.answer).toBe('18');
    expect(resolveSample('math', '{1, 2}').problem.answer).toBe('{1, 2}'); // a set answer, not JSON
    expect(resolveSample('game24', '1 5 5 5').problem.data).toEqual({ numbers: [1, 5, 5, 5], target: 24 });
    expect(resolveSample('math', '{"task":"game24","numbers":[4,4,6,8]}').task.name).toBe('game24');
    expect(resolveSample('countdown', { target: 45, numbers: [25, 19, 7, 3, 1] }).problem.data).toEqual({
      numbers: [25, 19, 7, 3, 1],
      target: 45,
    });
    expect(resolveSample('countdown', '25 3 7 19 =83').problem.data).toEqual({ numbers: [25, 3, 7, 19], target: 83 });
    expect(resolveSample('humaneval', { entry_point: 'f', test: 'def check(candidate):\n  assert True\n' }).task.name).toBe('humaneval');
  });

  it('rejects malformed labels with a message', () => {
    expect(() => resolveSample('game24', '1 2 3')).toThrow(LabelError);
    expect(() => resolveSample('game24', 'a b c d')).toThrow(/whole numbers/);
    expect(() => resolveSample('countdown', { numbers: [1, 2] })).toThrow(/target/);
    expect(() => resolveSample('code', { test: 'assert 1', entry_point: 'f' })).toThrow(/check\(candidate\)/);
    expect(() => resolveSample('code', { test: 'def check(candidate): pass', entry_point: 'os.system' })).toThrow(/function name/);
    expect(() => resolveSample('math', '')).toThrow(/non-empty/);
    expect(() => resolveSample('nope', '1')).toThrow(/unknown task/);
  });
});

describe('scorer', () => {
  it('applies a reward recipe and its terms', async () => {
    const scorer = new RewardScorer({
      reward: {
        terms: [
          { type: 'correctness', onCorrect: 1, onWrong: -1 },
          { type: 'length', coef: 1, free: 0, scale: 100 },
        ],
      },
    });
    const [right, wrong] = await scorer.score([
      { source: 'game24', label: '4 4 6 8', response: '(4+8)*(6-4) = 24' },
      { source: 'game24', label: '4 4 6 8', response: '(4+8)*(6+4) = 24' },
    ]);
    // length: -coef * max(0, L - free) / scale with L in characters.
    expect(right.reward).toBeCloseTo(1 - '(4+8)*(6-4) = 24'.length / 100, 10);
    expect(wrong.reward).toBeCloseTo(-1 - '(4+8)*(6+4) = 24'.length / 100, 10);
    expect(right.terms).toHaveProperty('correctness', 1);
  });

  it('scores a sample past its time limit as wrong, with timedOut', async () => {
    const scorer = new RewardScorer({ sampleTimeoutMs: 300 });
    const label = { entry_point: 'f', test: 'def check(candidate):\n    assert candidate() == 1\n' };
    const [s] = await scorer.score([{ source: 'code', label, response: 'def f():\n    while True: pass\n' }]);
    expect(s).toMatchObject({ reward: 0, correct: false, timedOut: true });
  });
});

describe('HTTP', () => {
  let server: RunningRewardServer;
  beforeAll(async () => {
    server = await startRewardServer({ scorer: new RewardScorer(), port: 0, maxBodyBytes: 64 * 1024, maxBatch: 50 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('a Python client in the shapes of OpenRLHF and verl gets correct rewards; malformed batches get 4xx', async () => {
    // Asynchronous: the server runs in this process and must keep answering.
    const r = await runPython([path.join(repoRoot, 'test/serve/reward_client.py'), server.url]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.ok).toBe(true);
    expect(out.checked).toBeGreaterThan(20);
  });

  it('limits: body size 413, batch size 413, wrong method 405, unknown route 404', async () => {
    const big = await post(`${server.url}/get_reward`, { query: ['x'.repeat(70 * 1024)], labels: ['1'] });
    expect(big.status).toBe(413);
    const many = await post(`${server.url}/get_reward`, { query: Array(51).fill('1'), labels: Array(51).fill('1') });
    expect(many.status).toBe(413);
    expect((await fetch(`${server.url}/get_reward`)).status).toBe(405);
    expect((await post(`${server.url}/nope`, {})).status).toBe(404);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('fuzz: 120 malformed bodies all get 4xx JSON and the server keeps answering', async () => {
    const values: unknown[] = [null, 1, 'x', [], {}, [1], [null], ['a'], { a: 1 }, -1, true, '{"task":"game24"}'];
    const paths = ['/get_reward', '/compute_score', '/compute_score/batch'];
    let i = 0;
    for (let k = 0; k < 120; k++) {
      const v = () => values[(i = (i * 7 + 3 + k) % values.length)];
      const body =
        k % 10 === 0
          ? '{"query": ['
          : {
              query: v(),
              prompts: v(),
              labels: v(),
              data_source: v(),
              solution_str: v(),
              ground_truth: v(),
              data_sources: v(),
              solution_strs: v(),
              ground_truths: v(),
            };
      const res = await post(`${server.url}${paths[k % 3]}`, body);
      if (res.status === 200) continue; // a random body can be well-formed (e.g. one "a" scored against label "a")
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
      expect(((await res.json()) as { error: { message: unknown } }).error.message).toEqual(expect.any(String));
    }
    const ok = await post(`${server.url}/get_reward`, { query: ['\\boxed{2}'], labels: ['2'] });
    expect(await ok.json()).toMatchObject({ rewards: [1] });
  });
});

describe('CLI', () => {
  it('rlmkit reward-server listens, scores, and exits 0 after SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, path.join(repoRoot, 'src/cli/main.ts'), 'reward-server', '--port', '0', '--task', 'game24'],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reward-server did not start: ${stderr}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /"url":"([^"]+)"/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const res = await post(`${url}/get_reward`, {
      query: ['4 4 6 8|(4+8)*(6-4) = 24', '4 4 6 8|4*4+6+8 = 24'],
      prompts: ['4 4 6 8|', '4 4 6 8|'],
      labels: ['4 4 6 8', '4 4 6 8'],
    });
    expect(await res.json()).toMatchObject({ rewards: [1, 0] });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/reward server stopped/);
  });

  it('rejects an unknown --task and an unreadable --reward with exit 2', () => {
    expect(runCli(['reward-server', '--task', 'chess', '--port', '0']).code).toBe(2);
    const r = runCli(['reward-server', '--reward', '/nonexistent.yaml', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read --reward/);
  });
});
