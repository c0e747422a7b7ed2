/**
 * Value / PRM training from MCTS traces: a tiny model learns the step labels of a hand-built trace,
 * and the checkpoint serves as src/models' EmbeddedValueModel, which reads the same states.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import { EmbeddedValueModel } from '../../src/models/embedded.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { trainValue } from '../../src/training/pipeline.js';
import { valueExamplesFromTraces } from '../../src/training/value.js';
import { mctsTrace } from '../data/fixtures.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-value-'));
  fs.mkdirSync(path.join(root, 'traces'));
  fs.writeFileSync(path.join(root, 'traces', 'a.json'), JSON.stringify(mctsTrace('game24/train/1', [4, 4, 6, 8])));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('value and PRM training from traces', () => {
  it('targets: backed-up q, or +1/-1 outcome labels', () => {
    const q = valueExamplesFromTraces(path.join(root, 'traces'), 'q', 1);
    expect(q.find((e) => e.steps.join('|') === '4+8=12 (4 6 12)')?.target).toBe(0.5);
    const outcome = valueExamplesFromTraces(path.join(root, 'traces'), 'outcome', 0);
    expect(outcome).toHaveLength(9);
    expect(outcome.find((e) => e.steps.at(-1) === '4*4=16 (16 6 8)')?.target).toBe(-1);
  });

  it('a PRM learns the step labels and loads as an EmbeddedValueModel', async () => {
    const recipe = validateConfig(
      RecipeSchema,
      {
        kind: 'train',
        pipeline: 'prm',
        run: { name: 'prm', root, seed: 1 },
        task: { name: 'game24', split: 'train', limit: 20 },
        model: { preset: 'tiny', d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 64 },
        checkpoint_every: 100,
        log_every: 20,
        value: {
          steps: 120,
          batch_size: 9,
          traces: path.join(root, 'traces'),
          target: 'outcome',
          min_visits: 0,
          optim: { lr: 0.01, schedule: 'constant', weight_decay: 0 },
        },
      },
      'test',
    );
    const r = await trainValue(recipe, { progress: 'silent' });
    expect(Object.keys(r.checkpoints)).toEqual(['prm']);
    const metrics = fs
      .readFileSync(path.join(root, 'prm', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.at(-1).loss).toBeLessThan(metrics[0].loss);
    const vm = await EmbeddedValueModel.load(r.checkpoints.prm);
    const examples = valueExamplesFromTraces(path.join(root, 'traces'), 'outcome', 0);
    const values = await vm.value(
      examples.map((e) => game24Task.renderPlain(e.problem as Parameters<typeof game24Task.renderPlain>[0], e.steps)),
    );
    await vm.close();
    const agree = values.filter((v, i) => Math.sign(v) === Math.sign(examples[i].target)).length;
    expect(agree).toBeGreaterThanOrEqual(8);
  });
});
