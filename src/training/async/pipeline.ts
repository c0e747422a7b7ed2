/**
 * The `async-rl` pipeline (`rlmkit train` with `pipeline: async-rl`): asynchronous GRPO
 * (./async-rl.ts) in a run directory, with checkpoints every `checkpoint_every` steps and at the
 * end, metrics per step, held-out greedy accuracy at the start and the end, and `--resume` from
 * the last checkpoint (weights, optimiser state and step; the batches after it are generated
 * again from the checkpointed policy, as their seeds derive from the step).
 */
import { initEngine } from '../../engine/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import { startingModel } from '../models.js';
import type { Recipe } from '../recipe.js';
import { resolveReward } from '../rewards.js';
import { greedyAccuracy } from '../rl.js';
import { type RunOptions, TrainingRun } from '../run.js';
import { resolveTask, tokenizerForTask } from '../tasks.js';
import { type AsyncRlResult, runAsyncRl } from './async-rl.js';
import type { OpenRolloutEngine } from './rollout-client.js';
import { AsyncSectionSchema } from './section.js';

export interface AsyncPipelineResult {
  run: string;
  pipeline: 'async-rl';
  checkpoints: Record<string, string>;
  phases: Record<string, unknown>;
}

export interface AsyncPhaseResult {
  checkpoint: string;
  steps: number;
  evalStart: number | null;
  evalEnd: number | null;
  meanStaleness: number | null;
}

export async function trainAsyncRl(recipe: Recipe, o: RunOptions = {}, engine?: OpenRolloutEngine): Promise<AsyncPipelineResult> {
  const rl = recipe.rl!;
  const a = recipe.async ?? AsyncSectionSchema.parse({});
  const task: Task<Problem> = resolveTask(recipe.task.name);
  const problems = await task.problems({
    split: recipe.task.split,
    limit: recipe.task.limit ?? undefined,
    path: recipe.task.path ?? undefined,
  });
  const run = TrainingRun.open(recipe, o);
  const start = startingModel(recipe.model, tokenizerForTask(task, problems, 300), recipe.run.seed, { kind: 'policy' });
  const tok = start.tokenizer; // an init checkpoint brings its own
  const evalProblems =
    rl.eval_problems > 0 && task.splits.includes('test') ? await task.problems({ split: 'test', limit: rl.eval_problems }) : [];
  const reward = resolveReward(rl.reward, task);
  const phase = 'rl';
  const maxNew = rl.rollout.max_new_tokens;
  const r = await run.phase(phase, async (ck): Promise<AsyncPhaseResult> => {
    await initEngine();
    const latest = ck.latest();
    const saved = latest?.models.policy;
    const evalOf = (w: Parameters<typeof greedyAccuracy>[0]) =>
      greedyAccuracy(w, start.config, tok, task, evalProblems, reward, rl.rollout.backend, maxNew);
    let evalStart = latest ? ((latest.state.evalStart as number | null) ?? null) : null;
    if (!latest && evalProblems.length) {
      evalStart = await evalOf(start.weights);
      run.log(phase, 0, { eval_accuracy: evalStart, eval_problems: evalProblems.length });
    }
    const progress = run.progress(phase, rl.steps);
    progress.update(latest?.step ?? 0);
    let res: AsyncRlResult;
    try {
      res = await runAsyncRl({
        phase,
        task,
        problems,
        start,
        rl,
        reward,
        seed: recipe.run.seed,
        async: { staleness: a.staleness, segmentTokens: a.segment_tokens, rolloutThreads: a.rollout_threads, rolloutNice: a.rollout_nice },
        ...(saved ? { resume: { weights: saved.weights, optimizer: saved.optimizer!, step: latest!.step } } : {}),
        ...(engine ? { engine } : {}),
        onStep: (step, m) => {
          if (step % recipe.log_every === 0 || step === rl.steps) run.log(phase, step, m);
          progress.update(step, { reward: +m.reward.toFixed(3) });
        },
        afterStep: (step, model, trainer) => {
          if (step % recipe.checkpoint_every === 0 || step === rl.steps)
            ck.save(step, { policy: { kind: 'policy', model, trainer, tokenizer: tok } }, { evalStart });
        },
      });
    } finally {
      progress.stop();
    }
    let evalEnd: number | null = null;
    if (evalProblems.length) {
      evalEnd = await evalOf(res.weights);
      run.log(phase, rl.steps, { eval_accuracy: evalEnd, eval_problems: evalProblems.length });
    }
    return {
      checkpoint: ck.latestFile('policy')!,
      steps: rl.steps,
      evalStart,
      evalEnd,
      meanStaleness: Number.isFinite(res.meanStaleness) ? res.meanStaleness : null,
    };
  });
  run.writeFinal({ policy: r.checkpoint });
  return { run: run.dir.dir, pipeline: 'async-rl', checkpoints: { policy: r.checkpoint }, phases: { rl: r } };
}
