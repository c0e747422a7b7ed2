/**
 * The scheduler as a shared server resource (issue 13): fair turns between flows, cancellation
 * that removes waiting requests and aborts running backend calls nobody waits for, fresh seeds for
 * unseeded sampling (issue 15), and subnormal temperatures sampled greedily.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/models/scheduler.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';
import { ToyPolicy } from './fixtures.js';

/** A backend that records when each batch started and which prompts it held. */
class Recording extends ToyPolicy {
  readonly log: string[][] = [];
  override async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    this.log.push(requests.map((r) => r.prompt ?? ''));
    return super.generate(requests, o);
  }
}

describe('fair scheduling between flows', () => {
  it("a small request waits for the running batch only, not behind another flow's whole queue", async () => {
    const backend = new Recording('rec', 10, true, 4);
    const s = new Scheduler(backend, { maxBatch: 4, concurrency: 1, maxWaitMs: 0 });
    const big = s.generate(
      Array.from({ length: 200 }, (_, i) => ({ prompt: `big${i}` })),
      { maxTokens: 2, temperature: 0, flow: 'big' },
    );
    await new Promise((r) => setTimeout(r, 25));
    const before = backend.log.length;
    await s.generate([{ prompt: 'small' }], { maxTokens: 2, temperature: 0, flow: 'small' });
    const at = backend.log.findIndex((b) => b.includes('small'));
    // It rides in the first batch cut after it arrived (one batch was running then).
    expect(at).toBeLessThanOrEqual(before + 1);
    expect((await big).length).toBe(200);
  });

  it('a flow with other sampling parameters gets the next turn too', async () => {
    const backend = new Recording('rec', 10, true, 4);
    const s = new Scheduler(backend, { maxBatch: 4, concurrency: 1, maxWaitMs: 0 });
    const big = s.generate(
      Array.from({ length: 200 }, (_, i) => ({ prompt: `big${i}` })),
      { maxTokens: 2, temperature: 1, flow: 'big' },
    );
    await new Promise((r) => setTimeout(r, 25));
    const before = backend.log.length;
    await s.generate([{ prompt: 'small' }], { maxTokens: 3, temperature: 0, flow: 'small' });
    expect(backend.log.findIndex((b) => b.includes('small'))).toBeLessThanOrEqual(before + 1);
    await big;
  });

  it('splits a request with more rows than a batch holds, and still returns all n', async () => {
    const backend = new ToyPolicy('rows', 0, true, 16);
    const s = new Scheduler(backend, { maxBatch: 4 });
    const [out] = await s.generate([{ prompt: 'p' }], { n: 40, maxTokens: 3, temperature: 1, seed: 3 });
    expect(out).toHaveLength(40);
    expect(Math.max(...backend.batches)).toBe(1);
    expect(backend.calls).toBe(3); // 16 + 16 + 8 rows
    // Seeded: the same request gives the same 40 samples again.
    const [again] = await s.generate([{ prompt: 'p' }], { n: 40, maxTokens: 3, temperature: 1, seed: 3 });
    expect(again.map((c) => c.text)).toEqual(out.map((c) => c.text));
  });
});

describe('cancellation', () => {
  it('an aborted call leaves the queue at once and its requests never reach the backend', async () => {
    const backend = new ToyPolicy('slow', 30, true, 2);
    const s = new Scheduler(backend, { maxBatch: 2, concurrency: 1, maxWaitMs: 0 });
    const ctl = new AbortController();
    const p = s.generate(
      Array.from({ length: 100 }, (_, i) => ({ prompt: `q${i}` })),
      { maxTokens: 2, signal: ctl.signal },
    );
    await new Promise((r) => setTimeout(r, 40));
    const t0 = performance.now();
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(20);
    await new Promise((r) => setTimeout(r, 100));
    expect(backend.calls).toBeLessThanOrEqual(3);
    expect(s.stats().pending).toBe(0);
  });

  it('a running backend call whose requests were all cancelled is aborted', async () => {
    let seen: AbortSignal | undefined;
    const hang: Policy = {
      id: 'hang',
      capabilities: { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 8 },
      generate: (_r, o) =>
        new Promise((_, reject) => {
          seen = o?.signal;
          o?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('stopped'), { name: 'AbortError' })));
        }),
    };
    const s = new Scheduler(hang, { retries: 0, timeoutMs: 0 });
    const ctl = new AbortController();
    const p = s.generate([{ prompt: 'x' }], { signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 20));
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen?.aborted).toBe(true);
  });
});

describe('sampling edge cases', () => {
  it('unseeded sampling differs between requests; seeded sampling repeats', async () => {
    const s = new Scheduler(new ToyPolicy('t'), {});
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) texts.push((await s.generate([{ prompt: 'same' }], { maxTokens: 12, temperature: 1 }))[0][0].text);
    expect(new Set(texts).size).toBeGreaterThan(1);
    const seeded = await Promise.all(
      Array.from(
        { length: 3 },
        async () => (await s.generate([{ prompt: 'same' }], { maxTokens: 12, temperature: 1, seed: 9 }))[0][0].text,
      ),
    );
    expect(new Set(seeded).size).toBe(1);
  });

  it('a subnormal temperature is sampled greedily', async () => {
    const backend = new ToyPolicy('t');
    const s = new Scheduler(backend, {});
    const [[a]] = await s.generate([{ prompt: 'z' }], { maxTokens: 8, temperature: 1e-320 });
    const [[b]] = await s.generate([{ prompt: 'z' }], { maxTokens: 8, temperature: 0 });
    expect(a.text).toBe(b.text);
  });
});

describe('usage accounting', () => {
  it('accounts at most 4096 distinct callers separately; the rest share "other"', async () => {
    const s = new Scheduler(new ToyPolicy('t'), { maxWaitMs: 0 });
    await Promise.all(
      Array.from({ length: 4200 }, (_, i) => s.generate([{ prompt: 'p' }], { maxTokens: 1, temperature: 0, caller: `user-${i}` })),
    );
    expect(s.usageOf('user-4095').calls).toBe(1);
    expect(s.usageOf('user-4096').calls).toBe(0);
    expect(s.usageOf('other').calls).toBe(104);
  });
});
