import { describe, expect, it } from 'vitest';
import { inputError } from '../../src/core/errors.js';
import { Scheduler } from '../../src/models/scheduler.js';
import { FlakyPolicy, ToyPolicy } from './fixtures.js';

describe('Scheduler batching', () => {
  it('merges concurrent calls from different callers into one backend batch', async () => {
    const toy = new ToyPolicy();
    const s = new Scheduler(toy, { maxWaitMs: 30 });
    const calls = Array.from({ length: 10 }, (_, i) =>
      s.generate([{ prompt: `p${i}` }], { temperature: 0, maxTokens: 5, caller: i % 2 ? 'mcts' : 'beam' }),
    );
    const out = await Promise.all(calls);
    expect(toy.batches).toEqual([10]);
    // Each caller still gets its own answer, the same as calling the backend alone.
    for (let i = 0; i < 10; i++)
      expect(out[i][0][0].text).toBe((await toy.generate([{ prompt: `p${i}` }], { temperature: 0, maxTokens: 5 }))[0][0].text);
    expect(s.usageOf('beam').calls).toBe(5);
    expect(s.usageOf('mcts').calls).toBe(5);
    expect(s.stats().largestBatch).toBe(10);
  });

  it('splits at maxBatch and keeps requests with different parameters apart', async () => {
    const toy = new ToyPolicy();
    const s = new Scheduler(toy, { maxWaitMs: 20, maxBatch: 4 });
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => s.generate([{ prompt: `a${i}` }], { temperature: 0, maxTokens: 4 })),
      ...Array.from({ length: 3 }, (_, i) => s.generate([{ prompt: `b${i}` }], { temperature: 0, maxTokens: 9 })),
    ]);
    expect([...toy.batches].sort()).toEqual([2, 3, 4]);
  });

  it('runs at most `concurrency` backend calls at once', async () => {
    let running = 0;
    let peak = 0;
    const toy = new ToyPolicy();
    const slow = {
      ...toy,
      id: 'slow',
      capabilities: toy.capabilities,
      generate: async (...a: Parameters<ToyPolicy['generate']>) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 15));
        running--;
        return toy.generate(...a);
      },
    };
    const s = new Scheduler(slow, { maxWaitMs: 0, concurrency: 2 });
    // Different maxTokens: eight groups that cannot share a batch.
    await Promise.all(Array.from({ length: 8 }, (_, i) => s.generate([{ prompt: `c${i}` }], { temperature: 0, maxTokens: i + 1 })));
    expect(peak).toBe(2);
    expect(s.stats().batches).toBe(8);
  });

  it('accounts the wall time of backend calls (backendBusyMs)', async () => {
    const toy = new ToyPolicy();
    const slow = {
      ...toy,
      id: 'slow',
      capabilities: toy.capabilities,
      generate: async (...a: Parameters<ToyPolicy['generate']>) => {
        await new Promise((r) => setTimeout(r, 20));
        return toy.generate(...a);
      },
    };
    const s = new Scheduler(slow, { maxWaitMs: 0, concurrency: 2 });
    const t0 = performance.now();
    // Four groups that cannot share a batch, two at a time: about 4 x 20 ms of calls in 40 ms.
    await Promise.all(Array.from({ length: 4 }, (_, i) => s.generate([{ prompt: `d${i}` }], { temperature: 0, maxTokens: i + 1 })));
    const elapsed = performance.now() - t0;
    const busy = s.stats().backendBusyMs;
    expect(busy).toBeGreaterThanOrEqual(4 * 19);
    expect(busy).toBeLessThanOrEqual(2 * elapsed + 1);
  });

  it('never makes a lone caller wait for a crowd', async () => {
    const toy = new ToyPolicy('lone', 5);
    const s = new Scheduler(toy, { maxWaitMs: 1, maxFillWaitMs: 3000 });
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await s.generate([{ prompt: `alone ${i}` }], { temperature: 0 });
      // Far below the 3 s fill wait, whatever the machine's load.
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });

  it('waits for the usual number of callers once batches have formed', async () => {
    const toy = new ToyPolicy('adaptive', 40);
    const s = new Scheduler(toy, { maxWaitMs: 1, maxFillWaitMs: 150 });
    // Six callers whose requests arrive spread over ~20 ms, as through a network stack.
    const round = () =>
      Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          new Promise((r) => setTimeout(r, i * 4)).then(() => s.generate([{ prompt: `w${i}` }], { temperature: 0 })),
        ),
      );
    await round();
    // Cold: the first arrivals went ahead and the rest queued behind them (two batches).
    expect(toy.batches.length).toBe(2);
    expect(toy.batches[0]).toBeLessThan(6);
    await round();
    // Warm: the scheduler waited for the crowd instead of sending the first arrival alone.
    expect(toy.batches[2]).toBeGreaterThanOrEqual(5);
  });

  it('repeats requests when the backend has no native n, with distinct seeds', async () => {
    const toy = new ToyPolicy('no-n', 0, false);
    const s = new Scheduler(toy, { maxWaitMs: 5 });
    const [[a, b, c]] = await s.generate([{ prompt: 'x' }], { n: 3, temperature: 1, seed: 3, maxTokens: 12 });
    expect(new Set([a.text, b.text, c.text]).size).toBeGreaterThan(1);
  });
});

describe('Scheduler failures', () => {
  it('retries a failing backend with backoff and then succeeds', async () => {
    const flaky = new FlakyPolicy(2);
    const s = new Scheduler(flaky, { maxWaitMs: 0, retries: 3, backoffMs: 5 });
    const [[c]] = await s.generate([{ prompt: 'r' }], { temperature: 0, maxTokens: 3 });
    expect(c.text.length).toBeGreaterThanOrEqual(0);
    expect(flaky.calls).toBe(3);
    expect(s.stats().retries).toBe(2);
  });

  it('times out a hanging backend, retries, and reports the timeout when retries run out', async () => {
    const hang = new FlakyPolicy(1, 'hang');
    const s = new Scheduler(hang, { maxWaitMs: 0, timeoutMs: 40, retries: 1, backoffMs: 1 });
    const [[c]] = await s.generate([{ prompt: 't' }], { temperature: 0, maxTokens: 3 });
    expect(c.finishReason).toBeDefined();
    expect(hang.calls).toBe(2);
    const always = new FlakyPolicy(99, 'hang');
    const s2 = new Scheduler(always, { maxWaitMs: 0, timeoutMs: 30, retries: 2, backoffMs: 1 });
    const t0 = Date.now();
    await expect(s2.generate([{ prompt: 't' }], { caller: 'x' })).rejects.toThrow(/did not answer within 30 ms/);
    expect(always.calls).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(85);
    expect(s2.usageOf('x').errors).toBe(1);
  });

  it('does not retry a request the backend rejects as malformed', async () => {
    const bad = new FlakyPolicy(5, 'throw', () => inputError('prompt has a character the model cannot encode'));
    const s = new Scheduler(bad, { maxWaitMs: 0, retries: 3, backoffMs: 1 });
    await expect(s.generate([{ prompt: 'z' }])).rejects.toThrow(/cannot encode/);
    expect(bad.calls).toBe(1);
  });

  it('rejects bad options up front as usage errors', async () => {
    const s = new Scheduler(new ToyPolicy());
    await expect(s.generate([{ prompt: 'x' }], { n: 0 })).rejects.toThrow(/n must be a positive integer/);
    await expect(s.generate([{ prompt: 'x' }], { maxTokens: -1 })).rejects.toThrow(/maxTokens/);
    await expect(s.generate([{}], {})).rejects.toThrow(/exactly one of prompt and messages/);
  });

  it('lets a caller cancel a request that is still waiting for its batch', async () => {
    const toy = new ToyPolicy();
    const s = new Scheduler(toy, { maxWaitMs: 50 });
    const ctl = new AbortController();
    const p = s.generate([{ prompt: 'cancel me' }], { signal: ctl.signal });
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 70));
    expect(toy.calls).toBe(0);
  });
});

describe('Scheduler cache and usage', () => {
  it('caches greedy and seeded requests but never unseeded samples', async () => {
    const toy = new ToyPolicy();
    const s = new Scheduler(toy, { maxWaitMs: 0, cache: true });
    const a = await s.generate([{ prompt: 'g' }], { temperature: 0, maxTokens: 6, caller: 'c' });
    const b = await s.generate([{ prompt: 'g' }], { temperature: 0, maxTokens: 6, caller: 'c' });
    expect(b).toEqual(a);
    expect(toy.calls).toBe(1);
    await s.generate([{ prompt: 'g' }], { temperature: 0.8, seed: 4 });
    await s.generate([{ prompt: 'g' }], { temperature: 0.8, seed: 4 });
    expect(toy.calls).toBe(2);
    await s.generate([{ prompt: 'g' }], { temperature: 0.8 });
    await s.generate([{ prompt: 'g' }], { temperature: 0.8 });
    expect(toy.calls).toBe(4);
    // A different parameter is a different key.
    await s.generate([{ prompt: 'g' }], { temperature: 0, maxTokens: 7 });
    expect(toy.calls).toBe(5);
    const u = s.usageOf('c');
    expect(u.calls).toBe(2);
    expect(u.cacheHits).toBe(1);
    expect(u.promptTokens).toBe(2);
    expect(u.completionTokens).toBe(2 * a[0][0].usage.completionTokens);
    expect(u.wallMs).toBeGreaterThan(0);
  });

  it('keeps seeded sampling reproducible whatever else is in flight', async () => {
    const toy = new ToyPolicy();
    const s = new Scheduler(toy, { maxWaitMs: 10 });
    const alone = await s.generate([{ prompt: 'seeded' }], { temperature: 1, seed: 9, n: 2, maxTokens: 10 });
    const [crowded] = await Promise.all([
      s.generate([{ prompt: 'seeded' }], { temperature: 1, seed: 9, n: 2, maxTokens: 10 }),
      s.generate([{ prompt: 'other' }], { temperature: 1, seed: 9, n: 2, maxTokens: 10 }),
    ]);
    expect(crowded).toEqual(alone);
    expect(toy.batches.every((b) => b === 1)).toBe(true);
  });
});
