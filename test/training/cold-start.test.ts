/**
 * The cold-start comparison at toy size: three arms at one step budget from one random
 * initialisation, each scored on the test split, sft-grpo paired against the others.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runColdStart } from '../../src/training/cold-start.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-cold-start-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('cold start (toy size)', () => {
  it('runs sft-only, rl-only and sft-grpo at one budget and compares them on the same problems', async () => {
    const r = (await runColdStart({
      sftConfig: 'recipes/game24-sft.yaml',
      rlConfig: 'recipes/game24-grpo.yaml',
      sftSets: ['sft.batch_size=4', 'model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64', 'sft.optim.warmup_steps=0'],
      rlSets: [
        'rl.prompts_per_step=2',
        'rl.group_size=2',
        'rl.mini_batches=1',
        'rl.rollout.max_new_tokens=24',
        'rl.eval_problems=0',
        'checkpoint_every=2',
      ],
      budget: 4,
      sftShare: 0.5,
      root,
      evalProblems: 3,
      samples: 2,
      progress: 'silent',
    })) as {
      arms: Record<string, { sft_steps: number; rl_steps: number; greedy_accuracy: number; runs: string[] }>;
      sft_grpo_minus_sft_only: { greedy: { problems: number } };
    };
    expect(Object.keys(r.arms)).toEqual(['sft-only', 'rl-only', 'sft-grpo']);
    expect(r.arms['sft-only']).toMatchObject({ sft_steps: 4, rl_steps: 0 });
    expect(r.arms['rl-only']).toMatchObject({ sft_steps: 0, rl_steps: 4 });
    expect(r.arms['sft-grpo']).toMatchObject({ sft_steps: 2, rl_steps: 2 });
    expect(r.arms['sft-grpo'].runs).toHaveLength(2);
    for (const a of Object.values(r.arms)) expect(a.greedy_accuracy).toBeGreaterThanOrEqual(0);
    expect(r.sft_grpo_minus_sft_only.greedy.problems).toBe(3);
    expect(fs.existsSync(path.join(root, 'cold-start.json'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'init', 'policy.safetensors'))).toBe(true);
  }, 600_000);

  it('refuses a share that leaves a stage empty', async () => {
    await expect(
      runColdStart({
        sftConfig: 'recipes/game24-sft.yaml',
        rlConfig: 'recipes/game24-grpo.yaml',
        budget: 2,
        sftShare: 0.9,
        root,
        evalProblems: 1,
        samples: 1,
      }),
    ).rejects.toThrow(/no room for both stages/);
  });
});
