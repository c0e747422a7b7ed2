/**
 * Pipeline `rm`: a Bradley-Terry reward model (./reward-model.ts) from preference pairs — the init
 * policy's own samples ranked by the task's hidden rule (./rm-pairs.ts), pairs of training problems
 * to learn from and pairs of test-split problems to measure held-out pair accuracy — or a JSONL file
 * of {prompt, chosen, rejected} (a tenth of its prompts held out).
 */
import type { Problem, Task } from '../tasks/types.js';
import { type LoadedModel, withValueHead } from './models.js';
import { type Recipe, rmSection } from './recipe.js';
import { type RewardModelResult, runRewardModelPhase } from './reward-model.js';
import { type PolicyPairs, type RmPair, pairsFromJsonl, pairsFromPolicy, splitByPrompt } from './rm-pairs.js';
import type { TrainingRun } from './run.js';

export interface RmPipelineInput {
  recipe: Recipe;
  run: TrainingRun;
  task: Task<Problem>;
  /** Training problems (task.split, task.limit). */
  problems: Problem[];
  /** Held-out problems for held-out pairs (the test split). */
  heldOutProblems: Problem[];
  policy: LoadedModel;
}

export interface RmPipelineOutput extends RewardModelResult {
  /** How the pairs were made (pairs: policy). */
  data: { train?: Omit<PolicyPairs, 'pairs'>; heldOut?: Omit<PolicyPairs, 'pairs'> } | { file: string };
}

export async function trainRewardModelFrom(ctx: RmPipelineInput): Promise<RmPipelineOutput> {
  const rm = rmSection(ctx.recipe);
  const seed = ctx.recipe.run.seed;
  let train: RmPair[];
  let heldOut: RmPair[];
  let data: RmPipelineOutput['data'];
  if (rm.pairs === 'policy') {
    const o = {
      samples: rm.samples_per_problem,
      pairsPerProblem: rm.pairs_per_problem,
      temperature: rm.rollout.temperature,
      maxNewTokens: rm.rollout.max_new_tokens,
      sees: rm.sees,
    };
    // Pairs are sampled once; a resumed run draws the same ones (same seed, same policy).
    const t = await pairsFromPolicy(ctx.policy, ctx.task, ctx.problems, { ...o, seed });
    const h = await pairsFromPolicy(ctx.policy, ctx.task, ctx.heldOutProblems, { ...o, seed: seed + 1 });
    train = t.pairs;
    heldOut = h.pairs;
    const { pairs: _t, ...tInfo } = t;
    const { pairs: _h, ...hInfo } = h;
    data = { train: tInfo, heldOut: hInfo };
  } else {
    ({ train, heldOut } = splitByPrompt(pairsFromJsonl(rm.pairs, ctx.policy.tokenizer, rm.sees), 0.1, seed));
    data = { file: rm.pairs };
  }
  const r = await runRewardModelPhase({
    run: ctx.run,
    phase: 'rm',
    start: withValueHead(ctx.policy, true, seed),
    train,
    heldOut,
    rm,
    seed,
    checkpointEvery: ctx.recipe.checkpoint_every,
    describe: { scale: rm.scale, sees: rm.sees, task: ctx.task.name },
  });
  return { ...r, data };
}
