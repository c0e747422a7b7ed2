/**
 * Asynchronous RL for embedded models, AReaL-style (Fu et al. 2025, "AReaL: A Large-Scale
 * Asynchronous Reinforcement Learning System for Language Reasoning"):
 *
 * - a rollout worker thread (./rollout-worker.ts) generates batches continuously with the latest
 *   published weights; generation is interruptible (new weights take over between segments) and
 *   every token records the policy version that produced it;
 * - the trainer takes batch k when it is ready, scores it, updates, and publishes version k;
 * - staleness bound eta (§4.2): batch j is submitted only once the trainer is at version >= j-1-eta,
 *   so no sample started more than eta versions before the policy it trains (eta = 0 is the
 *   synchronous loop: generate, score, update);
 * - the decoupled PPO objective (§4.3, eq. 5): PPO's clip on pi_theta / pi_prox (the trainer's
 *   policy before this update), weighted by pi_prox / mu (mu: the rollout's behaviour log-probs,
 *   possibly of older versions): policy_loss `decoupled` (or its truncated/masked forms tis, mis).
 *
 * - the rollout thread also scores each batch for the trainer: reference log-probs, and the
 *   proximal log-probs once the version that will train on the batch is published; the trainer's
 *   thread keeps only rewards and the update (the shared steps of ../rl/steps.ts).
 *
 * Steps, problems and sampling seeds derive from (seed, phase, step) as in the synchronous loop
 * (../rl.ts); advantages, dynamic sampling, KL in the loss and the mini-batch updates are the same
 * functions. Not supported here: a critic (GAE) and KL in the reward.
 */
import { Rng, logger, usageError } from '../../core/index.js';
import { type HostWeights, LlamaModel, type OptimizerState, type Trainer, initEngine } from '../../engine/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import { mean } from '../common.js';
import type { LoadedModel } from '../models.js';
import type { RlSection } from '../recipe.js';
import type { RewardFn } from '../rewards.js';
import { policyTrainer } from '../rl.js';
import { type StepBatch, responseMatrix, rewardRollouts, sampleStepProblems, score, stepBatch, update } from '../rl/steps.js';
import { promptIds } from '../sequences.js';
import { MismatchCorrection } from './mismatch.js';
import { type OpenRolloutEngine, type RolloutBatch, openThreadEngine } from './rollout-client.js';

export interface AsyncSettings {
  /** eta: the most policy versions between a sample's first token and the update that uses it. */
  staleness: number;
  /** Tokens per generation segment; new weights take over between segments (interruptible). */
  segmentTokens: number;
  /** onnxruntime intra-op threads of the rollout thread (default 'auto': measure 1 and 2). */
  rolloutThreads?: number | 'auto';
  /** Scheduling priority of the rollout thread, 0..19 (default 0; higher = yields to the trainer). */
  rolloutNice?: number;
}

export interface AsyncRlInput {
  phase: string;
  task: Task<Problem>;
  problems: readonly Problem[];
  start: LoadedModel;
  rl: RlSection;
  reward: RewardFn;
  seed: number;
  async: AsyncSettings;
  /** Per-step metrics (reward, staleness, versions, times, mismatch, ...). */
  onStep?: (step: number, metrics: Record<string, number>) => void;
  /** Resume: weights, optimiser state and the last finished step (the loop goes on from step + 1). */
  resume?: { weights: HostWeights; optimizer: OptimizerState; step: number };
  /** Where rollouts come from (default: a worker thread of this process; src/distributed: a Redis queue). */
  engine?: OpenRolloutEngine;
  /** Called after each step with the trained model and trainer (checkpoints). */
  afterStep?: (step: number, model: LlamaModel, trainer: Trainer) => void;
}

export interface AsyncRlResult {
  weights: HostWeights;
  steps: number;
  samples: number;
  generatedTokens: number;
  /** Wall time of the training loop (rollouts, scoring, updates; no evaluation). */
  wallS: number;
  /** Time the trainer waited for rollouts. */
  trainerWaitS: number;
  /** CPU seconds of the whole process (every thread) during the loop. */
  cpuS: number;
  meanStaleness: number;
  maxStaleness: number;
  /** Seconds from the loop's start to the end of each step (steady-state rates leave step 1 out: jit compiles). */
  stepEnds: number[];
  /** Staleness of each step's batch (trainer version minus the oldest version in it). */
  staleness: number[];
  /** Steps whose batch mixed tokens of several policy versions (interrupted generation). */
  mixedVersionSteps: number;
}

/** The importance-weighted losses that know a behaviour policy apart from the proximal one. */
const DECOUPLED = ['decoupled', 'tis', 'mis'];

export function checkAsyncSettings(rl: RlSection, a: AsyncSettings): void {
  const eta = a.staleness;
  if (!Number.isInteger(eta) || eta < 0) throw usageError(`async staleness must be a whole number >= 0, got ${eta}`);
  if (!Number.isInteger(a.segmentTokens) || a.segmentTokens < 1)
    throw usageError(`async segment_tokens must be a whole number >= 1, got ${a.segmentTokens}`);
  const th = a.rolloutThreads ?? 'auto';
  if (th !== 'auto' && (!Number.isInteger(th) || th < 1 || th > 64))
    throw usageError(`async rollout_threads must be "auto" or a whole number in 1..64, got ${th}`);
  const nice = a.rolloutNice ?? 0;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw usageError(`async rollout_nice must be a whole number in 0..19, got ${nice}`);
  if (rl.critic || rl.kl_reward)
    throw usageError('asynchronous RL supports the critic-free estimators with KL in the loss only', 'remove rl.critic / rl.kl_reward');
  if (!DECOUPLED.includes(rl.policy_loss.name))
    throw usageError(
      `asynchronous RL needs a decoupled policy loss (${DECOUPLED.join(', ')}), got ${rl.policy_loss.name}`,
      'set rl.policy_loss.name: decoupled',
    );
}

export async function runAsyncRl(input: AsyncRlInput): Promise<AsyncRlResult> {
  const { rl, task, reward, phase } = input;
  checkAsyncSettings(rl, input.async);
  const eta = input.async.staleness;
  await initEngine();
  const tok = input.start.tokenizer;
  const config = input.start.config;
  const model = LlamaModel.fromHostWeights(input.resume?.weights ?? input.start.weights, config);
  const longest = Math.max(...input.problems.map((p) => promptIds(tok, task, p).length));
  const maxNew = Math.min(rl.rollout.max_new_tokens, config.maxSeqLen - longest);
  if (maxNew < 1) throw usageError(`${phase}: prompts of ${longest} tokens leave no room to answer`, 'raise model.max_seq_len');
  const seqLen = Math.min(config.maxSeqLen, longest + maxNew - 1);
  const miniBatchRows = Math.ceil((rl.prompts_per_step * rl.group_size) / rl.mini_batches);
  const trainer = policyTrainer(model, rl, miniBatchRows, seqLen, rl.rollout.temperature);
  if (input.resume) trainer.loadOptimizerState(input.resume.optimizer);
  const correction = new MismatchCorrection(model, rl, rl.rollout.temperature);
  const client = await (input.engine ?? openThreadEngine)({
    config,
    threads: input.async.rolloutThreads ?? 'auto',
    nice: input.async.rolloutNice ?? 0,
    refWeights: rl.kl_loss ? input.start.weights : null,
    trainerTemperature: rl.rollout.temperature,
  });
  const first = input.resume?.step ?? 0;
  await client.publish(model.hostWeights(), first);

  const batches = new Map<number, { batch: StepBatch; out: Promise<RolloutBatch> }>();
  const submit = (j: number) => {
    const rng = new Rng(input.seed).fork(`${phase}.step.${j}`);
    const batch = stepBatch(tok, task, sampleStepProblems(input.problems, rl.prompts_per_step, rng.fork('problems')), rl.group_size);
    const out = client.generate({
      prompts: batch.rows,
      maxNewTokens: maxNew,
      segmentTokens: input.async.segmentTokens,
      temperature: rl.rollout.behaviour_temperature ?? rl.rollout.temperature,
      topP: rl.rollout.top_p,
      seed: rng.fork('sample').nextU32(),
      // the trainer's version when it takes batch j (none when the loss takes pi_prox from its own forward)
      proxVersion: correction.needsProximalLogprobs ? j - 1 : null,
    });
    out.catch(() => undefined); // awaited in order below
    batches.set(j, { batch, out });
  };

  let samples = 0;
  let generatedTokens = 0;
  let waitMs = 0;
  const stale: number[] = [];
  const stepEnds: number[] = [];
  let mixed = 0;
  let submitted = first;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    for (let step = first + 1; step <= rl.steps; step++) {
      // The trainer is at version step-1: batches up to step + eta may start now.
      while (submitted < Math.min(rl.steps, step + eta)) submit(++submitted);
      const { batch, out } = batches.get(step)!;
      batches.delete(step);
      const tw = performance.now();
      const { rows, stats } = await out;
      waitMs += performance.now() - tw;
      const tStep = performance.now();
      const versionOf = (r: (typeof rows)[number], k: 0 | -1) => (r.versions.length ? r.versions.at(k)! : step - 1);
      const firstVersion = Math.min(...rows.map((r) => versionOf(r, 0)));
      const lastVersion = Math.max(...rows.map((r) => versionOf(r, -1)));
      stale.push(step - 1 - firstVersion);
      if (rows.some((r) => versionOf(r, 0) !== versionOf(r, -1))) mixed++;
      samples += rows.length;
      generatedTokens += rows.reduce((n, r) => n + r.tokens.length, 0);

      // ---- score: rewards, dynamic sampling, advantages (../rl/steps.ts); reference and
      // proximal log-probs came with the rollouts
      const tScore = performance.now();
      const all = await rewardRollouts(rl, reward, tok, batch, rows);
      const rowOf = new Map(all.map((r, i) => [r, i]));
      const scored = await score(rl, all, { ref: null, critic: null });
      const metrics: Record<string, number> = {
        reward: mean(all.map((r) => r.score)),
        accuracy: mean(all.map((r) => (r.correct ? 1 : 0))),
        staleness: step - 1 - firstVersion,
        version_first: firstVersion,
        version_last: lastVersion,
        kept_samples: scored.kept.length,
        rollout_gen_s: stats.genMs / 1000,
        rollout_load_s: stats.loadMs / 1000,
        rollout_score_s: stats.scoreMs / 1000,
        rollout_wait_s: stats.waitMs / 1000,
        score_s: (performance.now() - tScore) / 1000,
      };
      if (scored.adv) {
        const keptRows = scored.kept.map((r) => rows[rowOf.get(r)!]);
        const cols = scored.mask.cols;
        // Engines that could not score the proximal version leave it to the trainer (MismatchCorrection's forward).
        if (keptRows.every((r) => r.proxLogprobs))
          correction.useProximal(
            responseMatrix(
              keptRows.map((r) => r.proxLogprobs!),
              cols,
            ),
          );
        if (rl.kl_loss && !keptRows.every((r) => r.refLogprobs)) throw new Error('the rollout engine returned no reference log-probs');
        const tTrain = performance.now();
        const trained = await update(
          {
            seqs: scored.kept.map((r) => r.seq),
            mask: scored.mask,
            advantages: scored.adv.advantages,
            oldLogp: scored.oldLogp,
            refLogp: rl.kl_loss
              ? responseMatrix(
                  keptRows.map((r) => r.refLogprobs!),
                  cols,
                )
              : null,
          },
          { rl, trainer, correction, seqLen, normLength: maxNew },
        );
        metrics.train_s = (performance.now() - tTrain) / 1000;
        for (const [k, v] of Object.entries(trained.metrics)) metrics[k] = mean(v);
        Object.assign(metrics, correction.metrics());
      } else {
        logger.debug(`${phase} step ${step}: all groups had zero reward variance; no update`);
      }
      // keep the optimiser step count a function of the RL step even when a step had no update
      const wantOptSteps = step * rl.ppo_epochs * rl.mini_batches;
      if (trainer.step < wantOptSteps) trainer.loadOptimizerState({ ...trainer.optimizerState(), step: wantOptSteps });
      const tPub = performance.now();
      await client.publish(model.hostWeights(), step);
      metrics.publish_s = (performance.now() - tPub) / 1000;
      metrics.step_s = (performance.now() - tStep) / 1000;
      metrics.wait_s = (tStep - tw) / 1000;
      input.afterStep?.(step, model, trainer);
      input.onStep?.(step, metrics);
      stepEnds.push((performance.now() - t0) / 1000);
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      weights: model.hostWeights(),
      steps: rl.steps - first,
      samples,
      generatedTokens,
      wallS: (performance.now() - t0) / 1000,
      trainerWaitS: waitMs / 1000,
      cpuS: (cpu.user + cpu.system) / 1e6,
      meanStaleness: mean(stale),
      maxStaleness: Math.max(...stale),
      stepEnds,
      staleness: stale,
      mixedVersionSteps: mixed,
    };
  } finally {
    await client.close();
    correction.dispose();
    trainer.dispose();
    model.dispose();
  }
}
