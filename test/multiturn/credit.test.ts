/**
 * Credit assignment over multi-turn trajectories: MARFT's per-agent advantages touch only that
 * agent's tokens and follow that agent's own rewards; ArCHer's TD targets are r_t + gamma * Vbar(s_{t+1})
 * for Q (r_T at the last turn) and Qbar(s_t, a_t) for V, read at the right positions; its actor
 * advantage Q - V covers exactly each turn's policy tokens.
 */
import { describe, expect, it } from 'vitest';
import { EOS, EOS_STEP, initHostWeights, presetConfig } from '../../src/engine/index.js';
import { RlSectionSchema } from '../../src/training/recipe.js';
import { archerAdvantages, archerTargets, toReplay, turnGae } from '../../src/training/multiturn/archer.js';
import { agentAdvantages } from '../../src/training/multiturn/rl.js';
import { TrajectoryBuilder, type Trajectory } from '../../src/training/multiturn/trajectory.js';
import { valuesAtAllPositions } from '../../src/training/rollout-sampler.js';

/** solver turn (reward rs), observation, checker turn (reward rc). */
function duo(group: number, rs: number, rc: number): Trajectory {
  const b = new TrajectoryBuilder({ id: `p${group}`, question: 'q' }, group, [1, 10, 11]);
  b.addPolicy([20, 21, EOS_STEP], [-0.1, -0.2, -0.3], 'solver', 0);
  b.rewardLast(rs);
  b.addEnv([30, 31, EOS_STEP], 'obs', 1);
  b.addPolicy([22, EOS], [-0.4, -0.5], 'checker', 1);
  b.rewardLast(rc);
  return b.finish({ correct: rs + rc === 2, truncated: false, toolCalls: 0 });
}

describe('multi-turn credit', () => {
  it('MARFT: each agent is credited with its own rewards, on its own tokens only', () => {
    const ts = [duo(0, 1, 0), duo(0, 0, 1)];
    const rl = RlSectionSchema.parse({ advantage: 'grpo' });
    const cols = ts[0].mask.length;
    const solver = agentAdvantages(ts, 0, rl, cols);
    const checker = agentAdvantages(ts, 1, rl, cols);
    const row = (m: { data: Float32Array }, i: number) => Array.from(m.data.slice(i * cols, (i + 1) * cols));
    expect(row(solver.mask, 0)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    expect(row(checker.mask, 0)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    // the solver of episode 0 did better than that of episode 1; the checkers the other way round
    expect(
      row(solver.adv, 0)
        .slice(0, 3)
        .every((a) => a > 0),
    ).toBe(true);
    expect(
      row(solver.adv, 1)
        .slice(0, 3)
        .every((a) => a < 0),
    ).toBe(true);
    expect(
      row(checker.adv, 0)
        .slice(6)
        .every((a) => a < 0),
    ).toBe(true);
    expect(
      row(checker.adv, 1)
        .slice(6)
        .every((a) => a > 0),
    ).toBe(true);
    // environment tokens never carry an advantage
    for (const m of [solver.adv, checker.adv]) expect([row(m, 0), row(m, 1)].every((r) => r.slice(3, 6).every((a) => a === 0))).toBe(true);
    // one agent (null): the episode reward, all policy tokens
    const both = agentAdvantages(ts, null, rl, cols);
    expect(row(both.mask, 0)).toEqual([1, 1, 1, 0, 0, 0, 1, 1]);
    expect(row(both.adv, 0).every((a) => a === 0)).toBe(true); // equal totals: no preference
  });

  it("ArCHer: TD targets at the turn positions, advantages Q - V on each turn's tokens", async () => {
    const config = presetConfig('tiny', { vocabSize: 40, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 32, valueHead: true });
    const w = initHostWeights(config, 5);
    const t = duo(0, 0.25, 1);
    const ep = toReplay(t);
    expect(ep.spans).toEqual([
      { stateEnd: 2, actionEnd: 5 },
      { stateEnd: 8, actionEnd: 10 },
    ]);
    const [tg] = await archerTargets(w, config, [ep], 0.9);
    const [v] = await valuesAtAllPositions(w, config, [t.ids]);
    expect(tg.positions).toEqual([5, 2, 10, 8]);
    expect(tg.targets[0]).toBeCloseTo(0.25 + 0.9 * v[8], 5); // Q(s0,a0) <- r0 + gamma Vbar(s1)
    expect(tg.targets[1]).toBeCloseTo(v[5], 5); // V(s0) <- Qbar(s0, a0)
    expect(tg.targets[2]).toBeCloseTo(1, 5); // last turn: r_T (Vbar(terminal) = 0)
    expect(tg.targets[3]).toBeCloseTo(v[10], 5);
    const cols = t.mask.length;
    const a = await archerAdvantages(w, config, [t], cols);
    const adv = Array.from(a.adv);
    for (let k = 0; k < 3; k++) expect(adv[k]).toBeCloseTo(v[5] - v[2], 5);
    for (let k = 3; k < 6; k++) expect(adv[k]).toBe(0);
    for (let k = 6; k < 8; k++) expect(adv[k]).toBeCloseTo(v[10] - v[8], 5);

    // actor_advantage 'gae': the observed turn rewards with V(s_t) as baseline, GAE over turns
    const g = Array.from((await archerAdvantages(w, config, [t], cols, { gamma: 0.9, lambda: 0.5 })).adv);
    const d1 = 1 - v[8]; // last turn: r_T + 0 - V(s_1)
    const d0 = 0.25 + 0.9 * v[8] - v[2];
    for (let k = 0; k < 3; k++) expect(g[k]).toBeCloseTo(d0 + 0.9 * 0.5 * d1, 5);
    for (let k = 3; k < 6; k++) expect(g[k]).toBe(0);
    for (let k = 6; k < 8; k++) expect(g[k]).toBeCloseTo(d1, 5);
  });

  it('turn GAE: lambda 1 is the observed return minus V, lambda 0 the one-step TD error', () => {
    const v = [0.5, 0.2, 0.7];
    const r = [0, 0.5, 1];
    const g1 = turnGae(v, r, 1, 1);
    expect(g1[0]).toBeCloseTo(1.5 - 0.5, 9);
    expect(g1[1]).toBeCloseTo(1.5 - 0.2, 9);
    expect(g1[2]).toBeCloseTo(1 - 0.7, 9);
    const g0 = turnGae(v, r, 0.9, 0);
    expect(g0[0]).toBeCloseTo(0 + 0.9 * 0.2 - 0.5, 9);
    expect(g0[1]).toBeCloseTo(0.5 + 0.9 * 0.7 - 0.2, 9);
    expect(g0[2]).toBeCloseTo(1 - 0.7, 9);
  });
});
