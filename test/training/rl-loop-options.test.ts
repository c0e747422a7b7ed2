/**
 * The RL loop's options of issue 21, equation by equation: pass-rate curricula (Observe-R1, RLCS,
 * MaskSearch levels), Observe-R1's group weighting, multi-task mixtures, length stages, NLPO's
 * masked distribution and Skywork-R1V3's critical-token entropy; and the recipe conflicts.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.js';
import { matrix } from '../../src/training/algos/index.js';
import type { Problem, Task } from '../../src/tasks/types.js';
import { RecipeSchema, RlSectionSchema } from '../../src/training/recipe.js';
import {
  PassRates,
  ProblemSampler,
  categorical,
  levelBound,
  openFraction,
  problemLevel,
  uncertaintyGroupWeights,
  weightGroupAdvantages,
  weightedWithoutReplacement,
} from '../../src/training/rl/curriculum.js';
import { CurriculumSectionSchema } from '../../src/training/rl/loop-config.js';
import { lengthStage } from '../../src/training/rl/loop-options.js';
import { mixtureCounts, mixtureTask } from '../../src/training/rl/mixture.js';
import { drawToken, maskSyncStep, maskedDistribution, nucleus, softmax } from '../../src/training/rl/nlpo.js';
import { betterEntropy, criticalEntropy, entropyOfLogits } from '../../src/training/rl/critical-entropy.js';
import { sampleStepProblems } from '../../src/training/rl/steps.js';

const problems = (n: number, data: (i: number) => unknown = (i) => ({ level: 1 + (i % 3) })): Problem[] =>
  Array.from({ length: n }, (_, i) => ({ id: `p${i}`, question: `q${i}`, data }) as unknown as Problem).map((p, i) => ({
    ...p,
    data: data(i),
  }));
const cfg = (o: Record<string, unknown>) => CurriculumSectionSchema.parse(o);
const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('pass rates and the curricula', () => {
  it('EMA of the pass rate: the first outcome replaces the prior, then p <- (1 - beta) p + beta c / g', () => {
    const r = new PassRates(2, 0.25, 0.5);
    expect(r.get(0)).toBe(0.5);
    r.observe(0, 2, 8);
    expect(r.get(0)).toBe(0.25);
    r.observe(0, 8, 8);
    expect(r.get(0)).toBeCloseTo(0.75 * 0.25 + 0.25 * 1, 12);
    expect(r.seen(1)).toBe(false);
    const copy = new PassRates(2, 0.25, 0.5);
    copy.load(JSON.parse(JSON.stringify(r.toJSON())));
    expect(copy.get(0)).toBe(r.get(0));
    expect(copy.seen(1)).toBe(false);
    expect(() => new PassRates(3, 0.25, 0.5).load(r.toJSON())).toThrow(/2 pass rates for 3 problems/);
  });

  it('uniform draws exactly what the loop always drew (a shuffle by the step rng)', () => {
    const ps = problems(10);
    const s = new ProblemSampler(ps, cfg({}));
    const a = s.pick(all(10), 14, 1, new Rng(7).fork('x')).map((i) => ps[i]);
    expect(a).toEqual(sampleStepProblems(ps, 14, new Rng(7).fork('x')));
  });

  it('Observe-R1: f(s) = min(1, f0 + (1 - f0) s / ramp) of the easiest problems is open; weights p (1 - p) + floor', () => {
    expect(openFraction(0, 0.3, 50)).toBeCloseTo(0.3, 12);
    expect(openFraction(25, 0.3, 50)).toBeCloseTo(0.65, 12);
    expect(openFraction(80, 0.3, 50)).toBe(1);
    const ps = problems(10);
    const s = new ProblemSampler(ps, cfg({ name: 'observe_r1', start_fraction: 0.3, ramp_steps: 100, ema: 1 }));
    // pass rates 0.0, 0.1, ..., 0.9: the easiest are the highest indices
    ps.forEach((_, i) => s.observe([{ problem: i, correct: i, total: 10 }]));
    for (let k = 0; k < 20; k++) {
      const picked = s.pick(all(10), 3, 0, new Rng(k));
      expect(new Set(picked)).toEqual(new Set([7, 8, 9])); // ceil(0.3 * 10) easiest, all drawn
    }
    // once all is open, p = 0.5 (index 5) is drawn far more often than p = 0.9 (index 9) when drawing one
    const counts = new Array(10).fill(0);
    for (let k = 0; k < 3000; k++) counts[s.pick(all(10), 1, 1000, new Rng(k))[0]]++;
    const w = (p: number) => 0.05 + p * (1 - p);
    const total = all(10).reduce((a, i) => a + w(i / 10), 0);
    expect(counts[5] / 3000).toBeCloseTo(w(0.5) / total, 1);
    expect(counts[9] / 3000).toBeCloseTo(w(0.9) / total, 1);
    expect(counts[5]).toBeGreaterThan(counts[9] * 1.8);
  });

  it('weighted sampling without replacement: distinct items, weight 0 only when nothing else is left', () => {
    const picked = weightedWithoutReplacement([1, 0, 3, 2], 3, new Rng(1));
    expect(new Set(picked).size).toBe(3);
    expect(picked).not.toContain(1);
    expect(weightedWithoutReplacement([1, 0], 2, new Rng(1))).toEqual([0, 1]);
    const c = [0, 0, 0];
    for (let k = 0; k < 4000; k++) c[weightedWithoutReplacement([1, 2, 1], 1, new Rng(k))[0]]++;
    expect(c[1] / 4000).toBeCloseTo(0.5, 1);
  });

  it('RLCS: a level is drawn by floor + mean p (1 - p) of its problems; solved and failed levels rarely', () => {
    const ps = problems(30);
    const s = new ProblemSampler(ps, cfg({ name: 'rlcs', bins: 3, ema: 1, floor: 0.01 }));
    // ten problems at p = 0 (level 0), ten at p = 0.5 (level 1), ten at p = 1 (level 2)
    ps.forEach((_, i) => s.observe([{ problem: i, correct: i < 10 ? 0 : i < 20 ? 5 : 10, total: 10 }]));
    const picked = s.pick(all(30), 3000, 1, new Rng(3));
    const mid = picked.filter((i) => i >= 10 && i < 20).length / picked.length;
    // W = [0.01, 0.26, 0.01]
    expect(mid).toBeCloseTo(0.26 / 0.28, 1);
    // within a level: a shuffled cycle, so each middle problem appears about equally often
    const perMid = all(10).map((k) => picked.filter((i) => i === 10 + k).length);
    expect(Math.max(...perMid) - Math.min(...perMid)).toBeLessThanOrEqual(1);
    // unseen problems form their own level at the prior
    const fresh = new ProblemSampler(ps, cfg({ name: 'rlcs' }));
    expect(fresh.pick(all(30), 5, 1, new Rng(1))).toHaveLength(5);
  });

  it('MaskSearch levels: stage k opens levels <= max_level for its steps; a level is a number or a list length', () => {
    const stages = [
      { steps: 2, max_level: 1 },
      { steps: 3, max_level: 2 },
    ];
    expect([1, 2, 3, 5, 6].map((s) => levelBound(stages, s))).toEqual([1, 1, 2, 2, null]);
    expect(problemLevel({ id: 'a', data: { numbers: [1, 2, 3] } } as unknown as Problem, 'numbers')).toBe(3);
    expect(() => problemLevel({ id: 'a', data: {} } as unknown as Problem, 'level')).toThrow(/problem a has no such number/);
    const ps = problems(9);
    const s = new ProblemSampler(ps, cfg({ name: 'levels', stages }));
    expect(s.pick(all(9), 12, 1, new Rng(1)).every((i) => (ps[i].data as { level: number }).level === 1)).toBe(true);
    expect(s.pick(all(9), 12, 3, new Rng(1)).every((i) => (ps[i].data as { level: number }).level <= 2)).toBe(true);
    expect(new Set(s.pick(all(9), 30, 6, new Rng(1)).map((i) => (ps[i].data as { level: number }).level))).toEqual(new Set([1, 2, 3]));
  });

  it("Observe-R1's group weights: max(floor, 4 p (1 - p)) normalised to mean 1", () => {
    const w = uncertaintyGroupWeights(
      new Map([
        [0, 0.5],
        [1, 0.125],
        [2, 1],
      ]),
      0.25,
    );
    const raw = [1, 4 * 0.125 * 0.875, 0.25];
    const m = raw.reduce((a, b) => a + b) / 3;
    expect(w.get(0)).toBeCloseTo(1 / m, 12);
    expect(w.get(1)).toBeCloseTo(raw[1] / m, 12);
    expect(w.get(2)).toBeCloseTo(0.25 / m, 12);
  });
});

describe('group weighting on advantages', () => {
  it('each kept row times its group weight; p_g from all the group rollouts, dropped ones included', () => {
    // group 0: 1 of 2 correct (p = 0.5, raw 1); group 1: 0 of 2 (p = 0, raw floor 0.25); group 2 dropped, not weighted
    const outcomes = [
      { group: 0, correct: true },
      { group: 0, correct: false },
      { group: 1, correct: false },
      { group: 1, correct: false },
      { group: 2, correct: true },
      { group: 2, correct: true },
    ];
    const adv = matrix(4, 2, [1, 1, -1, -1, 2, 0, 2, 0]);
    const { advantages, weights } = weightGroupAdvantages(0.25, outcomes, [0, 0, 1, 1], adv);
    const m = (1 + 0.25) / 2;
    expect([...weights.keys()]).toEqual([0, 1]);
    expect(Array.from(advantages.data)).toEqual(
      [1 / m, 1 / m, -1 / m, -1 / m, (2 * 0.25) / m, 0, (2 * 0.25) / m, 0].map((x) => expect.closeTo(x, 6)),
    );
    expect(Array.from(adv.data)).toEqual([1, 1, -1, -1, 2, 0, 2, 0]); // input untouched
  });
});

describe('mixtures, stages, NLPO, critical entropy', () => {
  it('mixture counts: n categorical draws by weight; weight 0 never drawn', () => {
    const c = mixtureCounts([3, 1, 0], 4000, new Rng(5));
    expect(c.reduce((a, b) => a + b)).toBe(4000);
    expect(c[2]).toBe(0);
    expect(c[0] / 4000).toBeCloseTo(0.75, 1);
    expect(categorical([0, 0, 1], new Rng(1))).toBe(2);
  });

  it('the mixture task answers each problem with the task it came from', async () => {
    const mk = (name: string): Task<Problem> =>
      ({
        name,
        renderPlain: (p: Problem) => `${name}:${p.id}`,
        extractAnswer: () => name,
        verify: async (a: string | null) => ({ correct: a === name, score: a === name ? 1 : 0 }),
      }) as unknown as Task<Problem>;
    const [a, b] = [mk('a'), mk('b')];
    const [pa, pb] = problems(2);
    const t = mixtureTask(
      [a, b],
      new Map([
        [pa, a],
        [pb, b],
      ]),
    );
    expect(t.renderPlain(pa, [])).toBe('a:p0');
    expect(t.renderPlain(pb, [])).toBe('b:p1');
    expect((await t.verify(t.extractAnswer('x', pb), pb)).correct).toBe(true);
    expect(() => t.renderPlain(problems(1)[0], [])).toThrow(/belongs to none of a, b/);
  });

  it('length stages: each stage its max_new_tokens (and group size) for its steps, then the run limit', () => {
    const rl = RlSectionSchema.parse({
      group_size: 8,
      rollout: { max_new_tokens: 64 },
      length_stages: [
        { steps: 2, max_new_tokens: 16, group_size: 4 },
        { steps: 2, max_new_tokens: 32 },
      ],
    });
    expect([1, 2, 3, 4, 5].map((s) => lengthStage(rl, s, 64))).toEqual([
      { maxNewTokens: 16, groupSize: 4, stage: 0 },
      { maxNewTokens: 16, groupSize: 4, stage: 0 },
      { maxNewTokens: 32, groupSize: 8, stage: 1 },
      { maxNewTokens: 32, groupSize: 8, stage: 1 },
      { maxNewTokens: 64, groupSize: 8, stage: 2 },
    ]);
    // the context can cut a stage's limit further
    expect(lengthStage(rl, 3, 20).maxNewTokens).toBe(20);
  });

  it('NLPO: the top-p nucleus of the masking policy, mu = pi / Z on it, behaviour log-prob log mu', () => {
    const psi = [0.5, 0.3, 0.15, 0.05];
    expect(nucleus(psi, 0.8)).toEqual([0, 1]);
    expect(nucleus(psi, 0.81)).toEqual([0, 1, 2]);
    expect(nucleus(psi, 1)).toEqual([0, 1, 2, 3]);
    const pi = [0.1, 0.2, 0.3, 0.4];
    const mu = maskedDistribution(pi, nucleus(psi, 0.9));
    expect(Array.from(mu)).toEqual([0.1 / 0.6, 0.2 / 0.6, 0.3 / 0.6, 0].map((x) => expect.closeTo(x, 12)));
    expect(Math.log(mu[2])).toBeCloseTo(Math.log(0.3) - Math.log(0.6), 12);
    // inverse CDF never lands outside the mask
    for (let k = 0; k < 100; k++) expect(drawToken(mu, k / 100)).not.toBe(3);
    expect(drawToken(mu, 0)).toBe(0);
    expect(drawToken(mu, 0.999999)).toBe(2);
    const p = softmax([Math.log(1), Math.log(3)], 1);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(softmax([0, Math.log(3)], 0.5)[1]).toBeCloseTo(0.9, 12); // 9 / (1 + 9)
    expect([1, 5, 6, 10, 11].map((s) => maskSyncStep(s, 5))).toEqual([1, 1, 6, 6, 11]);
  });

  it('critical-token entropy: H = -sum p log p, averaged at step starts or over the top fraction', () => {
    expect(entropyOfLogits([0, 0, 0, 0])).toBeCloseTo(Math.log(4), 12);
    expect(entropyOfLogits([0, -1e9])).toBeCloseTo(0, 9);
    const EOS_STEP = 3;
    const ents = [
      [1, 0.5, 0.2, 2],
      [0.4, 0.1],
    ];
    const resp = [
      [10, EOS_STEP, 11, 2],
      [12, 2],
    ];
    // step starts: row 0 positions 0 and 2 (after <eos_step>), row 1 position 0
    expect(criticalEntropy(ents, resp, 'step_start', 0, EOS_STEP)).toBeCloseTo((1 + 0.2 + 0.4) / 3, 12);
    // top 50% of 6 values: 2, 1, 0.5
    expect(criticalEntropy(ents, resp, 'top_fraction', 0.5, EOS_STEP)).toBeCloseTo((2 + 1 + 0.5) / 3, 12);
    expect(Number.isNaN(criticalEntropy([], [], 'step_start', 0, EOS_STEP))).toBe(true);
    expect(betterEntropy(1, null, 'high')).toBe(true);
    expect(betterEntropy(1, 2, 'high')).toBe(false);
    expect(betterEntropy(1, 2, 'low')).toBe(true);
    expect(betterEntropy(NaN, null, 'high')).toBe(false);
  });
});

describe('recipe keys and their conflicts', () => {
  const base = { pipeline: 'rl', task: { name: 'countdown' }, model: { init: 'runs/x' } };
  const issues = (rl: Record<string, unknown>) => {
    const r = RecipeSchema.safeParse({ ...base, rl });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('defaults leave the loop as it was', () => {
    const rl = RlSectionSchema.parse({});
    expect(rl.curriculum.name).toBe('uniform');
    expect([rl.group_weighting, rl.mixture, rl.nlpo, rl.critical_entropy]).toEqual([null, null, null, null]);
    expect(rl.length_stages).toEqual([]);
    expect(rl.select_checkpoint).toBe('last');
    expect(issues({ curriculum: { name: 'observe_r1' }, nlpo: {}, select_checkpoint: 'entropy', group_weighting: {} })).toEqual([]);
    // entropy selection without held-out problems measures the first training problems
    expect(issues({ select_checkpoint: 'entropy', eval_problems: 0 })).toEqual([]);
    expect(rl.methods).toEqual({ advantage_filter: null, group_select: null, thought_rewards: null });
  });
  it('refuses what cannot work together, naming the keys', () => {
    expect(issues({ rollout: { max_new_tokens: 32 }, length_stages: [{ steps: 2, max_new_tokens: 48 }] })[0]).toMatch(
      /length_stages.0.max_new_tokens: conflict: length stage 0 allows 48/,
    );
    expect(issues({ group_size: 4, length_stages: [{ steps: 2, max_new_tokens: 8, group_size: 8 }] })[0]).toMatch(
      /group_size 8 must be between 2/,
    );
    expect(issues({ curriculum: { name: 'levels' } })[0]).toMatch(/curriculum.stages: conflict: curriculum "levels" needs stages/);
    expect(issues({ curriculum: { stages: [{ steps: 1, max_level: 1 }] } })[0]).toMatch(/only read by curriculum "levels"/);
    expect(issues({ nlpo: {}, rollout: { backend: 'jax' } })[0]).toMatch(/nlpo: conflict: NLPO masked sampling/);
    expect(issues({ mixture: { tasks: [{ name: 'a', weight: 0 }] } })[0]).toMatch(/every mixture weight is 0/);
    expect(
      issues({
        mixture: {
          tasks: [
            { name: 'a', weight: 1 },
            { name: 'a', weight: 1 },
          ],
        },
      })[0],
    ).toMatch(/appears twice/);
    expect(issues({ curriculum: { name: 'easy_first' } })[0]).toMatch(/curriculum.name/);
    // only pipeline rl reads them: elsewhere they would be ignored silently
    const x1 = RecipeSchema.safeParse({
      pipeline: 'x1',
      task: { name: 'game24' },
      x1: { phase2: { policy: { nlpo: {}, methods: { advantage_filter: {} } } } },
    });
    expect(x1.success ? [] : x1.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'x1.phase2.policy.nlpo: conflict: x1.phase2.policy.nlpo, x1.phase2.policy.methods.advantage_filter are read only by pipeline rl, not by pipeline x1; remove them',
    ]);
  });
});
