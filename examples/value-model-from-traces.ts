/**
 * Train a value model from search traces (x1 / ReST-MCTS style): run MCTS with the shipped Game of
 * 24 policy, write each search's trace (every node with its visit count and backed-up q), then fit
 * a value model V(s) in [-1, 1] to those q values with the `value` training pipeline, and use it to
 * score a few states.
 *
 * The same traces feed `rlmkit data export` (SFT, preference pairs, process labels).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getTask, openPolicy, openValueModel, RecipeSchema, runRecipe, shippedCheckpoint, solveMany } from 'rlmkit';
import { writeTrace } from 'rlmkit/reasoning';

const toy = process.env.RLMKIT_EXAMPLE_SIZE === 'toy';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-value-example-'));
const traces = path.join(work, 'traces');
fs.mkdirSync(traces);

// 1. Search: MCTS on training puzzles (never the test split), one trace file per puzzle.
const task = getTask('game24');
const puzzles = (await task.problems({ split: 'train', seed: 0 })).slice(0, toy ? 3 : 24);
const policy = await openPolicy(`embedded:${shippedCheckpoint('game24-sft')}`);
try {
  const { results } = await solveMany(puzzles, {
    task,
    strategy: 'mcts',
    settings: { simulations: toy ? 4 : 24, children: 4 },
    models: { policy },
    seed: 0,
  });
  results.forEach((r, i) => writeTrace(path.join(traces, `${i}.json`), r.trace!));
  console.log(`searched ${results.length} puzzles, solved ${results.filter((r) => r.correct).length}`);
} finally {
  await policy.close?.();
}

// 2. Train: the `value` pipeline regresses each visited state's backed-up q (MSE), starting from
// the policy's weights with a fresh scalar head. Everything lands in a resumable run directory.
const recipe = RecipeSchema.parse({
  pipeline: 'value',
  run: { name: 'value-from-traces', root: work, seed: 0 },
  task: { name: 'game24' },
  model: { init: shippedCheckpoint('game24-sft') },
  value: { traces, target: 'q', steps: toy ? 4 : 150, batch_size: 32 },
});
const trained = await runRecipe(recipe, { progress: 'silent' });
const checkpoint = trained.checkpoints.value;
console.log(`value model: ${checkpoint}`);

// 3. Use: score states as the policy sees them (prompt + steps so far).
const value = await openValueModel(`embedded:${checkpoint}`);
try {
  const [good] = await task.problems({ split: 'test', limit: 1 });
  const states = [task.renderPlain(good, []), task.renderPlain(good, ['99*99=9801 (9801)'])];
  const v = await value.value(states);
  console.log(`V(start) = ${v[0].toFixed(3)}, V(nonsense step) = ${v[1].toFixed(3)}`);
} finally {
  await value.close?.();
}
