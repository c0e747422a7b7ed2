/** The thread-count bandit: prefers the faster session and follows a change in speed. */
import { describe, expect, it } from 'vitest';
import type * as ort from 'onnxruntime-node';
import { AdaptiveSession } from '../../src/engine/onnx/adaptive-session.js';

/** A fake clock, and a stand-in session whose run advances it by `delay.ms` and counts its calls. */
const clock = { t: 0 };
function fakeSession(delay: { ms: number }) {
  const s = {
    calls: 0,
    run: async () => {
      s.calls++;
      clock.t += delay.ms;
      return {};
    },
    release: async () => undefined,
  };
  return s;
}

describe('AdaptiveSession', () => {
  it('uses the faster arm most of the time and switches when speeds change', async () => {
    const d1 = { ms: 1 };
    const d2 = { ms: 8 };
    const one = fakeSession(d1);
    const two = fakeSession(d2);
    const a = new AdaptiveSession(
      [
        { session: one as unknown as ort.InferenceSession, threads: 1 },
        { session: two as unknown as ort.InferenceSession, threads: 2 },
      ],
      () => clock.t,
    );
    for (let i = 0; i < 40; i++) await a.run({}, 1);
    expect(a.threads).toBe(1);
    expect(one.calls).toBeGreaterThan(30);
    expect(two.calls).toBeGreaterThanOrEqual(3); // tried, and retried now and then
    d1.ms = 12;
    d2.ms = 1;
    for (let i = 0; i < 200 && a.threads !== 2; i++) await a.run({}, 1);
    expect(a.threads).toBe(2);
    await a.release();
  });

  it('chooses separately for single rows and for large batches', async () => {
    // One thread: 1 ms per run whatever its size; two threads: 2 ms for one row, 0.5 ms for 64 rows.
    let units = 1;
    const one = {
      calls: 0,
      run: async () => {
        one.calls++;
        clock.t += 1;
        return {};
      },
      release: async () => undefined,
    };
    const two = {
      calls: 0,
      run: async () => {
        two.calls++;
        clock.t += units === 1 ? 2 : 0.5;
        return {};
      },
      release: async () => undefined,
    };
    const a = new AdaptiveSession(
      [
        { session: one as unknown as ort.InferenceSession, threads: 1 },
        { session: two as unknown as ort.InferenceSession, threads: 2 },
      ],
      () => clock.t,
    );
    for (let i = 0; i < 60; i++) {
      units = i % 2 === 0 ? 1 : 64;
      await a.run({}, units);
    }
    expect(a.threadsFor(1)).toBe(1);
    expect(a.threadsFor(64)).toBe(2);
    expect(a.threads).toBe(2); // the last run was a large one
  });

  it('tries both arms within the first runs of a size, so a rare big run still gets measured', async () => {
    // A size seen only a few times (a big prefill once per search): the arms alternate from the start.
    const one = fakeSession({ ms: 4 });
    const two = fakeSession({ ms: 1 });
    const a = new AdaptiveSession(
      [
        { session: one as unknown as ort.InferenceSession, threads: 1 },
        { session: two as unknown as ort.InferenceSession, threads: 2 },
      ],
      () => clock.t,
    );
    for (let i = 0; i < 4; i++) await a.run({}, 600);
    expect(one.calls).toBe(2);
    expect(two.calls).toBe(2);
    // Each arm's first run is untimed (it plans memory); after the second, the faster arm leads.
    expect(a.threadsFor(600)).toBe(2);
  });
});
