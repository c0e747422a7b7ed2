/**
 * `rlmkit bench rl --json` end to end at toy size: both arms run interleaved, every figure the
 * README reports is in the JSON (per-round ratios, load average, CPU-normalised ratio, paired
 * held-out difference over 200 puzzles), and bad flags are usage errors.
 */
import { describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';

describe('rlmkit bench rl', () => {
  it('--json: interleaved rounds, medians, load, CPU-normalised ratio, paired accuracy difference', async () => {
    const r = await runCliAsync(['bench', 'rl', '--json', '--steps', '2', '--prompts', '2', '--group', '2', '--repeats', '2'], {
      timeoutMs: 600_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.samples_per_arm).toBe(8);
    expect(d.rounds).toBe(2);
    for (const arm of ['sync', 'async']) {
      expect(d[arm].runs.map((x: { round: number }) => x.round)).toEqual([1, 2]);
      for (const run of d[arm].runs) {
        expect(run.samples).toBe(8);
        expect(run.cpu_s).toBeGreaterThan(0);
        expect(run.samples_per_cpu_s).toBeCloseTo(run.samples / run.cpu_s, 1);
        expect(run.load_average_1min).toBeGreaterThanOrEqual(0);
      }
    }
    expect(d.sync.staleness).toBe(0);
    expect(d.async.staleness).toBe(1);
    expect(d.async.segmentTokens).toBe(64); // the longest answer by default
    expect(d.throughput_ratio_per_round).toHaveLength(2);
    const ratios = d.sync.runs.map((s: { samples_per_s: number }, i: number) => d.async.runs[i].samples_per_s / s.samples_per_s);
    expect(d.throughput_ratio_async_to_sync).toBeCloseTo((ratios[0] + ratios[1]) / 2, 2);
    expect(d.accuracy_difference_async_minus_sync.problems).toBe(200);
    expect(d.load_average_1min.min).toBeLessThanOrEqual(d.load_average_1min.max);
    // the sync arm's rows are all on-policy: the rollout thread never runs the proximal forward for them
    expect(d.sync.runs.every((x: { max_staleness: number }) => x.max_staleness === 0)).toBe(true);
  }, 900_000);

  it('bad flags exit 2 with a message', async () => {
    const r = await runCliAsync(['bench', 'rl', '--rollout-nice', '25']);
    expect(r.code).toBe(2);
    const t = await runCliAsync(['bench', 'rl', '--rollout-threads', 'many']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--rollout-threads must be "auto" or a whole number/);
  }, 120_000);
});
