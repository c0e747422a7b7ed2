/**
 * Issue 13's server reproductions, each against `rlmkit serve` running the shipped Game of 24
 * checkpoint as a real subprocess: an abandoned huge MCTS search, 64 slow uploads, a huge plain
 * request next to a small one, SIGTERM with work in flight. Each failed before the fix (the search
 * ran on for minutes with inflight 1; the uploads held every slot; the small request got no
 * answer in 20 s; SIGTERM took 42 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_POLICY, health, postJson, slowUpload, startServeProcess, waitIdle, type ServeProcess } from './serve-process.js';
import { ABANDONED_SEARCH, UNCAPPED_SEARCH_FLAGS } from '../../src/serve/hostile-load.js';

const KEY = 'K';
/** The request, verbatim. */
const HUGE_MCTS = ABANDONED_SEARCH;
const HUGE_PLAIN = {
  model: 'g24',
  prompt: Array.from({ length: 256 }, (_, i) => `${(i % 13) + 1} 4 6 8|`),
  n: 128,
  max_tokens: 80,
  temperature: 1,
};
const SMALL = { model: 'g24', prompt: '4 4 6 8|', max_tokens: 20, temperature: 0 };

let s: ServeProcess;

beforeAll(async () => {
  // Limits raised so that the huge requests are admitted and the abort, fairness and shutdown
  // paths are what is tested (the default limits refuse them: see limits.test.ts).
  s = await startServeProcess([
    '--model',
    `g24=embedded:${SHIPPED_POLICY}`,
    '--api-key',
    KEY,
    ...UNCAPPED_SEARCH_FLAGS,
    '--max-request-tokens',
    '100000000',
    '--body-timeout-ms',
    '3000',
  ]);
}, 120_000);
afterAll(async () => {
  if (s && s.child.exitCode === null) await s.stop();
});

/** Starts a request and abandons it after `ms` (as `curl -m` does). */
function abandon(body: unknown, ms: number): Promise<unknown> {
  const ctl = new AbortController();
  const p = postJson(s.base, '/v1/completions', body, { key: KEY, signal: ctl.signal }).catch((e: Error) => e.name);
  setTimeout(() => ctl.abort(), ms);
  return p;
}

describe('hostile clients against rlmkit serve (issue 13)', () => {
  it('stops an abandoned huge MCTS search: inflight back to 0, plain completions answer (13.1)', async () => {
    const gone = abandon(HUGE_MCTS, 2500);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await health(s.base)).inflight).toBe(1);
    expect(await gone).toBe('AbortError');
    expect(await waitIdle(s.base, 5_000)).toBeLessThan(5_000);
    const small = await postJson(s.base, '/v1/completions', SMALL, { key: KEY });
    expect(small.status).toBe(200);
    expect(small.ms).toBeLessThan(2_000);
  }, 60_000);

  it('answers a small request while a huge one runs, and stops the huge one when abandoned (13.7)', async () => {
    const gone = abandon(HUGE_PLAIN, 8_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const small = await postJson(s.base, '/v1/completions', SMALL, { key: KEY });
    expect(small.status).toBe(200);
    expect(small.ms).toBeLessThan(3_000);
    const chat = await postJson(
      s.base,
      '/v1/chat/completions',
      { model: 'g24', messages: [{ role: 'user', content: '4 4 6 8|' }], max_tokens: 10, temperature: 0.5 },
      { key: KEY },
    );
    expect(chat.status).toBe(200);
    expect(chat.ms).toBeLessThan(3_000);
    expect(await gone).toBe('AbortError');
    expect(await waitIdle(s.base, 5_000)).toBeLessThan(5_000);
  }, 60_000);

  it('64 slow uploads take no request slot: others are answered, the uploads get 408 (13.4)', async () => {
    const uploads = await Promise.all(
      Array.from({ length: 64 }, () => slowUpload(s.port, '/v1/completions', { authorization: `Bearer ${KEY}` })),
    );
    try {
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: 8 }, () => postJson(s.base, '/v1/completions', SMALL, { key: KEY })));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(performance.now() - t0).toBeLessThan(3_000);
      // The body deadline (3 s here) ends every slow upload with a 408 and a closed connection.
      const lines = await Promise.all(uploads.map((u) => u.answer));
      expect(lines.every((l) => /^HTTP\/1\.1 408/.test(l))).toBe(true);
    } finally {
      for (const u of uploads) u.socket.destroy();
    }
  }, 60_000);

  it('exits promptly on SIGTERM after a client abandoned a huge search (13.1)', async () => {
    const gone = abandon(HUGE_MCTS, 2000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await gone).toBe('AbortError');
    const { code, ms } = await s.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
  }, 60_000);
});
