/**
 * `rlmkit bench rl --json` end to end at toy size: both arms run interleaved, every figure the
 * README reports is in the JSON (per-round ratios, load average, CPU-normalised ratio, paired
 * held-out difference over 200 puzzles), and bad flags are usage errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/engine/index.js';
import { countdownTask } from '../../src/tasks/games/countdown.js';
import { startingModel } from '../../src/training/models.js';
import { tokenizerForTask } from '../../src/training/tasks.js';
import { runCliAsync } from '../helpers/cli.js';

describe('rlmkit bench rl', () => {
  it('--json: interleaved rounds, medians, load, CPU-normalised ratio, paired accuracy difference', async () => {
    const r = await runCliAsync(
      ['bench', 'rl', '--json', '--task', 'game24', '--steps', '2', '--prompts', '2', '--group', '2', '--repeats', '2'],
      { timeoutMs: 600_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    // every setting is in the report, with the command that repeats the run (also printed first)
    expect(d.settings.task).toBe('game24');
    expect(d.settings.command).toMatch(/--task game24 .*--steps 2 --prompts 2 --group 2 .*--max-new-tokens 64 .*--proximal current/);
    expect(r.stderr).toContain(d.settings.command);
    expect(d.settings.rl_section.policy_loss).toMatchObject({ name: 'decoupled', proximal: 'current' });
    expect(d.settings.rl_section.prompts_per_step).toBe(2);
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

  it('--task countdown from a Countdown policy: its 500 test problems are the held-out set', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-bench-rl-'));
    try {
      const problems = await countdownTask.problems({ split: 'train', limit: 200 });
      const tok = tokenizerForTask(countdownTask as never, problems, 1, ['?']);
      const m = startingModel(
        { preset: 'tiny', init: null, d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 96 } as never,
        tok,
        3,
      );
      const file = path.join(dir, 'countdown.safetensors');
      saveCheckpoint(file, { kind: 'policy', config: m.config, tokenizer: m.tokenizer.spec(), step: 0, extra: { bos: true } }, m.weights);
      const argv = ['bench', 'rl', '--json', '--checkpoint', file, '--steps', '2', '--prompts', '2', '--group', '2', '--repeats', '1'];
      const r = await runCliAsync([...argv, '--proximal', 'recompute', '--trainer-workers', '1'], { timeoutMs: 600_000 });
      expect(r.code, r.stderr).toBe(0);
      const d = JSON.parse(r.stdout);
      expect(d.task).toBe('countdown');
      expect(d.heldout_problems).toBe(500);
      expect(d.accuracy_difference_async_minus_sync.problems).toBe(500);
      expect(d.settings.command).toContain('--task countdown');
      expect(d.settings.command).toContain('--max-new-tokens 80');
      expect(d.settings.command).toContain('--trainer-workers 1');
      expect(d.settings.rl_section.policy_loss.proximal).toBe('recompute');
      expect(d.async.trainerWorkers).toBe(1);
      expect(d.sync.trainerWorkers).toBe('auto');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);

  it('bad flags exit 2 with a message', async () => {
    const r = await runCliAsync(['bench', 'rl', '--rollout-nice', '25']);
    expect(r.code).toBe(2);
    const t = await runCliAsync(['bench', 'rl', '--rollout-threads', 'many']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--rollout-threads must be "auto" or a whole number/);
    for (const [flag, value, message] of [
      ['--task', 'chess', /--task must be countdown or game24/],
      ['--proximal', 'old', /--proximal must be current or recompute/],
      ['--loss', 'ppo_clip', /--loss must be decoupled, tis or mis/],
      ['--trainer-workers', '0', /--trainer-workers must be "auto"/],
      ['--checkpoint', '/nonexistent/run', /no finished run or checkpoint/],
    ] as const) {
      const b = await runCliAsync(['bench', 'rl', flag, value]);
      expect(b.code, flag).toBe(2);
      expect(b.stderr, flag).toMatch(message);
    }
  }, 600_000);
});
