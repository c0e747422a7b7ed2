/**
 * `policy_loss.proximal: current` (src/training/algos/policy-losses.ts): pi_prox taken from the
 * trainer's own forward, held constant, instead of an extra forward. Checked against values by
 * hand, the tensor twin against the host entries, one optimiser step against the recomputed
 * proximal policy (they must move the weights identically: on a step's first mini-batch the two
 * are the same objective), the recipe check, and the asynchronous loop asking its rollout thread
 * for no proximal forward.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/index.js';
import { LlamaModel, Trainer, type TrainBatch } from '../../src/engine/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { Problem } from '../../src/tasks/types.js';
import { aggregationWeights, matrix, type Matrix } from '../../src/training/algos/index.js';
import { registryPolicyLoss, type RegistryPolicyLossSettings } from '../../src/training/algos/policy-losses-tensor.js';
import { importanceWeights, policyLosses, type PolicyLossConfig } from '../../src/training/algos/policy-losses.js';
import { runAsyncRl } from '../../src/training/async/async-rl.js';
import { type OpenRolloutEngine, openThreadEngine } from '../../src/training/async/rollout-client.js';
import type { LoadedModel } from '../../src/training/models.js';
import { RlSectionSchema } from '../../src/training/recipe.js';
import { resolveReward } from '../../src/training/rewards.js';
import { lossFixture } from '../helpers/response-logprobs.js';
import { tinyGame24Start } from '../helpers/async-start.js';

const L = Math.log;
const m1 = (values: number[]) => matrix(1, values.length, values);
const base: PolicyLossConfig = {
  clipLow: 0.2,
  clipHigh: 0.28,
  dualClip: null,
  agg: 'token-mean',
  gspoClipLow: 3e-4,
  gspoClipHigh: 4e-4,
  isCap: 2,
  isLow: 0.5,
  isLevel: 'token',
  proximal: 'current',
};

describe('proximal: current, by hand', () => {
  it('the ratio is 1, the weight pi_theta / mu is truncated (tis), masked (mis) or raw (decoupled)', () => {
    const logp = m1([L(0.5), L(0.9), L(0.1)]);
    const mu = m1([L(0.2), L(0.9), L(0.4)]); // pi / mu = 2.5, 1, 0.25
    const advantages = m1([1, -2, 4]);
    const mask = m1([1, 1, 1]);
    const input = { logp, behaviourLogp: mu, advantages, mask };
    // per token -A * w: tis w = (2, 1, 0.25); mis w = (0, 1, 0); decoupled w = (2.5, 1, 0.25)
    expect(policyLosses.tis.compute(input, base).loss).toBeCloseTo((-2 + 2 - 1) / 3, 6);
    expect(policyLosses.mis.compute(input, base).loss).toBeCloseTo((0 + 2 + 0) / 3, 6);
    expect(policyLosses.decoupled.compute(input, base).loss).toBeCloseTo((-2.5 + 2 - 1) / 3, 6);
    const tis = policyLosses.tis.compute(input, base);
    expect(tis.clipFraction).toBe(0);
    expect(tis.isCorrectedFraction).toBeCloseTo(1 / 3, 9);
    // a given proxLogp is ignored: pi_prox is pi_theta itself
    expect(policyLosses.tis.compute({ ...input, proxLogp: m1([0, 0, 0]) }, base).loss).toBeCloseTo(tis.loss, 9);
  });
});

describe('proximal: current in the recipe', () => {
  it('is refused for the losses without a proximal policy', () => {
    for (const name of ['ppo_clip', 'gspo'])
      expect(() => validateConfig(RlSectionSchema, { policy_loss: { name, proximal: 'current' } }, 'test')).toThrow(
        /proximal "current" is for the losses with a proximal policy/,
      );
    const ok = validateConfig(RlSectionSchema, { policy_loss: { name: 'tis', proximal: 'current' } }, 'test');
    expect(ok.policy_loss.proximal).toBe('current');
    expect(validateConfig(RlSectionSchema, {}, 'test').policy_loss.proximal).toBe('recompute');
    expect(() => validateConfig(RlSectionSchema, { policy_loss: { name: 'tis', proximal: 'old' } }, 'test')).toThrow(/proximal/);
  });
});

describe('proximal: current, tensor twin', () => {
  const fx = lossFixture({ modelSeed: 7, rngSeed: 23, promptLen: 3 });
  const { cfg, seqs, B, T, rng } = fx;
  const rowsOf = fx.rowsOf;
  const noisy = fx.noisy;
  let model: LlamaModel;
  let logp: Matrix;
  let mask: Matrix;
  const batchOf = (floats: Record<string, number[][]>): TrainBatch => ({
    tokens: seqs.map((s) => [...s.slice(0, -1), ...Array(T + 1 - s.length).fill(0)]),
    targets: seqs.map((s) => [...s.slice(1), ...Array(T + 1 - s.length).fill(0)]),
    floats,
  });
  const settings = (
    name: 'tis' | 'mis' | 'decoupled',
    c: PolicyLossConfig,
    proximal: 'current' | 'recompute',
  ): RegistryPolicyLossSettings => ({
    name,
    clipLow: c.clipLow,
    clipHigh: c.clipHigh,
    dualClip: null,
    gspoClipLow: c.gspoClipLow,
    gspoClipHigh: c.gspoClipHigh,
    klLoss: null,
    entropyCoef: 0,
    proximal,
    isCap: c.isCap,
    isLow: c.isLow,
    isLevel: c.isLevel,
  });
  beforeAll(async () => {
    ({ model, logp, mask } = await fx.load());
  });
  afterAll(() => model?.dispose());

  for (const name of ['tis', 'mis', 'decoupled'] as const) {
    for (const isLevel of ['token', 'sequence'] as const) {
      it(`${name}, ${isLevel}: loss, weights and mismatch equal the host; one step equals the recomputed proximal`, async () => {
        const mu = noisy(isLevel === 'token' ? 1.2 : 0.4);
        const adv = matrix(
          B,
          T,
          mask.data.map((m) => (m ? rng.next() * 4 - 2 : 0)),
        );
        const c: PolicyLossConfig = { ...base, isLevel };
        const host = policyLosses[name].compute({ logp, behaviourLogp: mu, advantages: adv, mask }, c);
        const common = { mask: rowsOf(mask), weight: rowsOf(aggregationWeights(mask, 'token-mean')), adv: rowsOf(adv) };
        const current = new Trainer(model, { miniBatchRows: B, seqLen: T, lossFn: registryPolicyLoss(settings(name, c, 'current')) });
        const r = await current.evaluate(batchOf({ ...common, old_logp: rowsOf(mu), behav_logp: rowsOf(mu) }));
        current.dispose();
        expect(r.metrics.pg_loss).toBeCloseTo(host.loss, 4);
        expect(r.metrics.clip_frac).toBe(0);
        expect(r.metrics.is_corrected_frac).toBeCloseTo(host.isCorrectedFraction, 4);
        if (isLevel === 'token' && name !== 'decoupled') expect(host.isCorrectedFraction).toBeGreaterThan(0); // the weights bite
        let k3 = 0;
        let n = 0;
        for (let k = 0; k < mask.data.length; k++)
          if (mask.data[k]) {
            const l = logp.data[k] - mu.data[k];
            k3 += Math.exp(l) - 1 - l;
            n++;
          }
        expect(r.metrics.mismatch_kl).toBeCloseTo(k3 / n, 4);

        // One optimiser step from the same weights: recomputed pi_prox (= pi_theta here, no update
        // yet) with host weights, against the loss's own. Same gradient, same new weights.
        const { weights: isW } = importanceWeights(
          logp,
          mu,
          mask,
          name === 'tis' ? 'truncate' : name === 'mis' ? 'mask' : 'none',
          isLevel,
          c.isCap,
          c.isLow,
        );
        const step = async (proximal: 'current' | 'recompute') => {
          const m = LlamaModel.fromHostWeights(model.hostWeights(), cfg);
          const t = new Trainer(m, {
            miniBatchRows: B,
            seqLen: T,
            lossFn: registryPolicyLoss(settings(name, c, proximal)),
            // eps 1 makes Adam's first step lr * g / (|g| + 1): about plain gradient descent
            optimizer: { lr: 0.05, eps: 1, weightDecay: 0, clipNorm: 0 },
          });
          const s = await t.trainStep([
            batchOf({ ...common, old_logp: rowsOf(proximal === 'current' ? mu : logp), behav_logp: rowsOf(mu), is_w: rowsOf(isW) }),
          ]);
          const w = m.hostWeights();
          t.dispose();
          m.dispose();
          return { w, gradNorm: s.gradNorm };
        };
        const { w: a, gradNorm: ga } = await step('current');
        const { w: b, gradNorm: gb } = await step('recompute');
        expect(ga).toBeGreaterThan(0);
        expect(ga).toBeCloseTo(gb, 4);
        let moved = 0;
        let diff = 0;
        for (const [k, w] of a) {
          const v = b.get(k)!.data;
          const w0 = model.hostWeights().get(k)!.data;
          w.data.forEach((x, i) => {
            moved = Math.max(moved, Math.abs(x - w0[i]));
            diff = Math.max(diff, Math.abs(x - v[i]));
          });
        }
        expect(moved).toBeGreaterThan(1e-4);
        expect(diff).toBeLessThan(1e-3 * moved);
      });
    }
  }
});

describe('proximal: current in the asynchronous loop', () => {
  let problems: Problem[];
  let start: LoadedModel;
  beforeAll(async () => {
    ({ problems, start } = await tinyGame24Start());
  });

  it('asks the rollout thread for no proximal forward, and logs the mismatch from the first mini-batch', async () => {
    const requests: (number | null)[] = [];
    const engine: OpenRolloutEngine = async (s) => {
      const inner = await openThreadEngine(s);
      return {
        publish: (w, v) => inner.publish(w, v),
        generate: (req) => {
          requests.push(req.proxVersion);
          return inner.generate(req);
        },
        close: () => inner.close(),
      };
    };
    const run = (proximal: 'current' | 'recompute') => {
      const steps: Record<string, number>[] = [];
      const rl = validateConfig(
        RlSectionSchema,
        {
          steps: 3,
          prompts_per_step: 2,
          group_size: 4,
          mini_batches: 2,
          reward: 'format-verifier',
          eval_problems: 0,
          policy_loss: { name: 'tis', proximal },
          kl_loss: null,
          rollout: { max_new_tokens: 16, temperature: 1, behaviour_temperature: 1.6 },
        },
        'test',
      );
      return runAsyncRl({
        phase: 'rl',
        task: game24Task as never,
        problems,
        start,
        rl,
        reward: resolveReward('format-verifier', game24Task as never),
        seed: 2,
        async: { staleness: 1, segmentTokens: 16, rolloutThreads: 1 },
        engine,
        onStep: (_s, m) => steps.push(m),
      }).then((r) => ({ r, steps }));
    };
    const cur = await run('current');
    expect(requests).toEqual([null, null, null]);
    const trained = cur.steps.filter((m) => Number.isFinite(m.loss));
    expect(trained.length).toBeGreaterThan(0);
    for (const m of trained) {
      expect(m.mismatch_kl).toBeGreaterThan(1e-4); // rollouts at T = 1.6 against the trainer's T = 1
      expect(m.rollout_score_s).toBe(0); // no reference (no KL term) and no proximal forward
      expect(m.is_corrected_frac).toBeGreaterThanOrEqual(0);
    }
    requests.length = 0;
    const rec = await run('recompute');
    expect(requests).toEqual([0, 1, 2]);
    // the same mismatch is measured either way (same rollouts: the first batch is generated by version 0 in both runs)
    expect(cur.steps[0].mismatch_kl).toBeCloseTo(rec.steps[0].mismatch_kl, 1);
  }, 300_000);
});
