/**
 * MoDoMoDo's mixture search: the Scheffé quadratic outcome model against values computed by hand,
 * the simplex grid, and a toy search over recipes/game24-countdown-mixture.yaml with real runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import {
  bestPredictedMixture,
  defaultCandidates,
  fitMixtureModel,
  mixtureFeatures,
  predictMixture,
  runMixtureSearch,
  simplexGrid,
  solveLinear,
} from '../../src/training/mixture-search.js';
import { RecipeSchema } from '../../src/training/recipe.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-mixture-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('mixture outcome model (Scheffé quadratic)', () => {
  it('features: w_i, then w_i w_j for i < j', () => {
    const f = mixtureFeatures([0.2, 0.3, 0.5]);
    [0.2, 0.3, 0.5, 0.06, 0.1, 0.15].forEach((x, i) => expect(f[i]).toBeCloseTo(x, 12));
  });

  it('solves linear systems', () => {
    const x = solveLinear(
      [
        [2, 1],
        [1, 3],
      ],
      [3, 5],
    );
    expect(x[0]).toBeCloseTo(0.8, 12);
    expect(x[1]).toBeCloseTo(1.4, 12);
    expect(() => solveLinear([[0]], [1])).toThrow(/singular/);
  });

  it('recovers y = 0.3 w1 + 0.5 w2 + 0.8 w1 w2 from three runs and finds its maximum at w1 = 0.375', () => {
    const truth = (w: number[]) => 0.3 * w[0] + 0.5 * w[1] + 0.8 * w[0] * w[1];
    const ws = defaultCandidates(2);
    expect(ws).toEqual([
      [1, 0],
      [0, 1],
      [0.5, 0.5],
    ]);
    const m = fitMixtureModel(ws, ws.map(truth), 1e-12);
    [0.3, 0.5, 0.8].forEach((c, i) => expect(m.coef[i]).toBeCloseTo(c, 6));
    expect(predictMixture(m, [0.25, 0.75])).toBeCloseTo(truth([0.25, 0.75]), 6);
    // dy/dw1 = 0.3 - 0.5 + 0.8 (1 - 2 w1) = 0  ->  w1 = 0.375, y = 0.6125
    const best = bestPredictedMixture(m, 40);
    expect(best.weights[0]).toBeCloseTo(0.375, 12);
    expect(best.predicted).toBeCloseTo(0.6125, 6);
  });

  it('enumerates the simplex grid', () => {
    const g = simplexGrid(3, 2);
    expect(g).toHaveLength(6);
    for (const w of g) expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(defaultCandidates(3)).toHaveLength(7);
    expect(() => fitMixtureModel([[1, 0]], [1, 2])).toThrow(/1 mixtures for 2 outcomes/);
  });
});

describe('mixture search (toy size, real runs)', () => {
  it('runs one short RL run per candidate mixture, fits the model and picks a mixture', async () => {
    const recipe = loadConfig(RecipeSchema, 'recipes/game24-countdown-mixture.yaml', [
      'rl.steps=1',
      'rl.prompts_per_step=4',
      'rl.group_size=2',
      'rl.mini_batches=1',
      'rl.rollout.max_new_tokens=40',
      'rl.eval_problems=3',
      'rl.eval_every=1',
      'checkpoint_every=1',
    ]);
    const r = await runMixtureSearch(recipe, { root, name: 'mix', resolution: 10 });
    expect(r.tasks).toEqual(['game24', 'countdown']);
    expect(r.runs.map((x) => x.weights)).toEqual(defaultCandidates(2));
    for (const x of r.runs) {
      expect(x.outcome).toBeCloseTo((x.perTask.game24 + x.perTask.countdown) / 2, 12);
      expect(fs.existsSync(path.join(x.run, 'metrics.jsonl'))).toBe(true);
    }
    expect(r.best.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Number.isFinite(r.best.predicted)).toBe(true);
  }, 600_000);
});
