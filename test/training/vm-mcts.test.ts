/**
 * ReST-RL's VM-MCTS at toy size through the CLI (recipes/game24-vm-mcts.yaml): MCTS traces of the
 * shipped Game of 24 policy, a value model trained on their q values, and MCTS decoding guided by it
 * in `rlmkit eval --value`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-vm-mcts-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const policy = 'embedded:checkpoints/game24-sft/policy.safetensors';

describe('VM-MCTS (toy size)', () => {
  it('traces -> value model -> value-guided MCTS in rlmkit eval', async () => {
    const traces = path.join(root, 'traces');
    const solve = await runCliAsync(
      [
        'solve',
        '--task',
        'game24',
        '--split',
        'train',
        '--limit',
        '2',
        '--strategy',
        'mcts',
        '--set',
        'simulations=4',
        '--model',
        policy,
        '--trace',
        path.join(traces, 't.json'),
        '--no-tree',
      ],
      { timeoutMs: 240_000 },
    );
    expect(solve.code, solve.stderr).toBe(0);
    expect(fs.readdirSync(traces).sort()).toEqual(['t-0.json', 't-1.json']);

    const train = await runCliAsync(
      [
        'train',
        '--config',
        'recipes/game24-vm-mcts.yaml',
        '--run',
        'vm',
        '--quiet',
        ...['run.root=' + root, 'value.traces=' + traces, 'value.steps=3', 'value.batch_size=8'].flatMap((s) => ['--set', s]),
      ],
      { timeoutMs: 240_000 },
    );
    expect(train.code, train.stderr).toBe(0);
    const final = JSON.parse(fs.readFileSync(path.join(root, 'vm', 'checkpoints', 'final.json'), 'utf8')) as Record<string, string>;
    const valueFile = path.resolve(path.join(root, 'vm', 'checkpoints'), final.value);
    expect(fs.existsSync(valueFile)).toBe(true);

    const out = path.join(root, 'eval.json');
    const ev = await runCliAsync(
      [
        'eval',
        '--task',
        'game24',
        '--strategy',
        'mcts',
        '--set',
        'simulations=4',
        '--style',
        'plain',
        '--limit',
        '2',
        '--model',
        policy,
        '--value',
        `embedded:${valueFile}`,
        '--out',
        out,
      ],
      { timeoutMs: 240_000 },
    );
    expect(ev.code, ev.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { problems: number; strategy: string };
    expect(report).toMatchObject({ problems: 2, strategy: 'mcts' });

    const noHead = await runCliAsync([
      'eval',
      '--task',
      'game24',
      '--strategy',
      'mcts',
      '--limit',
      '1',
      '--model',
      policy,
      '--value',
      policy,
      '--out',
      out,
    ]);
    expect(noHead.code).toBe(2);
    expect(noHead.stderr).not.toMatch(/\n\s+at /);
  }, 600_000);
});
