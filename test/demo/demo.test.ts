/**
 * The main job at reduced size: the documented recipe trains a (tiny, few-step) SFT checkpoint,
 * and `rlmkit demo --quick` runs every stage from it — GRPO, value model, RL-vs-SFT, every search
 * strategy — and writes summary.json and report.html. The full-size figures are measured by
 * `rlmkit demo` itself, not here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';

const SMALL_MODEL = ['model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64'];

describe('rlmkit demo (reduced size)', () => {
  it('reproduces a checkpoint with the recipe and runs every stage from it', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-demo-'));
    const train = await runCliAsync([
      'train',
      '--config',
      'recipes/game24-sft.yaml',
      '--quiet',
      '--set',
      `run.root=${root}`,
      ...['sft.steps=3', 'sft.batch_size=8', ...SMALL_MODEL].flatMap((s) => ['--set', s]),
    ]);
    expect(train.code, train.stderr).toBe(0);
    const checkpoint = JSON.parse(train.stdout.trim().split('\n').pop()!).checkpoints.policy as string;
    expect(fs.existsSync(checkpoint)).toBe(true);

    const sets = [`checkpoint=${checkpoint}`, `run.root=${root}`, 'eval.limit=3', 'eval.samples=1'];
    const demo = await runCliAsync(['demo', '--quick', ...sets.flatMap((s) => ['--set', s])]);
    expect(demo.code, demo.stderr).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(root, 'demo-quick', 'summary.json'), 'utf8'));
    expect(summary.puzzles).toBe(3);
    expect(summary.groundTruthUsed).toBe(false);
    expect(summary.strategies.map((s: { name: string }) => s.name)).toEqual(['cot', 'best-of-n', 'beam', 'mcts', 'mcts', 'tot-dfs']);
    for (const s of summary.strategies) {
      expect(s.total).toBe(3);
      expect(s.solved).toBeGreaterThanOrEqual(0);
      expect(s.solved).toBeLessThanOrEqual(3);
      expect(s.ci95[0]).toBeLessThanOrEqual(s.rate);
      expect(s.ci95[1]).toBeGreaterThanOrEqual(s.rate);
      expect(s.meanTokens).toBeGreaterThan(0);
      expect(s.checksUsed).toContain('rule-check');
    }
    expect(summary.rlVsSft.map((c: { policy: string }) => c.policy)).toEqual(['sft', 'rl']);
    expect(Object.keys(summary.stageSeconds)).toEqual(['rl', 'value', 'rl-vs-sft', 'search']);
    // The table is printed, and the report holds the plots.
    expect(demo.stdout).toContain('model-free MCTS');
    const html = fs.readFileSync(path.join(root, 'demo-quick', 'report.html'), 'utf8');
    expect(html).toContain('Accuracy vs tokens');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    // One explored MCTS tree per outcome (with a 3-step model: at least the failed one).
    expect(html).not.toContain('no trees recorded');
    expect(fs.readdirSync(path.join(root, 'demo-quick', 'traces')).filter((f) => f.startsWith('mcts-')).length).toBeGreaterThanOrEqual(1);

    // Running it again with the same settings resumes (finished stages are not redone) ...
    const again = await runCliAsync(['demo', '--quick', ...sets.flatMap((s) => ['--set', s])]);
    expect(again.code, again.stderr).toBe(0);
    // ... and with different settings it refuses instead of overwriting.
    const other = await runCliAsync(['demo', '--quick', ...[...sets, 'rl.lr=0.001'].flatMap((s) => ['--set', s])]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/config differs/);
  }, 600_000);

  it('explains a missing starting checkpoint', async () => {
    const r = await runCliAsync(['demo', '--set', 'checkpoint=/nonexistent/policy.safetensors']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/starts from the SFT checkpoint .* which does not exist/);
    expect(r.stderr).toMatch(/rlmkit train --config recipes\/game24-sft.yaml/);
  });
});
