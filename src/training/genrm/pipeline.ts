/**
 * pipeline: genrm — a generative reward model trained in RM-R1's two stages (Chen et al. 2025,
 * "RM-R1: Reward Modeling as Reasoning", sec. 3):
 *
 *   candidates  the policy (model.init) samples `genrm.samples` solutions per judge-training puzzle;
 *               the rule verifier labels them, the teacher (the rule checker) writes each critique;
 *               balanced correct/wrong; `genrm.validation` of them kept apart
 *   distill     stage 1, reasoning distillation: SFT of the judge (the policy's weights with the
 *               critique characters added, ./model.ts) on prompt -> critique + verdict
 *   rl          stage 2, RL with verifiable rewards: GRPO on the distilled judge, reward 1 when its
 *               verdict matches the verifier's label (./judge-task.ts)
 *   orm         the baseline: an outcome reward model (value head, +1/-1) on the same candidates
 *
 * Final checkpoints: `judge` (after stage 2), `judge_sft` (after stage 1), `orm`.
 */
import * as path from 'node:path';
import { readJsonl, usageError, writeFileAtomic } from '../../core/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import { type LoadedModel, withValueHead } from '../models.js';
import type { Recipe } from '../recipe.js';
import { sftSection, valueSection } from '../recipe.js';
import { resolveReward } from '../rewards.js';
import { runRlPhase } from '../rl.js';
import { runSftPhase } from '../sft.js';
import { runValuePhase } from '../value.js';
import { type RunOptions, TrainingRun } from '../run.js';
import { resolveTask, tokenizerForTask } from '../tasks.js';
import { startingModel } from '../models.js';
import { GenrmSectionSchema } from './config.js';
import { type JudgeCandidate, balance, judgeSplit, sampleCandidates } from './data.js';
import { judgeProblems, judgeTask } from './judge-task.js';
import { judgeStartModel } from './model.js';

interface CandidatesResult {
  file: string;
  train: number;
  validation: number;
  sampled: number;
  correct_share: number;
  teacher_disagreements: number;
  duplicates: number;
  held_out_puzzles: number;
}

type StoredCandidate = JudgeCandidate & { part: 'train' | 'validation' };

/** What `runRecipe` returns (the same shape as ../pipeline.ts PipelineResult). */
export interface GenrmResult {
  run: string;
  pipeline: 'genrm';
  checkpoints: Record<string, string>;
  phases: Record<string, unknown>;
}

export async function trainGenrm(recipe: Recipe, o: RunOptions = {}): Promise<GenrmResult> {
  const g = recipe.genrm ?? GenrmSectionSchema.parse({});
  if (!recipe.model.init)
    throw usageError(
      'pipeline genrm samples candidates from a policy and starts the judge from it, but model.init is not set',
      'set model.init to a policy checkpoint',
    );
  if (!recipe.rl)
    throw usageError('pipeline genrm needs an "rl:" section for stage 2', 'add rl: { steps, prompts_per_step, group_size, ... }');
  const task = resolveTask(recipe.task.name);
  const problems = await task.problems({ split: 'train' });
  const run = TrainingRun.open(recipe, o);
  const seed = recipe.run.seed;
  const ctx = { policy: startingModel(recipe.model, tokenizerForTask(task, problems), seed, { kind: 'policy' }), problems };

  const cands = await run.phase<CandidatesResult>('candidates', async () => {
    const split = await judgeSplit(task, g.held_out_every);
    const puzzles = g.puzzles ? split.train.slice(0, g.puzzles) : split.train;
    const pool = await sampleCandidates(ctx.policy, task, puzzles, {
      samples: g.samples,
      temperature: g.temperature,
      maxNewTokens: g.max_new_tokens,
      seed,
      critique: g.critique,
    });
    const balanced = balance(pool.candidates, seed);
    // validation by puzzle: the last puzzles' candidates
    const valIds = new Set<string>();
    const perPuzzle = new Map<string, number>();
    for (const c of balanced) perPuzzle.set(c.problem.id, (perPuzzle.get(c.problem.id) ?? 0) + 1);
    let kept = 0;
    for (const id of [...perPuzzle.keys()].sort().reverse()) {
      if (kept >= g.validation) break;
      valIds.add(id);
      kept += perPuzzle.get(id)!;
    }
    const stored: StoredCandidate[] = balanced.map((c) => ({ ...c, part: valIds.has(c.problem.id) ? 'validation' : 'train' }));
    const file = path.join(run.dir.dir, 'genrm-candidates.jsonl');
    writeFileAtomic(file, stored.map((c) => JSON.stringify(c)).join('\n') + '\n');
    return {
      file,
      train: stored.filter((c) => c.part === 'train').length,
      validation: stored.filter((c) => c.part === 'validation').length,
      sampled: pool.candidates.length,
      correct_share: pool.candidates.filter((c) => c.label === 'correct').length / Math.max(1, pool.candidates.length),
      teacher_disagreements: pool.teacherDisagreements,
      duplicates: pool.duplicates,
      held_out_puzzles: split.heldOut.length,
    };
  });
  const stored = readJsonl<StoredCandidate>(cands.file);
  const train = stored.filter((c) => c.part === 'train');
  const validation = stored.filter((c) => c.part === 'validation');
  if (train.length === 0)
    throw usageError(
      'genrm: no balanced training candidates (the policy solved none or all of the puzzles)',
      'raise genrm.samples or genrm.puzzles',
    );

  const judgeStart: LoadedModel = judgeStartModel(ctx.policy, g.max_seq_len, seed);
  const distill = await runSftPhase({
    run,
    phase: 'distill',
    task,
    problems: ctx.problems,
    start: judgeStart,
    sft: sftSection(recipe),
    seed,
    checkpointEvery: recipe.checkpoint_every,
    logEvery: recipe.log_every,
    examples: train.map((c) => ({ prompt: c.prompt, response: c.critique })),
  });

  const jt = judgeTask(judgeProblems(train, 'genrm/train'), task.name);
  const rl = await runRlPhase({
    run,
    phase: 'rl',
    task: jt as unknown as Task<Problem>,
    problems: judgeProblems(train, 'genrm/train'),
    evalProblems: judgeProblems(validation, 'genrm/validation').slice(0, recipe.rl.eval_problems),
    start: { ...judgeStart, weights: (await loadWeights(distill.checkpoint)).weights, source: distill.checkpoint },
    rl: recipe.rl,
    reward: resolveReward('verifier', jt as unknown as Task<Problem>),
    seed,
    checkpointEvery: recipe.checkpoint_every,
    logEvery: recipe.log_every,
  });

  const checkpoints: Record<string, string> = { judge: rl.checkpoint, judge_sft: distill.checkpoint };
  const phases: Record<string, unknown> = { candidates: cands, distill, rl };
  if (g.orm) {
    const orm = await runValuePhase({
      run,
      phase: 'orm',
      task,
      examples: train.map((c) => ({ problem: c.problem as Problem, steps: c.steps, target: c.label === 'correct' ? 1 : -1 })),
      start: withValueHead(ctx.policy, true, seed),
      value: valueSection(recipe),
      kind: 'value',
      seed,
      checkpointEvery: recipe.checkpoint_every,
    });
    checkpoints.orm = orm.checkpoint;
    phases.orm = orm;
  }
  run.writeFinal(checkpoints);
  return { run: run.dir.dir, pipeline: 'genrm', checkpoints, phases };
}

async function loadWeights(file: string): Promise<{ weights: LoadedModel['weights'] }> {
  const { loadCheckpoint } = await import('../../engine/index.js');
  return { weights: loadCheckpoint(file).weights };
}
