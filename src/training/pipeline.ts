/**
 * `runRecipe`: opens the run directory, builds the task, tokenizer and starting models, and runs the
 * recipe's pipeline as a sequence of resumable phases (./run.ts). The named entry points
 * (`trainSft`, `trainRl`, `trainValue`, ...) are what `rlmkit train` and `rlmkit demo` call.
 */
import { runtimeError, usageError } from '../core/index.js';
import { withTrainEngine } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { type LoadedModel, startingModel } from './models.js';
import { type Recipe, sftSection, valueSection } from './recipe.js';
import { type RunOptions, TrainingRun } from './run.js';
import { resolveReward } from './rewards.js';
import { type RlResult, runRlPhase } from './rl.js';
import { openMixture } from './rl/mixture.js';
import { runSftPhase, type SftResult } from './sft.js';
import { runValuePhase, valueExamplesFromRollouts, valueExamplesFromTraces, type ValueExample } from './value.js';
import { withValueHead } from './models.js';
import { runDpoPhase } from './dpo.js';
import { runRest } from './rest.js';
import { runX1 } from './x1.js';
import { openRlReward } from './rm-reward.js';
import { trainRewardModelFrom } from './rm-pipeline.js';
import { resolveTask, tokenizerForTask } from './tasks.js';
import { trainMultiturn } from './multiturn/pipeline.js';
import { trainAsyncRl } from './async/pipeline.js';
import { trainGenrm } from './genrm/pipeline.js';

export interface PipelineContext {
  recipe: Recipe;
  run: TrainingRun;
  task: Task<Problem>;
  problems: Problem[];
  /** The policy a pipeline starts from (init checkpoint or fresh preset weights). */
  policy: LoadedModel;
}

export interface PipelineResult {
  run: string;
  pipeline: string;
  /** Final model files by kind (policy, value, critic, prm). */
  checkpoints: Record<string, string>;
  phases: Record<string, unknown>;
}

/** `extraTexts`: text the data will show beyond the task's prompts and solutions (e.g. trace steps). */
export async function openPipeline(recipe: Recipe, o: RunOptions = {}, extraTexts: readonly string[] = []): Promise<PipelineContext> {
  const task = resolveTask(recipe.task.name);
  const problems = await task.problems({
    split: recipe.task.split,
    limit: recipe.task.limit ?? undefined,
    path: recipe.task.path ?? undefined,
  });
  if (problems.length === 0)
    throw usageError(`task ${task.name} split "${recipe.task.split}" holds no problems`, 'check task.split, task.limit and task.path');
  const run = TrainingRun.open(recipe, o);
  const tokenizer = tokenizerForTask(task, problems, 300, extraTexts);
  const policy = startingModel(recipe.model, tokenizer, recipe.run.seed, { kind: 'policy' });
  return { recipe, run, task, problems, policy };
}

/** Supervised fine-tuning pipeline (pipeline: sft). */
export async function trainSft(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const ctx = await openPipeline(recipe, o);
  const r: SftResult = await runSftPhase({
    run: ctx.run,
    phase: 'sft',
    task: ctx.task,
    problems: ctx.problems,
    start: ctx.policy,
    sft: sftSection(recipe),
    seed: recipe.run.seed,
    checkpointEvery: recipe.checkpoint_every,
    logEvery: recipe.log_every,
  });
  ctx.run.writeFinal({ policy: r.checkpoint });
  return { run: ctx.run.dir.dir, pipeline: 'sft', checkpoints: { policy: r.checkpoint }, phases: { sft: r } };
}

/** Held-out problems for evaluation: the task's test split (never trained on), first `n`. */
export async function heldOutProblems(task: Task<Problem>, n: number): Promise<Problem[]> {
  if (n === 0 || !task.splits.includes('test')) return [];
  return task.problems({ split: 'test', limit: n });
}

/** RL on verifiable rewards (pipeline: rl): GRPO family, REINFORCE++, PPO with a critic. */
export async function trainRl(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const ctx = await openPipeline(recipe, o);
  const rl = recipe.rl!;
  // rl.mixture: several tasks stand in for task.* (src/training/rl/mixture.ts)
  const mixture = rl.mixture ? await openMixture(rl.mixture.tasks, resolveTask, ctx.policy.tokenizer, rl.eval_problems) : undefined;
  const task = mixture?.task ?? ctx.task;
  // rl.reward may be a trained reward model (RLMT, ./rm-reward.ts), opened once and closed after the run
  const reward = openRlReward(rl.reward, task);
  const r: RlResult = await runRlPhase({
    run: ctx.run,
    phase: 'rl',
    task,
    problems: mixture?.problems ?? ctx.problems,
    evalProblems: mixture?.evalProblems ?? (await heldOutProblems(ctx.task, rl.eval_problems)),
    mixture,
    start: ctx.policy,
    rl,
    reward,
    seed: recipe.run.seed,
    checkpointEvery: recipe.checkpoint_every,
    logEvery: recipe.log_every,
  }).finally(() => reward.dispose());
  const checkpoints: Record<string, string> = { policy: r.checkpoint };
  if (r.critic) checkpoints.critic = r.critic;
  ctx.run.writeFinal(checkpoints);
  return { run: ctx.run.dir.dir, pipeline: 'rl', checkpoints, phases: { rl: r } };
}

/**
 * Value / Q model (pipeline: value) or process reward model (pipeline: prm): from MCTS traces
 * (value.traces) or, without traces, from Monte Carlo rollouts of the init policy.
 */
export async function trainValue(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const value = valueSection(recipe);
  const kind = recipe.pipeline === 'prm' ? 'prm' : 'value';
  const fromTraces = value.traces ? valueExamplesFromTraces(value.traces, value.target, value.min_visits) : null;
  const ctx = await openPipeline(recipe, o, fromTraces ? fromTraces.map((e) => e.steps.join('\n')) : []);
  let examples: ValueExample[];
  if (fromTraces) examples = fromTraces;
  else {
    if (!recipe.model.init)
      throw usageError(
        `pipeline ${recipe.pipeline} without value.traces labels states with rollouts of a policy, but model.init is not set`,
        'set value.traces to a folder of MCTS traces, or model.init to a policy checkpoint',
      );
    examples = await valueExamplesFromRollouts(
      ctx.policy,
      ctx.task,
      ctx.problems.slice(0, 256),
      4,
      resolveReward('verifier', ctx.task),
      recipe.run.seed,
      64,
    );
  }
  const r = await runValuePhase({
    run: ctx.run,
    phase: kind,
    task: ctx.task,
    examples,
    start: withValueHead(ctx.policy, true, recipe.run.seed),
    value,
    kind,
    seed: recipe.run.seed,
    checkpointEvery: recipe.checkpoint_every,
  });
  ctx.run.writeFinal({ [kind]: r.checkpoint });
  return { run: ctx.run.dir.dir, pipeline: recipe.pipeline, checkpoints: { [kind]: r.checkpoint }, phases: { [kind]: r } };
}

/** A Bradley-Terry reward model from preference pairs (pipeline: rm; ./rm-pipeline.ts). */
export async function trainRewardModel(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const ctx = await openPipeline(recipe, o);
  const r = await trainRewardModelFrom({ ...ctx, heldOutProblems: await heldOutProblems(ctx.task, recipe.rm?.held_out_problems ?? 200) });
  ctx.run.writeFinal({ reward: r.checkpoint });
  return { run: ctx.run.dir.dir, pipeline: 'rm', checkpoints: { reward: r.checkpoint }, phases: { rm: r } };
}

/** DPO from preference pairs (pipeline: dpo). */
export async function trainDpo(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const ctx = await openPipeline(recipe, o);
  const r = await runDpoPhase({
    run: ctx.run,
    phase: 'dpo',
    task: ctx.task,
    start: ctx.policy,
    dpo: recipe.dpo!,
    seed: recipe.run.seed,
    checkpointEvery: recipe.checkpoint_every,
  });
  ctx.run.writeFinal({ policy: r.checkpoint });
  return { run: ctx.run.dir.dir, pipeline: 'dpo', checkpoints: { policy: r.checkpoint }, phases: { dpo: r } };
}

/** Rejection sampling / ReST (pipeline: rest). */
export async function trainRest(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const ctx = await openPipeline(recipe, o);
  const rest = recipe.rest!;
  const r = await runRest({
    run: ctx.run,
    task: ctx.task,
    problems: ctx.problems,
    start: ctx.policy,
    rest,
    reward: resolveReward('verifier', ctx.task),
    seed: recipe.run.seed,
    checkpointEvery: recipe.checkpoint_every,
  });
  if (!r.checkpoint.endsWith('.safetensors')) {
    throw runtimeError(
      `ReST kept no verified sample in ${rest.iterations} iterations, so the policy was never fine-tuned`,
      'start from a stronger policy (model.init: an SFT run) or sample more (rest.samples_per_problem)',
    );
  }
  ctx.run.writeFinal({ policy: r.checkpoint });
  return { run: ctx.run.dir.dir, pipeline: 'rest', checkpoints: { policy: r.checkpoint }, phases: { rest: r } };
}

/** The x1 two-phase recipe (pipeline: x1). */
export async function trainX1(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  const ctx = await openPipeline(recipe, o);
  const r = await runX1({
    recipe,
    run: ctx.run,
    task: ctx.task,
    problems: ctx.problems,
    start: ctx.policy,
    reward: resolveReward('verifier', ctx.task),
  });
  ctx.run.writeFinal({ policy: r.policy, value: r.value });
  return { run: ctx.run.dir.dir, pipeline: 'x1', checkpoints: { policy: r.policy, value: r.value }, phases: { x1: r } };
}

/** Runs whatever pipeline the recipe names, its trainers on the recipe's `model.engine`. */
export async function runRecipe(recipe: Recipe, o: RunOptions = {}): Promise<PipelineResult> {
  return withTrainEngine(recipe.model.engine, () => runPipeline(recipe, o));
}

async function runPipeline(recipe: Recipe, o: RunOptions): Promise<PipelineResult> {
  switch (recipe.pipeline) {
    case 'sft':
      return trainSft(recipe, o);
    case 'rl':
      return trainRl(recipe, o);
    case 'value':
    case 'prm':
      return trainValue(recipe, o);
    case 'dpo':
      return trainDpo(recipe, o);
    case 'rm':
      return trainRewardModel(recipe, o);
    case 'rest':
      return trainRest(recipe, o);
    case 'x1':
      return trainX1(recipe, o);
    case 'genrm':
      return trainGenrm(recipe, o);
    case 'async-rl':
      return trainAsyncRl(recipe, o);
    case 'multiturn-sft':
    case 'multiturn-grpo':
    case 'archer':
    case 'marft':
      return trainMultiturn(recipe, o);
    default:
      throw usageError(`unknown pipeline "${recipe.pipeline as string}"`);
  }
}
