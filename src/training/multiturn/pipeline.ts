/**
 * The multi-turn pipelines of `rlmkit train`: multiturn-sft (SFT on solver episodes),
 * multiturn-grpo (GRPO family over episodes), archer (ArCHer's critic) and marft (several agents).
 */
import { usageError } from '../../core/index.js';
import { CharTokenizer } from '../../engine/index.js';
import { getTask } from '../../tasks/registry.js';
import { isMultiTurnTask, type MultiTurnTask } from '../../tasks/multiturn/types.js';
import type { Problem } from '../../tasks/types.js';
import { startingModel } from '../models.js';
import { type Recipe, sftSection } from '../recipe.js';
import { type RunOptions, TrainingRun } from '../run.js';
import { runMultiturnRlPhase } from './rl.js';
import { MultiturnSectionSchema } from './section.js';
import { runMultiturnSftPhase } from './sft.js';

/** Every printable ASCII character: tool outputs and error messages stay readable to the policy. */
export function multiturnTokenizer(): CharTokenizer {
  return CharTokenizer.fromTexts([Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')]);
}

export function resolveMultiturnTask(name: string): MultiTurnTask {
  const t = getTask(name);
  if (!isMultiTurnTask(t))
    throw usageError(
      `task "${name}" is single-turn; multi-turn pipelines train on multi-turn tasks`,
      'see `rlmkit tasks` (kind multi-turn)',
    );
  return t;
}

/** multiturn.solver_strategies checked against the task's strategies (usage error naming them). */
export function solverStrategies(task: MultiTurnTask, mix: Record<string, number> | null): { name: string; weight: number }[] | null {
  if (!mix) return null;
  const known = task.solverStrategies ?? [];
  const names = Object.keys(mix);
  const hint = known.length > 0 ? `use ${known.join(', ')}` : 'remove multiturn.solver_strategies';
  for (const n of names)
    if (!known.includes(n))
      throw usageError(
        `multiturn.solver_strategies: task ${task.name} has no solver strategy "${n}"${known.length ? ` (it has ${known.join(', ')})` : ' (it has one solver)'}`,
        hint,
      );
  if (names.reduce((a, n) => a + mix[n], 0) <= 0)
    throw usageError('multiturn.solver_strategies: the weights sum to 0', 'give at least one strategy a positive weight');
  return names.map((name) => ({ name, weight: mix[name] }));
}

export async function trainMultiturn(
  recipe: Recipe,
  o: RunOptions = {},
): Promise<{ run: string; pipeline: string; checkpoints: Record<string, string>; phases: Record<string, unknown> }> {
  const task = resolveMultiturnTask(recipe.task.name);
  const mt = recipe.multiturn ?? MultiturnSectionSchema.parse({});
  const strategies = solverStrategies(task, mt.solver_strategies);
  const problems = await task.problems({ split: recipe.task.split, limit: recipe.task.limit ?? undefined });
  if (problems.length === 0)
    throw usageError(`task ${task.name} split "${recipe.task.split}" holds no problems`, 'check task.split and task.limit');
  const run = TrainingRun.open(recipe, o);
  const tok = multiturnTokenizer();
  const common = { run, task, problems, seed: recipe.run.seed, checkpointEvery: recipe.checkpoint_every };
  if (recipe.pipeline === 'multiturn-sft') {
    const start = startingModel(recipe.model, tok, recipe.run.seed, { kind: 'policy' });
    const r = await runMultiturnSftPhase({ ...common, phase: 'sft', start, sft: sftSection(recipe), tools: mt.tools, strategies });
    run.writeFinal({ policy: r.checkpoint });
    return { run: run.dir.dir, pipeline: recipe.pipeline, checkpoints: { policy: r.checkpoint }, phases: { sft: r } };
  }
  const rl = recipe.rl!;
  const start = startingModel(recipe.model, tok, recipe.run.seed, { kind: 'policy' });
  const separate = recipe.pipeline === 'marft' && !mt.marft.shared_weights && task.agents.length > 1;
  const starts = separate ? task.agents.map(() => start) : [start];
  const evalProblems: Problem[] =
    rl.eval_problems > 0 && task.splits.includes('test') ? await task.problems({ split: 'test', limit: rl.eval_problems }) : [];
  const r = await runMultiturnRlPhase({
    ...common,
    phase: recipe.pipeline,
    evalProblems,
    starts,
    rl,
    mt,
    mode: recipe.pipeline === 'archer' ? 'archer' : 'group',
  });
  const checkpoints: Record<string, string> = separate
    ? Object.fromEntries(task.agents.map((a, i) => [i === 0 ? 'policy' : `policy_${a}`, r.checkpoints[i]]))
    : { policy: r.checkpoints[0] };
  run.writeFinal(checkpoints);
  return { run: run.dir.dir, pipeline: recipe.pipeline, checkpoints, phases: { [recipe.pipeline]: r } };
}
