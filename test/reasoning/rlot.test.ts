/**
 * RL of Thoughts (src/reasoning/navigator): the navigator's hand-written gradient matches finite
 * differences (masked softmax, entropy term), REINFORCE moves it toward a rewarded block, the
 * learned baseline fits the returns per state, the blocks run on Game of 24 through rlmkit's
 * operators within the token budget and follow the value model (decompose and refine move to the
 * best-rated untried step), fixed strategies and the navigator are compared on the same problems,
 * the transfer puzzles are solvable and never target 24, and bad weights are one clear error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { BLOCKS, FEATURES } from '../../src/reasoning/navigator/blocks.js';
import { Navigator } from '../../src/reasoning/navigator/navigator.js';
import { fixedChooser, loadNavigator, navigatorChooser } from '../../src/reasoning/navigator/strategy.js';
import { LinearBaseline, evalArms, runEpisode, trainNavigator } from '../../src/reasoning/navigator/train.js';
import { game24TargetProblems } from '../../src/cli/bench/rlot.js';
import type { ValueModel } from '../../src/models/types.js';
import { countPaths } from '../../src/tasks/games/path-sampler.js';
import { getTask } from '../../src/tasks/registry.js';

/**
 * A value model that knows Game of 24: +1 when the numbers left in the state can still make the
 * target (exact search), −1 otherwise. States are the policy's plain text, "4 4 6 8|4+8=12 (4 6 12)\n".
 */
class SolvableValue implements ValueModel {
  readonly id = 'solvable';
  async value(states: string[]): Promise<number[]> {
    return states.map((s) => {
      const [prompt, body] = s.split('|');
      const target = /=(\d+)/.exec(prompt)?.[1];
      const lines = body.split('\n').filter(Boolean);
      const left = lines.length ? /\(([^)]*)\)\s*$/.exec(lines[lines.length - 1])?.[1] : prompt.replace(/=.*/, '');
      const numbers = (left ?? '').trim().split(/\s+/).map(Number);
      if (numbers.some((n) => !Number.isInteger(n))) return 0; // a fraction left: unknown here
      const paths = countPaths(numbers, { target: Number(target ?? 24), useAll: true, integerOnly: false });
      return paths === undefined ? 0 : paths > 0 ? 1 : -1;
    });
  }
}

describe('navigator', () => {
  it('has under 3K parameters (293 with 12 features, 16 hidden, 5 blocks)', () => {
    expect(new Navigator(FEATURES, 16, BLOCKS).size).toBe(12 * 16 + 16 + 16 * 5 + 5);
    expect(new Navigator(FEATURES, 16, BLOCKS).size).toBeLessThan(3000);
  });

  it('its gradient of log π(a|x) + β·H, masked, matches central finite differences', () => {
    const nav = new Navigator(FEATURES, 6, BLOCKS, undefined, 3);
    for (let i = 0; i < nav.size; i++) nav.params[i] += Math.sin(i * 1.7) * 0.3; // away from the near-uniform init
    const x = [1, 0.5, 0, 1, 0.3, 0.25, 0.6, 0.8, 0.1, 0, 1, 0.4];
    const allowed = [true, false, true, true, true];
    const a = 2;
    const beta = 0.3;
    const objective = () => {
      const p = nav.probs(x, allowed);
      const h = -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);
      return Math.log(p[a]) + beta * h;
    };
    const grad = new Float64Array(nav.size);
    nav.accumulate(grad, x, a, 1, beta, allowed);
    const eps = 1e-6;
    for (let i = 0; i < nav.size; i++) {
      const keep = nav.params[i];
      nav.params[i] = keep + eps;
      const up = objective();
      nav.params[i] = keep - eps;
      const down = objective();
      nav.params[i] = keep;
      expect(grad[i]).toBeCloseTo((up - down) / (2 * eps), 6);
    }
  });

  it('REINFORCE steps raise the probability of a rewarded block', () => {
    const nav = new Navigator(FEATURES, 16, BLOCKS, undefined, 1);
    const x = [1, 0, 0.5, 0.5, 0, 0, 0, 1, 0, 0, 0, 0];
    const before = nav.probs(x)[2];
    for (let t = 0; t < 20; t++) {
      const grad = new Float64Array(nav.size);
      nav.accumulate(grad, x, 2, 1, 0);
      nav.ascend(grad, 0.2);
    }
    expect(nav.probs(x)[2]).toBeGreaterThan(before + 0.3);
  });

  it("REINFORCE's learned baseline fits the expected return of each state", () => {
    const critic = new LinearBaseline(3, 0.2);
    const rng = {
      s: 1,
      next() {
        return (this.s = (this.s * 16807) % 2147483647) / 2147483647;
      },
    };
    for (let t = 0; t < 400; t++) {
      const pairs = Array.from({ length: 512 }, () => {
        const hard = rng.next() < 0.5 ? 1 : 0;
        return { x: [1, hard, 0.5], g: rng.next() < (hard ? 0.2 : 0.8) ? 1 : 0 };
      });
      critic.fit(pairs);
    }
    expect(critic.predict([1, 0, 0.5])).toBeCloseTo(0.8, 1);
    expect(critic.predict([1, 1, 0.5])).toBeCloseTo(0.2, 1);
  });

  it('round-trips its weights; unreadable or malformed files are one clear error', () => {
    const nav = new Navigator(FEATURES, 16, BLOCKS, undefined, 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlot-'));
    const file = path.join(dir, 'nav.json');
    fs.writeFileSync(file, JSON.stringify(nav.toJSON()));
    expect([...loadNavigator(file).params]).toEqual([...nav.params]);
    fs.writeFileSync(file, '{"params": [1, 2]}');
    expect(() => loadNavigator(file)).toThrow(/not navigator weights/);
    expect(() => loadNavigator(path.join(dir, 'missing.json'))).toThrow(/cannot read navigator weights/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('logic blocks on Game of 24', () => {
  const task = getTask('game24');

  it('each fixed block and the navigator run within the budget and choose only allowed blocks', async () => {
    const problems = (await task.problems({ split: 'test' })).slice(0, 6);
    const policy = new LegalUniformPolicy(0);
    const nav = new Navigator(FEATURES, 16, BLOCKS, undefined, 2);
    for (const p of problems) {
      policy.attach(task, p);
      for (const choose of [
        fixedChooser('reason'),
        fixedChooser('decompose'),
        fixedChooser('debate'),
        fixedChooser('terminate'),
        navigatorChooser(nav),
      ]) {
        const e = await runEpisode(p, choose, { task, policy, budgetTokens: 120 }, 1);
        expect(e.completionTokens).toBeLessThanOrEqual(120);
        expect(e.decisions.length).toBeGreaterThan(0);
        for (const d of e.decisions) expect(d.allowed[d.a]).toBe(true);
      }
    }
  });

  it('decompose and refine move to the untried step the value model rates best; without one the value features are neutral', async () => {
    const problems = (await task.problems({ split: 'test' })).slice(0, 4);
    const value = new SolvableValue();
    let compared = 0;
    for (const p of problems) {
      const policy = new LegalUniformPolicy(3);
      // decompose at the root, then refine (to the next best sibling) while siblings are left
      const choose = (x: number[], allowed: boolean[]) => {
        expect(x).toHaveLength(FEATURES);
        if (x[1] > 0 && x[4] > 0) {
          // standing on a step chosen by value: no untried sibling is rated higher
          expect(x[2]).toBeGreaterThanOrEqual(x[4]);
          compared++;
        }
        return x[1] === 0 ? 1 : allowed[3] && x[4] > 0 ? 3 : 2;
      };
      const e = await runEpisode(p, choose, { task, policy, value, budgetTokens: 200, maxBlocks: 8 }, 2);
      expect(e.decisions.map((d) => BLOCKS[d.a])[0]).toBe('decompose');
      const neutral = await runEpisode(p, (x) => (expect(x[2]).toBe(0.5), 2), { task, policy, budgetTokens: 60, maxBlocks: 1 }, 2);
      expect(neutral.decisions).toHaveLength(1);
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('trains on a few problems and compares arms on the same problems and seeds', async () => {
    const problems = (await task.problems({ split: 'test' })).slice(0, 4);
    const policy = new LegalUniformPolicy(0);
    // The legal-uniform policy answers only for the problem it is attached to: one problem at a time.
    const single = problems.slice(0, 1);
    policy.attach(task, single[0]);
    const { navigator, curve } = await trainNavigator({
      task,
      policy,
      problems: single,
      budgetTokens: 100,
      episodes: 4,
      batch: 2,
      seed: 1,
    });
    expect(curve.map((c) => c.episodes)).toEqual([2, 4]);
    const arms = await evalArms({ navigator: navigatorChooser(navigator), debate: fixedChooser('debate') }, single, {
      task,
      policy,
      budgetTokens: 100,
      seeds: 2,
      concurrency: 1,
    });
    for (const r of Object.values(arms)) {
      expect(r.perProblem).toEqual([{ problemId: single[0].id, correct: expect.any(Number), n: 2, completionTokens: expect.any(Number) }]);
      expect(r.perProblem[0].completionTokens).toBeLessThanOrEqual(200);
      expect(r.completionTokensPerProblem).toBeLessThanOrEqual(100);
      expect(Object.values(r.blockShares).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    }
    expect(arms.debate.blockShares.debate).toBeGreaterThan(0);
  });
});

describe('transfer puzzles (game24-targets)', () => {
  it('are solvable, never target 24, differ from each other and are the same for the same seed', async () => {
    const task = getTask('game24');
    const a = game24TargetProblems(30, 4);
    expect(game24TargetProblems(30, 4)).toEqual(a);
    expect(game24TargetProblems(30, 5)).not.toEqual(a);
    expect(new Set(a.map((p) => JSON.stringify(p.data))).size).toBe(30);
    for (const p of a) {
      const d = p.data as { numbers: number[]; target: number };
      expect(d.target).not.toBe(24);
      expect(task.renderPlain(p, [])).toContain(`=${d.target}|`);
      const path = task.solve!(p);
      expect(path).not.toBeNull();
      const answer = task.checkStep!(p, path!).answer ?? null;
      expect((await task.verify(answer, p)).correct).toBe(true);
    }
  });
});

describe('bench rlot options', () => {
  it('an unknown arm, or a --reuse file from other settings, is one clear usage error', async () => {
    const { rlotBench } = await import('../../src/cli/bench/rlot.js');
    const base = { value: 'none', valueSteps: 1, episodes: 0, batch: 1, lr: 0.1, entropy: 0, budget: 60, seeds: 1, limit: 1, extra: 0 };
    const o = { ...base, transfer: 'none', transferLimit: 1, seed: 0 };
    await expect(rlotBench.run({ ...o, arms: 'fixed:nope' })).rejects.toThrow(/unknown arm "fixed:nope"/);
    await expect(rlotBench.run({ ...o, episodes: 1, trainOn: 'nope' })).rejects.toThrow(/--train-on: unknown set "nope"/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlot-reuse-'));
    const file = path.join(dir, 'earlier.json');
    fs.writeFileSync(file, JSON.stringify({ budget: { completionTokens: 240, seeds: 1, seed: 0 }, game24: { raw: {} } }));
    await expect(rlotBench.run({ ...o, arms: 'fixed:terminate', reuse: file })).rejects.toThrow(/another budget/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
