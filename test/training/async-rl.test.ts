/**
 * Asynchronous RL (src/training/async/async-rl.ts) on a tiny Game of 24 model: the staleness
 * bound holds, every token carries the policy version that produced it, generation is
 * interruptible (new weights take over mid-batch), eta = 0 is synchronous, and the decoupled
 * objective trains (weights move, metrics are finite).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/index.js';
import { LlamaModel, LogprobScorer } from '../../src/engine/index.js';
import { RolloutClient } from '../../src/training/async/rollout-client.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { Problem } from '../../src/tasks/types.js';
import { runAsyncRl } from '../../src/training/async/async-rl.js';
import type { LoadedModel } from '../../src/training/models.js';
import { RlSectionSchema } from '../../src/training/recipe.js';
import { resolveReward } from '../../src/training/rewards.js';
import { tinyGame24Start } from '../helpers/async-start.js';

let problems: Problem[];
let start: LoadedModel;

beforeAll(async () => {
  ({ problems, start } = await tinyGame24Start());
});

const rlOf = (extra: Record<string, unknown> = {}) =>
  validateConfig(
    RlSectionSchema,
    {
      steps: 4,
      prompts_per_step: 2,
      group_size: 4,
      mini_batches: 1,
      reward: 'format-verifier',
      eval_problems: 0,
      policy_loss: { name: 'decoupled' },
      rollout: { max_new_tokens: 24, temperature: 1 },
      ...extra,
    },
    'test',
  );

describe('asynchronous RL', () => {
  it('eta = 2 with 4-token segments: staleness within the bound, versions per token, weights move', async () => {
    const steps: Record<string, number>[] = [];
    const r = await runAsyncRl({
      phase: 'rl',
      task: game24Task as never,
      problems,
      start,
      rl: rlOf(),
      reward: resolveReward('format-verifier', game24Task as never),
      seed: 1,
      async: { staleness: 2, segmentTokens: 4 },
      onStep: (_s, m) => steps.push(m),
    });
    expect(r.steps).toBe(4);
    expect(r.samples).toBe(4 * 2 * 4);
    expect(r.maxStaleness).toBeLessThanOrEqual(2);
    for (const [i, s] of r.staleness.entries()) expect(s).toBeLessThanOrEqual(Math.min(2, i)); // step i+1 trains version i
    for (const m of steps) {
      expect(m.version_first).toBeLessThanOrEqual(m.version_last);
      expect(Number.isFinite(m.reward)).toBe(true);
    }
    // The first batches were submitted at version 0 (two ahead): later ones start on newer weights.
    expect(steps[0].version_first).toBe(0);
    expect(steps.at(-1)!.version_last).toBeGreaterThan(0);
    let moved = 0;
    for (const [name, w] of r.weights) moved += w.data.reduce((a, x, k) => a + Math.abs(x - start.weights.get(name)!.data[k]), 0);
    expect(moved).toBeGreaterThan(0);
  });

  it('eta = 0 is synchronous: every batch comes from the version it trains', async () => {
    const r = await runAsyncRl({
      phase: 'rl',
      task: game24Task as never,
      problems,
      start,
      rl: rlOf({ steps: 3 }),
      reward: resolveReward('format-verifier', game24Task as never),
      seed: 1,
      async: { staleness: 0, segmentTokens: 4 },
    });
    expect(r.staleness).toEqual([0, 0, 0]);
    expect(r.mixedVersionSteps).toBe(0);
  });

  it('refuses a policy loss without a behaviour/proximal split, and a critic', async () => {
    const reward = resolveReward('format-verifier', game24Task as never);
    await expect(
      runAsyncRl({
        phase: 'rl',
        task: game24Task as never,
        problems,
        start,
        rl: rlOf({ policy_loss: { name: 'ppo_clip' } }),
        reward,
        seed: 1,
        async: { staleness: 1, segmentTokens: 4 },
      }),
    ).rejects.toThrow(/decoupled policy loss/);
  });

  it('the rollout thread scores pi_ref and pi_prox: on-policy rows reuse mu, others match an independent (jax-js) forward', async () => {
    const client = new RolloutClient({
      config: start.config,
      threads: 1,
      nice: 5,
      refWeights: start.weights,
      trainerTemperature: 1,
    });
    const model = LlamaModel.fromHostWeights(start.weights, start.config);
    const scorer = new LogprobScorer(model);
    try {
      await client.publish(start.weights, 0);
      const prompts = [
        [1, 5, 6, 7],
        [1, 8, 9, 10, 11],
      ];
      const base = { prompts, maxNewTokens: 12, segmentTokens: 12, topP: 1, seed: 3, proxVersion: 0 };
      const onPolicy = await client.generate({ ...base, temperature: 1 });
      for (const r of onPolicy.rows) {
        expect(r.proxLogprobs).toEqual(r.logprobs); // version 0 at the trainer's temperature: pi_prox is mu
        expect(r.versions.every((v) => v === 0)).toBe(true);
      }
      const hot = await client.generate({ ...base, temperature: 1.7 });
      const want = await scorer.tokenLogprobs(
        hot.rows.map((r, i) => [...prompts[i], ...r.tokens]),
        1,
      );
      hot.rows.forEach((r, i) => {
        expect(r.proxLogprobs!.length).toBe(r.tokens.length);
        r.proxLogprobs!.forEach((lp, t) => expect(lp).toBeCloseTo(want[i][prompts[i].length - 1 + t], 3));
        // the reference is the same weights here, at temperature 1: equal to pi_prox
        r.refLogprobs!.forEach((lp, t) => expect(lp).toBeCloseTo(r.proxLogprobs![t], 5));
        // behaviour at T = 1.7 differs from the trainer's T = 1 somewhere
      });
      expect(hot.rows.some((r) => r.logprobs.some((lp, t) => Math.abs(lp - r.proxLogprobs![t]) > 1e-3))).toBe(true);
      expect(hot.stats.scoreMs).toBeGreaterThan(0);
    } finally {
      scorer.dispose();
      model.dispose();
      await client.close();
    }
  });
});
