/**
 * The policy-loss registry (ppo_clip, gspo, tis, mis, decoupled): host entries against ratios
 * computed by hand, the tensor twin against the host entries on a tiny model, and the
 * rollout-trainer mismatch logged per step by a real RL run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/index.js';
import { LlamaModel, Trainer, initEngine, saveCheckpoint, type TrainBatch } from '../../src/engine/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import { aggregationWeights, matrix, type LossAggMode, type Matrix } from '../../src/training/algos/index.js';
import { registryPolicyLoss } from '../../src/training/algos/policy-losses-tensor.js';
import {
  importanceWeights,
  policyLosses,
  PolicyLossNames,
  rolloutMismatch,
  sequenceRatios,
  type PolicyLossConfig,
} from '../../src/training/algos/policy-losses.js';
import { startingModel } from '../../src/training/models.js';
import { trainRl } from '../../src/training/pipeline.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { tokenizerForTask } from '../../src/training/tasks.js';
import { lossFixture } from '../helpers/response-logprobs.js';

const L = Math.log;
const m1 = (values: number[]) => matrix(1, values.length, values);
const ones = (n: number) => m1(Array(n).fill(1));
const base: PolicyLossConfig = {
  clipLow: 0.2,
  clipHigh: 0.2,
  dualClip: null,
  agg: 'token-mean',
  gspoClipLow: 0.05,
  gspoClipHigh: 0.05,
  isCap: 2,
  isLow: 0.5,
  isLevel: 'token',
};

describe('policy losses by hand', () => {
  it('token-level importance weights pi_prox / mu: TIS truncates at C, MIS drops outside [C_low, C], decoupled keeps them', () => {
    const prox = m1([L(0.5), L(0.9), L(0.1)]);
    const mu = m1([L(0.2), L(0.9), L(0.4)]); // rho = 2.5, 1, 0.25
    const tis = importanceWeights(prox, mu, ones(3), 'truncate', 'token', 2);
    expect([...tis.weights.data].map((x) => +x.toFixed(6))).toEqual([2, 1, 0.25]);
    expect(tis.corrected).toBe(1);
    const mis = importanceWeights(prox, mu, ones(3), 'mask', 'token', 2, 0.5);
    expect([...mis.weights.data].map((x) => +x.toFixed(6))).toEqual([0, 1, 0]);
    expect(mis.corrected).toBe(2);
    const raw = importanceWeights(prox, mu, ones(3), 'none', 'token', 2);
    expect([...raw.weights.data].map((x) => +x.toFixed(6))).toEqual([2.5, 1, 0.25]);
  });

  it('sequence-level weights: one product per response, on every token of it; padding stays 0', () => {
    const prox = matrix(2, 2, [L(0.5), L(0.5), L(0.3), 0]);
    const mu = matrix(2, 2, [L(0.4), L(0.5), L(0.4), 0]); // row 0: 1.25 * 1 ; row 1: 0.75
    const mask = matrix(2, 2, [1, 1, 1, 0]);
    const w = importanceWeights(prox, mu, mask, 'truncate', 'sequence', 1.1);
    expect([...w.weights.data].map((x) => +x.toFixed(6))).toEqual([1.1, 1.1, 0.75, 0]);
    expect(w.corrected).toBe(2);
  });

  it('GSPO: the geometric mean of the token ratios, clipped per sequence', () => {
    expect(sequenceRatios(m1([L(2), L(0.5)]), m1([0, 0]), ones(2))[0]).toBeCloseTo(1, 12);
    // ratios 1.21 and 1 -> s = 1.1; clip at 1 +- 0.05
    const input = { logp: m1([L(1.21), 0]), behaviourLogp: m1([0, 0]), advantages: m1([1, 1]), mask: ones(2) };
    const pos = policyLosses.gspo.compute(input, base);
    expect(pos.perToken.data[0]).toBeCloseTo(-1.05, 6); // max(-1.1, -1.05): clipped
    expect(pos.clipFraction).toBe(1);
    const neg = policyLosses.gspo.compute({ ...input, advantages: m1([-1, -1]) }, base);
    expect(neg.perToken.data[1]).toBeCloseTo(1.1, 6); // max(1.1, 1.05): not clipped
    expect(neg.clipFraction).toBe(0);
  });

  it('TIS: PPO clip on pi_theta / pi_prox, times the truncated weight', () => {
    const input = {
      logp: m1([L(0.6), L(0.3)]),
      proxLogp: m1([L(0.5), L(0.5)]),
      behaviourLogp: m1([L(0.2), L(0.5)]),
      advantages: m1([1, -2]),
      mask: ones(2),
    };
    const r = policyLosses.tis.compute(input, base);
    // token 0: u = 1.2, A = 1 -> -1.2 (at the clip edge), w = min(2.5, 2) = 2 -> -2.4
    expect(r.perToken.data[0]).toBeCloseTo(-2.4, 6);
    // token 1: u = 0.6, A = -2 -> max(1.2, 1.6) = 1.6 (clipped at 0.8), w = 1
    expect(r.perToken.data[1]).toBeCloseTo(1.6, 6);
    expect(r.loss).toBeCloseTo((-2.4 + 1.6) / 2, 6);
    expect(r.isCorrectedFraction).toBe(0.5);
    expect(policyLosses.mis.compute(input, base).perToken.data[0]).toBeCloseTo(0, 12); // 2.5 > C: dropped
    expect(policyLosses.decoupled.compute(input, base).perToken.data[0]).toBeCloseTo(-3, 6); // 2.5 * -1.2
    expect(() => policyLosses.tis.compute({ ...input, proxLogp: undefined }, base)).toThrow(/proximal/);
  });

  it('mismatch: k1 and k3 estimates of KL(mu || pi) from mu samples', () => {
    const m = rolloutMismatch(m1([L(0.5), L(0.3)]), m1([L(0.25), L(0.3)]), ones(2));
    // float32 inputs: 6 digits
    expect(m.k1).toBeCloseTo(-Math.log(2) / 2, 6);
    expect(m.k3).toBeCloseTo((2 - 1 - Math.log(2)) / 2, 6);
    expect(m.maxAbsLogRatio).toBeCloseTo(Math.log(2), 6);
  });
});

describe('the tensor twin equals the host entries', () => {
  const promptLen = 3;
  const fx = lossFixture({ modelSeed: 5, rngSeed: 11, promptLen });
  const { seqs, B, T, rng } = fx;
  const rowsOf = fx.rowsOf;
  const noisy = fx.noisy;
  let model: LlamaModel;
  let logp: Matrix;
  let mask: Matrix;
  beforeAll(async () => {
    ({ model, logp, mask } = await fx.load());
  });
  afterAll(() => model?.dispose());

  for (const name of PolicyLossNames) {
    for (const agg of ['token-mean', 'seq-mean-token-mean'] as LossAggMode[]) {
      it(`${name}, ${agg}`, async () => {
        const mu = noisy(0.5);
        const prox = noisy(0.2);
        const adv = matrix(
          B,
          T,
          mask.data.map((m) => (m ? rng.next() * 4 - 2 : 0)),
        );
        const c: PolicyLossConfig = {
          ...base,
          agg,
          clipHigh: 0.28,
          dualClip: name === 'gspo' ? null : 3,
          isLevel: agg === 'token-mean' ? 'token' : 'sequence',
        };
        const entry = policyLosses[name];
        const host = entry.compute({ logp, proxLogp: prox, behaviourLogp: mu, advantages: adv, mask }, c);
        const floats: Record<string, number[][]> = {
          mask: rowsOf(mask),
          weight: rowsOf(aggregationWeights(mask, agg)),
          adv: rowsOf(adv),
          old_logp: rowsOf(entry.needsProximal ? prox : mu),
        };
        if (host.isWeights) floats.is_w = rowsOf(host.isWeights);
        if (name === 'gspo')
          floats.seq_w = rowsOf(
            matrix(
              B,
              T,
              mask.data.map((m, k) => m / mask.data.slice(Math.floor(k / T) * T, Math.floor(k / T) * T + T).reduce((a, b) => a + b, 0)),
            ),
          );
        const trainer = new Trainer(model, {
          miniBatchRows: B,
          seqLen: T,
          lossFn: registryPolicyLoss({
            name,
            clipLow: c.clipLow,
            clipHigh: c.clipHigh,
            dualClip: c.dualClip ?? null,
            gspoClipLow: c.gspoClipLow,
            gspoClipHigh: c.gspoClipHigh,
            klLoss: null,
            entropyCoef: 0,
          }),
        });
        const batch: TrainBatch = {
          tokens: seqs.map((s) => [...s.slice(0, -1), ...Array(T + 1 - s.length).fill(0)]),
          targets: seqs.map((s) => [...s.slice(1), ...Array(T + 1 - s.length).fill(0)]),
          floats,
        };
        const r = await trainer.evaluate(batch);
        trainer.dispose();
        expect(r.metrics.pg_loss).toBeCloseTo(host.loss, 4);
        expect(r.metrics.clip_frac).toBeCloseTo(host.clipFraction, 4);
        expect(r.metrics.approx_kl).toBeCloseTo(host.approxKl, 4);
      });
    }
  }
});

describe('RL logs the rollout-trainer mismatch per step', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-mismatch-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('tis: small at equal temperatures, larger when the rollout engine samples at another temperature', async () => {
    await initEngine();
    const problem = (await game24Task.problems({ split: 'generated', limit: 8, seed: 1 }))[0];
    const tok = tokenizerForTask(game24Task as never, [problem], 1, ['?']);
    const start = startingModel({ preset: 'tiny', init: null, d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 64 }, tok, 3);
    const file = path.join(root, 'start.safetensors');
    saveCheckpoint(
      file,
      { kind: 'policy', config: start.config, tokenizer: start.tokenizer.spec(), step: 0, extra: { bos: true } },
      start.weights,
    );
    const run = async (name: string, behaviour: number | null) => {
      const recipe = validateConfig(
        RecipeSchema,
        {
          kind: 'train',
          pipeline: 'rl',
          run: { name, root, seed: 0 },
          task: { name: 'game24', split: 'generated', limit: 16 },
          model: { init: file },
          log_every: 1,
          rl: {
            steps: 2,
            prompts_per_step: 4,
            group_size: 4,
            reward: 'format-verifier',
            eval_problems: 0,
            policy_loss: { name: 'tis', is_cap: 2 },
            rollout: { max_new_tokens: 16, temperature: 1, behaviour_temperature: behaviour },
          },
        },
        'test',
      );
      await trainRl(recipe, { progress: 'silent' });
      return fs
        .readFileSync(path.join(root, name, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((m) => m.step > 0);
    };
    // every registry entry runs in the RL loop (gspo: sequence ratios; mis: sequence-level weights)
    for (const [name, extra] of [
      ['gspo', {}],
      ['mis', { is_level: 'sequence' }],
      ['decoupled', {}],
    ] as const) {
      const recipe = validateConfig(
        RecipeSchema,
        {
          kind: 'train',
          pipeline: 'rl',
          run: { name: `loop-${name}`, root, seed: 0 },
          task: { name: 'game24', split: 'generated', limit: 16 },
          model: { init: file },
          log_every: 1,
          rl: {
            steps: 1,
            prompts_per_step: 4,
            group_size: 4,
            reward: 'format-verifier',
            eval_problems: 0,
            policy_loss: { name, ...extra },
            rollout: { max_new_tokens: 16 },
          },
        },
        'test',
      );
      await trainRl(recipe, { progress: 'silent' });
      const [m] = fs
        .readFileSync(path.join(root, `loop-${name}`, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((x) => x.step === 1);
      expect(Number.isFinite(m.loss), name).toBe(true);
      expect(Math.abs(m.mismatch_kl), name).toBeLessThan(1e-3);
    }
    const same = await run('same', null);
    const skewed = await run('skewed', 0.5);
    for (const m of [...same, ...skewed])
      for (const k of ['mismatch_kl', 'mismatch_k1', 'mismatch_max_abs_logratio', 'is_corrected_frac'])
        expect(typeof m[k], k).toBe('number');
    expect(same[0].mismatch_kl).toBeLessThan(1e-3);
    expect(same[0].mismatch_kl).toBeGreaterThanOrEqual(0);
    expect(skewed[0].mismatch_kl).toBeGreaterThan(10 * Math.max(same[0].mismatch_kl, 1e-6));
    expect(skewed[0].mismatch_max_abs_logratio).toBeGreaterThan(same[0].mismatch_max_abs_logratio);
  });
});
