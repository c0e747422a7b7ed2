/**
 * RL of Thoughts (src/reasoning/navigator): the navigator's hand-written gradient matches finite
 * differences (masked softmax, entropy term), REINFORCE moves it toward a rewarded block, the
 * blocks run on Game of 24 through rlmkit's operators within the token budget, fixed strategies
 * and the navigator are compared on the same problems, and bad weights are one clear error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { BLOCKS, FEATURES } from '../../src/reasoning/navigator/blocks.js';
import { Navigator } from '../../src/reasoning/navigator/navigator.js';
import { fixedChooser, loadNavigator, navigatorChooser } from '../../src/reasoning/navigator/strategy.js';
import { evalArms, runEpisode, trainNavigator } from '../../src/reasoning/navigator/train.js';
import { getTask } from '../../src/tasks/registry.js';

describe('navigator', () => {
  it('has under 3K parameters (229 with 8 features, 16 hidden, 5 blocks)', () => {
    expect(new Navigator(FEATURES, 16, BLOCKS).size).toBe(229);
  });

  it('its gradient of log π(a|x) + β·H, masked, matches central finite differences', () => {
    const nav = new Navigator(FEATURES, 6, BLOCKS, undefined, 3);
    for (let i = 0; i < nav.size; i++) nav.params[i] += Math.sin(i * 1.7) * 0.3; // away from the near-uniform init
    const x = [1, 0.5, 0, 1, 0.3, 0.25, 0.6, 0.8];
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
    const x = [1, 0, 0, 0, 0, 0, 0.5, 0];
    const before = nav.probs(x)[2];
    for (let t = 0; t < 20; t++) {
      const grad = new Float64Array(nav.size);
      nav.accumulate(grad, x, 2, 1, 0);
      nav.ascend(grad, 0.2);
    }
    expect(nav.probs(x)[2]).toBeGreaterThan(before + 0.3);
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
      expect(r.perProblem).toEqual([{ problemId: single[0].id, correct: expect.any(Number), n: 2 }]);
      expect(r.completionTokensPerProblem).toBeLessThanOrEqual(100);
    }
  });
});
