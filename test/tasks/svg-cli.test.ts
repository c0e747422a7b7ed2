/**
 * `rlmkit bench render` as a user runs it: usage errors exit 2 with one message; a real run with a
 * (random, tiny) embedded policy on held-out svg-render targets prints one JSON object with the mean
 * IoU, its CI, the rendered and exact shares, and the paired difference to a baseline.
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { writeTinyCheckpoint } from '../models/embedded-fixture.js';

const chars = [...'0123456789 #./|<>"=svgiewBoxrctydhal'];
const a = writeTinyCheckpoint({ seed: 4, chars, config: { maxSeqLen: 160 } });
const b = writeTinyCheckpoint({ seed: 5, chars, config: { maxSeqLen: 160 }, dir: a.dir });
afterAll(() => fs.rmSync(a.dir, { recursive: true, force: true }));

describe('rlmkit bench render', () => {
  it('usage errors: no --model, a task that is not svg-render', async () => {
    const none = await runCliAsync(['bench', 'render']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs --model/);
    const task = await runCliAsync(['bench', 'render', '--model', `embedded:${a.file}`, '--task', 'game24']);
    expect(task.code).toBe(2);
    expect(task.stderr).toMatch(/svg-render task, not "game24"/);
  });

  it('measures a policy against a baseline on the same held-out targets', async () => {
    const r = await runCliAsync(
      ['bench', 'render', '--model', `embedded:${a.file}`, '--baseline', `embedded:${b.file}`, '--limit', '4', '--samples', '2', '--json'],
      { timeoutMs: 240_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.problems).toBe(4);
    for (const arm of [out.greedy, out.sampled, out.baseline.greedy, out.baseline.sampled]) {
      expect(arm.meanIoU.mean).toBeGreaterThanOrEqual(0);
      expect(arm.meanIoU.mean).toBeLessThanOrEqual(1);
      expect(arm.meanIoU.lo).toBeLessThanOrEqual(arm.meanIoU.hi);
      expect(arm.validRate).toBeGreaterThanOrEqual(0);
    }
    expect(out.paired.greedy.problems).toBe(4);
    expect(out.paired.greedy.better + out.paired.greedy.worse + out.paired.greedy.same).toBe(4);
  }, 300_000);
});
