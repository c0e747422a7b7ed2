/**
 * Cancellation and deadlines inside searches (issue 13): a solve's abort signal reaches every
 * model call, lockstep's merged calls included, so a search stops within one model call; a
 * wall-time budget beyond Node's timer range works instead of throwing.
 */
import { describe, expect, it } from 'vitest';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { Lockstep } from '../../src/reasoning/lockstep.js';
import { solve, solveMany } from '../../src/reasoning/solve.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';
import { game24Task } from '../../src/tasks/games/game24.js';

const puzzle = {
  id: 'g/1',
  question: 'Use 4 4 6 8 and + - * / to make 24, each number exactly once.',
  data: { numbers: [4, 4, 6, 8], target: 24 },
};

/** Legal moves, each call taking `ms`; counts calls and the signals it was given. */
class SlowLegal extends LegalUniformPolicy {
  slowCalls = 0;
  signals: (AbortSignal | undefined)[] = [];
  constructor(readonly ms: number) {
    super(1);
  }
  override async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    this.slowCalls++;
    this.signals.push(o.signal);
    await new Promise((r) => setTimeout(r, this.ms));
    return super.generate(requests, o);
  }
}

describe('abort signals through searches', () => {
  it('a lockstep MCTS search stops within one model call of its abort, and merged calls carry a signal', async () => {
    const policy = new SlowLegal(20);
    const ctl = new AbortController();
    const problems = Array.from({ length: 3 }, (_, i) => ({ ...puzzle, id: `g/${i}` }));
    const run = solveMany(problems, {
      task: game24Task,
      strategy: 'mcts',
      settings: { simulations: 100000, children: 4, stop_when_solved: false, max_depth: 1000 },
      models: { policy },
      signal: ctl.signal,
    });
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    ctl.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(100);
    const calls = policy.slowCalls;
    await new Promise((r) => setTimeout(r, 100));
    expect(policy.slowCalls).toBeLessThanOrEqual(calls + 1);
    expect(policy.signals.every((s) => s !== undefined)).toBe(true);
  });

  it('a lane whose signal aborts is answered at once while the other lanes go on', async () => {
    const calls: GenerateOptions[] = [];
    const policy: Policy = {
      id: 'p',
      capabilities: { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 64 },
      async generate(requests, o = {}) {
        calls.push(o);
        await new Promise((r) => setTimeout(r, 30));
        return requests.map(() => [{ text: 'x', finishReason: 'stop' as const, usage: { promptTokens: 1, completionTokens: 1 } }]);
      },
    };
    const lock = new Lockstep({ policy });
    const a = lock.join();
    const b = lock.join();
    const ctlA = new AbortController();
    const ctlB = new AbortController();
    const pa = a.models.policy.generate([{ prompt: 'a' }], { signal: ctlA.signal });
    const pb = b.models.policy.generate([{ prompt: 'b' }], { signal: ctlB.signal });
    await new Promise((r) => setTimeout(r, 5));
    ctlA.abort();
    await expect(pa).rejects.toMatchObject({ name: 'AbortError' });
    expect((await pb)[0][0].text).toBe('x');
    // The merged call carried a signal that fires only when every lane in it has aborted.
    expect(calls[0].signal).toBeDefined();
    expect(calls[0].signal!.aborted).toBe(false);
    ctlB.abort();
    expect(calls[0].signal!.aborted).toBe(true);
    a.leave();
    b.leave();
  });

  it('a wall-time budget beyond the timer range (5e9 ms) runs instead of throwing (13.9)', async () => {
    const r = await solve(puzzle, {
      task: game24Task,
      strategy: 'cot',
      models: { policy: new LegalUniformPolicy(3) },
      budget: { wallMs: 5e9 },
    });
    expect(r.stopReason).toBe('done');
  });
});
