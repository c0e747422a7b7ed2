/**
 * The start of the asynchronous-RL tests: 12 generated Game of 24 puzzles and a tiny from-scratch
 * policy (d 32, one layer) with the task's tokenizer, so a few async steps run in seconds.
 */
import { initEngine } from '../../src/engine/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { Problem } from '../../src/tasks/types.js';
import { type LoadedModel, startingModel } from '../../src/training/models.js';
import { tokenizerForTask } from '../../src/training/tasks.js';

export async function tinyGame24Start(): Promise<{ problems: Problem[]; start: LoadedModel }> {
  await initEngine();
  const problems = await game24Task.problems({ split: 'generated', limit: 12, seed: 4 });
  const tok = tokenizerForTask(game24Task as never, problems, 1, ['?']);
  const start = startingModel(
    { preset: 'tiny', init: null, d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 64 } as never,
    tok,
    3,
  );
  return { problems, start };
}
