/**
 * RL on verifiable rewards for embedded models: GRPO, Dr.GRPO, RLOO, REINFORCE++ and PPO with a
 * critic, one loop with the algorithm pieces from ./algos chosen by the recipe (verl's design).
 *
 * One step (the functions of ./rl/steps.ts, which the async and multi-turn loops reuse):
 *   1. rollout   prompts_per_step training problems x group_size samples from the onnxruntime
 *                sampler, which returns each token's behaviour log-prob (temperature applied)
 *   2. score     the reward function (the task's verifier) on the decoded completion, plus DAPO's
 *                soft overlong penalty; dynamic sampling drops zero-variance groups; KL in the
 *                reward (k1/k2/k3 of behaviour vs reference log-probs); critic values for GAE;
 *                advantages by the chosen estimator
 *   3. update    ppo_epochs x mini_batches optimiser steps; the trainer recomputes log-probs and the
 *                loss applies the importance ratio pi_theta / pi_behaviour with PPO's clip; the critic
 *                takes the clipped value loss on the same mini-batches
 * Every step logs reward, accuracy, KL, entropy, clip fraction, zero-variance group share,
 * response length, rollout and train tokens/s and the time split to metrics.jsonl; held-out greedy
 * accuracy every eval_every steps (and at step 0, the starting policy).
 *
 * Randomness (problems, sampling seeds) derives from (seed, phase, step), so a run resumed from a
 * checkpoint repeats exactly the steps an uninterrupted run takes.
 */
import { Rng, inputError, logger } from '../core/index.js';
import {
  type Checkpoint,
  type HostWeights,
  LlamaModel,
  type ModelConfig,
  type Sampler,
  type Tokenizer,
  Trainer,
  initEngine,
} from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { adamwFrom, mean, roundMetrics, scheduleFrom, StepTimer } from './common.js';
import { MismatchCorrection, rlPolicyLoss } from './async/mismatch.js';
import { criticLoss } from './losses.js';
import { type LoadedModel, withValueHead } from './models.js';
import type { RlSection } from './recipe.js';
import type { RewardFn } from './rewards.js';
import { methodsFilterAdvantages, methodsSelectGroups } from './algos/methods-config.js';
import { RlLoopOptions, lengthStage } from './rl/loop-options.js';
import type { Mixture } from './rl/mixture.js';
import { type ScoreHooks, type ScoredBatch, type UpdateResult, rewardRollouts, score, stepBatch, toUpdate, update } from './rl/steps.js';
import type { TrainedModel, TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';
import { promptIds } from './sequences.js';
import { thoughtLevelAdvantages, thoughtScorerFor } from './thoughts.js';

export interface RlPhaseInput {
  run: TrainingRun;
  phase: string;
  task: Task<Problem>;
  problems: readonly Problem[];
  /** Held-out problems for greedy accuracy (empty: no evaluation). */
  evalProblems: readonly Problem[];
  start: LoadedModel;
  /** Critic start (PPO); default: the policy's trunk with a fresh value head. */
  criticStart?: LoadedModel;
  rl: RlSection;
  reward: RewardFn;
  seed: number;
  checkpointEvery: number;
  logEvery: number;
  /** rl.mixture: the tasks behind `task` / `problems` / `evalProblems` (./rl/mixture.ts openMixture). */
  mixture?: Mixture;
}

export interface RlResult {
  checkpoint: string;
  critic: string | null;
  steps: number;
  /** Greedy held-out accuracy of the starting and the final policy (null without eval problems). */
  evalStart: number | null;
  evalEnd: number | null;
}
/**
 * The policy's trainer for an RL section: PPO-clip loss (with clip-higher, dual clip, KL and
 * entropy terms as configured) over mini-batches of at most `miniBatchRows` rows (each run as
 * micro-batches of `micro_batch_size` rows), one optimiser step per mini-batch and PPO epoch.
 * `temperature`: the rollout temperature the log-probs are taken at.
 */
export function policyTrainer(model: LlamaModel, rl: RlSection, miniBatchRows: number, seqLen: number, temperature?: number): Trainer {
  return new Trainer(model, {
    miniBatchRows,
    seqLen,
    microBatchRows: rl.micro_batch_size,
    workers: rl.workers,
    lossFn: rlPolicyLoss(rl),
    optimizer: adamwFrom(rl.optim),
    schedule: scheduleFrom(rl.optim, rl.steps * rl.ppo_epochs * rl.mini_batches),
    ...(temperature === undefined ? {} : { temperature }),
  });
}

/** Greedy accuracy of `weights` on `problems` (one batch of full solutions). */
export async function greedyAccuracy(
  weights: HostWeights,
  config: ModelConfig,
  tok: Tokenizer,
  task: Task<Problem>,
  problems: readonly Problem[],
  reward: RewardFn,
  backend: 'onnx' | 'jax',
  maxNewTokens: number,
): Promise<number> {
  if (problems.length === 0) return NaN;
  const sampler = await makeSampler(weights, config, backend);
  try {
    const prompts = problems.map((p) => promptIds(tok, task, p));
    const maxNew = Math.max(1, Math.min(maxNewTokens, config.maxSeqLen - Math.max(...prompts.map((p) => p.length))));
    const res = await sampler.sample(prompts, { maxNewTokens: maxNew, temperature: 0 });
    const scored = await reward(
      problems.map((p, i) => ({ problem: p, completion: tok.decode(res[i].tokens), tokens: res[i].tokens.length })),
    );
    const correct = scored.filter((r) => r.correct).length;
    return correct / problems.length;
  } finally {
    sampler.dispose();
  }
}

/** The PPO critic: its model and trainer, from the checkpoint when resuming. */
interface Critic {
  model: LlamaModel;
  trainer: Trainer;
  config: ModelConfig;
}

function openCritic(input: RlPhaseInput, saved: Checkpoint | undefined, miniBatchRows: number, seqLen: number): Critic | null {
  const { rl } = input;
  if (!rl.critic) return null;
  const start = input.criticStart ?? withValueHead(input.start, true, input.seed);
  const config = saved ? saved.config : start.config;
  const model = LlamaModel.fromHostWeights(saved ? saved.weights : start.weights, config);
  const trainer = new Trainer(model, {
    miniBatchRows,
    seqLen,
    microBatchRows: rl.micro_batch_size,
    workers: rl.workers,
    lossFn: criticLoss(rl.critic.value_clip),
    optimizer: adamwFrom(rl.critic.optim),
    schedule: scheduleFrom(rl.critic.optim, rl.steps * rl.ppo_epochs * rl.mini_batches),
  });
  if (saved) trainer.loadOptimizerState(saved.optimizer!);
  return { model, trainer, config };
}

/** The longest prompt (training and held-out) and the new tokens that leave room for. */
function lengths(input: RlPhaseInput, tok: Tokenizer, config: ModelConfig): { maxNew: number; seqLen: number } {
  const { phase, task, rl } = input;
  const longestPrompt = Math.max(...[...input.problems, ...input.evalProblems].map((p) => promptIds(tok, task, p).length));
  const maxNew = Math.min(rl.rollout.max_new_tokens, config.maxSeqLen - longestPrompt);
  if (maxNew < 1)
    throw inputError(
      `${phase}: prompts of ${longestPrompt} tokens leave no room to answer in the context of ${config.maxSeqLen}`,
      'raise model.max_seq_len',
    );
  return { maxNew, seqLen: Math.min(config.maxSeqLen, longestPrompt + maxNew - 1) };
}

export async function runRlPhase(input: RlPhaseInput): Promise<RlResult> {
  const { run, phase, task, rl, reward } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    const latest = ck.latest();
    const tok = input.start.tokenizer;
    const saved = latest?.models.policy;
    const config = saved ? saved.config : input.start.config;
    const model = LlamaModel.fromHostWeights(saved ? saved.weights : input.start.weights, config);
    const { maxNew, seqLen } = lengths(input, tok, config);
    const miniBatchRows = Math.ceil((rl.prompts_per_step * rl.group_size) / rl.mini_batches);
    const trainer = policyTrainer(model, rl, miniBatchRows, seqLen, rl.rollout.temperature);
    if (saved) trainer.loadOptimizerState(saved.optimizer!);
    const correction = new MismatchCorrection(model, rl, rl.rollout.temperature);
    const critic = openCritic(input, latest?.models.critic, miniBatchRows, seqLen);
    // The frozen reference policy scores the rollouts whenever a KL term is configured (also with beta 0, for the metric).
    const ref: Sampler | null =
      rl.kl_loss || rl.kl_reward ? await makeSampler(input.start.weights, input.start.config, rl.rollout.backend) : null;

    const evalNow = () => evaluate(input, model.hostWeights(), config, tok, maxNew);
    const options = new RlLoopOptions(rl, input, { config, tok, maxNew });
    if (latest) options.load(latest.state, ck.dir);
    const startStep = latest ? latest.step : 0;
    let evalStart: number | null = latest ? ((latest.state.evalStart as number | null) ?? null) : null;
    if (startStep === 0 && input.evalProblems.length) {
      const e = await evalNow();
      evalStart = e.eval_accuracy;
      run.log(phase, 0, { ...e, eval_problems: input.evalProblems.length });
    }
    let evalEnd: number | null = latest ? ((latest.state.evalEnd as number | null) ?? null) : evalStart;
    const progress = run.progress(phase, rl.steps);
    progress.update(startStep);
    const models = (): Record<string, TrainedModel> => ({
      policy: { kind: 'policy', model, trainer, tokenizer: tok },
      ...(critic ? { critic: { kind: 'critic', model: critic.model, trainer: critic.trainer, tokenizer: tok } } : {}),
    });
    const hooks = scoreHooks(input, tok);

    try {
      for (let step = startStep + 1; step <= rl.steps; step++) {
        const timer = new StepTimer();
        const rng = new Rng(input.seed).fork(`${phase}.step.${step}`);
        const batch = stepBatch(tok, task, options.pick(step, rng), lengthStage(rl, step, maxNew).groupSize);
        const rolled = await timer.time('rollout', () =>
          options.rollout(step, () => model.hostWeights(), batch, rng.fork('sample').nextU32()),
        );
        const scored = await timer.time('scoring', async () => {
          const all = await rewardRollouts(rl, reward, tok, batch, rolled.samples);
          options.observe(batch, all);
          return score(rl, all, { ref, critic: critic ? { weights: critic.model.hostWeights(), config: critic.config } : null }, hooks);
        });
        const toTrain = toUpdate(scored, critic?.trainer ?? null);
        const trained: UpdateResult = toTrain
          ? await timer.time('training', () => update(toTrain, { rl, trainer, correction, seqLen, normLength: maxNew }))
          : { metrics: {}, trainTokens: 0 };
        if (!toTrain) logger.debug(`${phase} step ${step}: all groups had zero reward variance; no update`);
        // keep the optimiser step count a function of the RL step even when a step had no update
        const wantOptSteps = step * rl.ppo_epochs * rl.mini_batches;
        for (const t of critic ? [trainer, critic.trainer] : [trainer])
          if (t.step < wantOptSteps) t.loadOptimizerState({ ...t.optimizerState(), step: wantOptSteps });

        let evalRecord: Record<string, number> = {};
        if (input.evalProblems.length && (step % rl.eval_every === 0 || step === rl.steps)) {
          evalRecord = await timer.time('eval', evalNow);
          evalEnd = evalRecord.eval_accuracy;
        }
        const checkpointNow = step % input.checkpointEvery === 0 || step === rl.steps;
        const atCheckpoint =
          checkpointNow && options.measuresEntropy
            ? await timer.time('eval', () => options.atCheckpoint(step, model.hostWeights(), ck.dir))
            : {};
        if (step % run.recipe.log_every === 0 || step === rl.steps || evalRecord.eval_accuracy !== undefined)
          run.log(phase, step, {
            ...roundMetrics({
              ...stepMetrics(scored, trained, rolled.samples, timer),
              ...evalRecord,
              ...(scored.adv ? correction.metrics() : {}),
              ...scored.metrics,
              ...options.metrics(step, batch, maxNew),
              ...atCheckpoint,
              ...rolled.metrics,
            }),
            ...timer.record(),
          });
        progress.update(step, { reward: +mean(scored.all.map((r) => r.score)).toFixed(3) });
        if (checkpointNow) options.save(ck, step, models(), { evalStart, evalEnd });
      }
    } finally {
      progress.stop();
      ref?.dispose();
      correction.dispose();
    }
    const result: RlResult = {
      checkpoint: options.selected(ck.dir) ?? ck.latestFile('policy')!,
      critic: critic ? ck.latestFile('critic') : null,
      steps: rl.steps,
      evalStart,
      evalEnd,
    };
    trainer.dispose();
    model.dispose();
    critic?.trainer.dispose();
    critic?.model.dispose();
    return result;
  });
}

/** Greedy held-out accuracy (`eval_accuracy`), and per task of a mixture (`eval_accuracy_<task>`). */
async function evaluate(
  input: RlPhaseInput,
  weights: HostWeights,
  config: ModelConfig,
  tok: Tokenizer,
  maxNew: number,
): Promise<Record<string, number>> {
  const { task, reward, rl, mixture } = input;
  const acc = (ps: readonly Problem[]) => greedyAccuracy(weights, config, tok, task, ps, reward, rl.rollout.backend, maxNew);
  if (!mixture) return { eval_accuracy: await acc(input.evalProblems) };
  const out: Record<string, number> = {};
  let correct = 0;
  for (const [t, name] of mixture.names.entries()) {
    const ps = input.evalProblems.filter((_, i) => mixture.evalTaskOf[i] === t);
    if (ps.length === 0) continue;
    out[`eval_accuracy_${name}`] = await acc(ps);
    correct += out[`eval_accuracy_${name}`] * ps.length;
  }
  return { eval_accuracy: correct / input.evalProblems.length, ...out };
}

/**
 * The optional stages of scoring that rl.methods switches on (issue 21; equations in ./algos):
 * ReST-GRPO's group selection after dynamic sampling; TP-GRPO's thought-level advantages, then
 * StableReinforce's advantage filter, after the estimator.
 */
function scoreHooks(input: RlPhaseInput, tok: Tokenizer): ScoreHooks {
  const m = input.rl.methods;
  const hooks: ScoreHooks = {};
  if (m.group_select)
    hooks.selectRows = (all, rows) => {
      const sel = methodsSelectGroups(
        m,
        rows.map((i) => all[i].score),
        rows.map((i) => all[i].group),
      )!;
      return {
        keepRows: sel.keepRows.map((j) => rows[j]),
        metrics: { group_select_dropped: sel.droppedGroups, group_select_kept_std: sel.keptMeanStd, group_select_all_std: sel.allMeanStd },
      };
    };
  const thoughts = m.thought_rewards ? { cfg: m.thought_rewards, scorer: thoughtScorerFor(m.thought_rewards, input.task, tok) } : null;
  if (thoughts || m.advantage_filter)
    hooks.advantages = async (kept, advantages, mask) => {
      const metrics: Record<string, number> = {};
      if (thoughts) {
        const t = await thoughtLevelAdvantages(
          thoughts.scorer,
          tok,
          kept.map((r) => ({ problem: r.problem, response: r.seq.ids.slice(r.seq.promptLen) })),
          kept.map((r) => r.group),
          advantages,
          mask,
          thoughts.cfg.alpha,
        );
        advantages = t.advantages;
        Object.assign(metrics, { thoughts_per_response: t.meanThoughts, thought_reward: t.meanThoughtReward });
      }
      const f = methodsFilterAdvantages(m, advantages, mask);
      if (f) {
        mask = f.mask;
        metrics.advantage_filtered_share = f.filteredShare;
      }
      return { advantages, mask, metrics };
    };
  return hooks;
}

/** The metrics.jsonl record of one step (before eval and the mismatch metrics). */
function stepMetrics(
  scored: ScoredBatch,
  trained: UpdateResult,
  samples: readonly { tokens: number[] }[],
  timer: StepTimer,
): Record<string, number | undefined> {
  const all = scored.all;
  const avg = (k: string) => (trained.metrics[k] ? mean(trained.metrics[k]) : undefined);
  const generated = samples.reduce((n, s) => n + s.tokens.length, 0);
  const stepTime = timer.get('rollout') + timer.get('scoring') + timer.get('training');
  return {
    reward: mean(all.map((r) => r.score)),
    accuracy: mean(all.map((r) => (r.correct ? 1 : 0))),
    unparseable: mean(all.map((r) => (r.unparseable ? 1 : 0))),
    eval_accuracy: undefined,
    kl: avg('kl') ?? scored.klReward ?? undefined,
    entropy: avg('entropy'),
    clip_frac: avg('clip_frac'),
    dual_clip_frac: avg('dual_clip_frac'),
    approx_kl: avg('approx_kl'),
    pg_loss: avg('pg_loss'),
    loss: avg('loss'),
    value_loss: avg('value_loss'),
    grad_norm: avg('grad_norm'),
    lr: avg('lr'),
    zero_variance_share: scored.zeroVar ?? undefined,
    kept_samples: scored.kept.length,
    response_length: mean(all.map((r) => r.seq.ids.length - r.seq.promptLen)),
    truncated_share: mean(all.map((r) => (r.truncated ? 1 : 0))),
    rollout_tokens: generated,
    rollout_tokens_per_s: generated / Math.max(1e-6, timer.get('rollout')),
    train_tokens: trained.trainTokens,
    train_tokens_per_s: trained.trainTokens ? trained.trainTokens / Math.max(1e-6, timer.get('training')) : undefined,
    share_rollout: timer.get('rollout') / stepTime,
    share_scoring: timer.get('scoring') / stepTime,
    share_training: timer.get('training') / stepTime,
  };
}
