import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../src/reasoning/tracer.js';
import { runCliAsync } from '../helpers/cli.js';

describe('rlmkit solve / strategies', () => {
  it("lists strategies and one strategy's settings", async () => {
    const all = await runCliAsync(['strategies', '--json']);
    expect(all.code).toBe(0);
    const list = JSON.parse(all.stdout) as { name: string; settings: { name: string; type: string; default: unknown }[] }[];
    expect(list.map((s) => s.name)).toEqual(
      expect.arrayContaining(['cot', 'best-of-n', 'self-consistency', 'beam', 'dvts', 'mcts', 'tot-bfs', 'tot-dfs', 'got', 'llama-berry']),
    );
    expect(list.find((s) => s.name === 'mcts')!.settings.find((x) => x.name === 'simulations')).toEqual({
      name: 'simulations',
      type: 'integer',
      default: 64,
    });
  });

  it('solves Game of 24 with the model-free policy, prints answer, usage and tree, writes a valid trace', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-solve-'));
    const trace = path.join(dir, 't.json');
    const r = await runCliAsync([
      'solve',
      '--task',
      'game24',
      '--strategy',
      'tot-dfs',
      '--model',
      'legal-uniform',
      '--problem',
      '4 4 6 8',
      '--trace',
      trace,
      '--set',
      'k=8',
      '--max-lines',
      '20',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/answer\s+.*✓ correct/);
    expect(r.stdout).toMatch(/usage\s+tokens \d+/);
    expect(r.stdout).toMatch(/\*n0 \(root\)/);
    const t = readTrace(trace);
    expect(t.final.correct).toBe(true);
    expect(t.usedGroundTruth).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops at a budget and reports it; bad input is a one-line usage error', async () => {
    const r = await runCliAsync([
      'solve',
      '--task',
      'game24',
      '--strategy',
      'mcts',
      '--model',
      'random',
      '--problem',
      '1 1 4 6',
      '--budget-calls',
      '3',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { stopReason: string; usage: { calls: number } };
    expect(out.usage.calls).toBeLessThanOrEqual(3);
    expect(out.stopReason).toBe('budget:calls');
    const bad = await runCliAsync([
      'solve',
      '--task',
      'game24',
      '--strategy',
      'mcts',
      '--model',
      'random',
      '--problem',
      '4 4 6 8',
      '--set',
      'simulations=-1',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rlmkit: error: invalid settings for strategy mcts: simulations/);
    expect(bad.stderr).not.toMatch(/at .*\.ts/);
  });
});
