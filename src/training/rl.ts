/**
 * RL on verifiable rewards for embedded models: GRPO, Dr.GRPO, RLOO, REINFORCE++ and PPO with a
 * critic, one loop with the algorithm pieces from ./algos chosen by the recipe (verl's design).
 *
 * One step:
 *   1. rollout   prompts_per_step training problems x group_size samples from the onnxruntime
 *                sampler, which returns each token's behaviour log-prob (temperature applied)
 *   2. scoring   the reward function (the task's verifier) on the decoded completion, plus DAPO's
 *                soft overlong penalty; dynamic sampling drops zero-variance groups; KL in the
 *                reward (k1/k2/k3 of behaviour vs reference log-probs); critic values for GAE;
 *                advantages by the chosen estimator
 *   3. training  ppo_epochs x mini_batches optimiser steps; the trainer recomputes log-probs and the
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
import { EOS, type HostWeights, LlamaModel, type ModelConfig, type Sampler, type Tokenizer, Trainer, initEngine } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import {
  type Matrix,
  advantageEstimators,
  aggregationWeights,
  applyKlToRewards,
  computeAdvantages,
  dynamicSampling,
  klPerToken,
  matrix,
  overlongFilter,
  softOverlongPenalty,
} from './algos/index.js';
import { adamwFrom, chunk, mean, roundMetrics, scheduleFrom, StepTimer } from './common.js';
import { MismatchCorrection, rlPolicyLoss } from './async/mismatch.js';
import { criticLoss } from './losses.js';
import { type LoadedModel, withValueHead } from './models.js';
import type { RlSection } from './recipe.js';
import type { RewardFn } from './rewards.js';
import type { TrainedModel, TrainingRun } from './run.js';
import { makeSampler, valuesAtAllPositions } from './rollout-sampler.js';
import { type Sequence, promptIds, toTrainerRows, tokenRows } from './sequences.js';

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
}

export interface RlResult {
  checkpoint: string;
  critic: string | null;
  steps: number;
  /** Greedy held-out accuracy of the starting and the final policy (null without eval problems). */
  evalStart: number | null;
  evalEnd: number | null;
}

/** One sampled response and what scoring made of it. */
interface Rollout {
  seq: Sequence;
  group: number;
  behaviourLogp: number[];
  truncated: boolean;
  score: number;
  correct: boolean;
  /** No answer could be read from the completion. */
  unparseable: boolean;
}

/** Greedy accuracy of `weights` on `problems` (one batch of full solutions). */
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

export function pickProblems(problems: readonly Problem[], n: number, rng: Rng): Problem[] {
  const idx = rng.shuffle(Array.from({ length: problems.length }, (_, i) => i));
  const out: Problem[] = [];
  for (let i = 0; i < n; i++) out.push(problems[idx[i % idx.length]]);
  return out;
}

/** Response-coordinate matrix of per-token values (behaviour log-probs, ref log-probs, ...). */
function responseMatrix(rows: readonly number[][], cols: number): Matrix {
  const m = matrix(rows.length, cols);
  rows.forEach((r, i) =>
    r.forEach((x, k) => {
      if (k < cols) m.data[i * cols + k] = x;
    }),
  );
  return m;
}

function maskOf(rollouts: readonly Rollout[], cols: number): Matrix {
  const m = matrix(rollouts.length, cols);
  rollouts.forEach((r, i) => m.data.fill(1, i * cols, i * cols + Math.min(cols, r.seq.ids.length - r.seq.promptLen)));
  return m;
}

function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = matrix(rows.length, m.cols);
  rows.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

export async function runRlPhase(input: RlPhaseInput): Promise<RlResult> {
  const { run, phase, task, rl, reward } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    const est = advantageEstimators[rl.advantage];
    const latest = ck.latest();
    const tok = input.start.tokenizer;
    const policyCk = latest?.models.policy;
    const config = policyCk ? policyCk.config : input.start.config;
    const model = LlamaModel.fromHostWeights(policyCk ? policyCk.weights : input.start.weights, config);
    const refWeights = input.start.weights; // the frozen reference policy (KL)

    const prompts = input.problems.map((p) => promptIds(tok, task, p));
    const longestPrompt = Math.max(...prompts.map((p) => p.length), ...input.evalProblems.map((p) => promptIds(tok, task, p).length));
    const maxNew = Math.min(rl.rollout.max_new_tokens, config.maxSeqLen - longestPrompt);
    if (maxNew < 1)
      throw inputError(
        `${phase}: prompts of ${longestPrompt} tokens leave no room to answer in the context of ${config.maxSeqLen}`,
        'raise model.max_seq_len',
      );
    const seqLen = Math.min(config.maxSeqLen, longestPrompt + maxNew - 1);
    const total = rl.prompts_per_step * rl.group_size;
    const miniBatchRows = Math.ceil(total / rl.mini_batches);
    const trainer = policyTrainer(model, rl, miniBatchRows, seqLen, rl.rollout.temperature);
    if (policyCk) trainer.loadOptimizerState(policyCk.optimizer!);
    const correction = new MismatchCorrection(model, rl, rl.rollout.temperature);

    let critic: { model: LlamaModel; trainer: Trainer; config: ModelConfig } | null = null;
    if (rl.critic) {
      const ckCritic = latest?.models.critic;
      const startCritic = input.criticStart ?? withValueHead(input.start, true, input.seed);
      const cc = ckCritic ? ckCritic.config : startCritic.config;
      const cm = LlamaModel.fromHostWeights(ckCritic ? ckCritic.weights : startCritic.weights, cc);
      const ct = new Trainer(cm, {
        miniBatchRows,
        seqLen,
        microBatchRows: rl.micro_batch_size,
        workers: rl.workers,
        lossFn: criticLoss(rl.critic.value_clip),
        optimizer: adamwFrom(rl.critic.optim),
        schedule: scheduleFrom(rl.critic.optim, rl.steps * rl.ppo_epochs * rl.mini_batches),
      });
      if (ckCritic) ct.loadOptimizerState(ckCritic.optimizer!);
      critic = { model: cm, trainer: ct, config: cc };
    }
    // The reference policy scores the rollouts whenever a KL term is configured (also with beta 0, for the metric).
    const needsRef = rl.kl_loss !== null || rl.kl_reward !== null;
    const refSampler: Sampler | null = needsRef ? await makeSampler(refWeights, input.start.config, rl.rollout.backend) : null;

    const evalNow = (w: HostWeights) => greedyAccuracy(w, config, tok, task, input.evalProblems, reward, rl.rollout.backend, maxNew);
    const startStep = latest ? latest.step : 0;
    let evalStart: number | null = latest ? ((latest.state.evalStart as number | null) ?? null) : null;
    if (startStep === 0 && input.evalProblems.length) {
      evalStart = await evalNow(model.hostWeights());
      run.log(phase, 0, { eval_accuracy: evalStart, eval_problems: input.evalProblems.length });
    }
    let evalEnd: number | null = latest ? ((latest.state.evalEnd as number | null) ?? null) : evalStart;
    const progress = run.progress(phase, rl.steps);
    progress.update(startStep);
    const models = (): Record<string, TrainedModel> => ({
      policy: { kind: 'policy', model, trainer, tokenizer: tok },
      ...(critic ? { critic: { kind: 'critic', model: critic.model, trainer: critic.trainer, tokenizer: tok } } : {}),
    });

    try {
      for (let step = startStep + 1; step <= rl.steps; step++) {
        const timer = new StepTimer();
        const rng = new Rng(input.seed).fork(`${phase}.step.${step}`);
        // ---- 1. rollout
        const batchProblems = pickProblems(input.problems, rl.prompts_per_step, rng.fork('problems'));
        const rows: number[][] = [];
        const groups: number[] = [];
        batchProblems.forEach((p, g) => {
          const ids = promptIds(tok, task, p);
          for (let j = 0; j < rl.group_size; j++) {
            rows.push(ids);
            groups.push(g);
          }
        });
        const samples = await timer.time('rollout', async () => {
          const sampler = await makeSampler(model.hostWeights(), config, rl.rollout.backend);
          try {
            return await sampler.sample(rows, {
              maxNewTokens: maxNew,
              temperature: rl.rollout.behaviour_temperature ?? rl.rollout.temperature,
              topP: rl.rollout.top_p,
              seed: rng.fork('sample').nextU32(),
            });
          } finally {
            sampler.dispose();
          }
        });
        const generated = samples.reduce((n, s) => n + s.tokens.length, 0);

        // ---- 2. scoring
        const scored = await timer.time('scoring', async () => {
          const rewards = await reward(
            samples.map((s, i) => ({
              problem: batchProblems[groups[i]],
              completion: tok.decode(s.tokens.filter((t) => t !== EOS)),
              tokens: s.tokens.length,
            })),
          );
          const all: Rollout[] = samples.map((s, i) => {
            let score = rewards[i].score;
            if (rl.overlong.soft) score += softOverlongPenalty(s.tokens.length, rl.overlong.soft.max_length, rl.overlong.soft.cache_length);
            return {
              seq: { ids: [...rows[i], ...s.tokens], promptLen: rows[i].length },
              group: groups[i],
              behaviourLogp: s.logprobs,
              truncated: s.finishReason === 'length',
              score,
              correct: rewards[i].correct,
              unparseable: rewards[i].unparseable === true,
            };
          });
          const groupStats = est.needsGroups
            ? dynamicSampling(
                all.map((r) => r.score),
                all.map((r) => r.group),
              )
            : null;
          const ds = rl.dynamic_sampling ? groupStats : null;
          const zeroVar = groupStats ? groupStats.zeroVarianceShare : null;
          const kept = ds ? ds.keepRows.map((i) => all[i]) : all;
          if (kept.length === 0)
            return {
              all,
              kept,
              zeroVar,
              adv: null as null | { advantages: Matrix; returns: Matrix },
              mask: matrix(0, 0),
              oldLogp: matrix(0, 0),
              refLogp: null as Matrix | null,
              values: null as Matrix | null,
              klReward: null as number | null,
            };
          const cols = Math.max(...kept.map((r) => r.seq.ids.length - r.seq.promptLen));
          const fullMask = maskOf(kept, cols);
          const oldLogp = responseMatrix(
            kept.map((r) => r.behaviourLogp),
            cols,
          );
          let tokenRewards = matrix(kept.length, cols);
          kept.forEach((r, i) => {
            tokenRewards.data[i * cols + (r.seq.ids.length - r.seq.promptLen) - 1] = r.score;
          });
          let refLogp: Matrix | null = null;
          if (refSampler) {
            const lp = await refSampler.scoreLogprobs(
              kept.map((r) => r.seq.ids),
              kept.map((r) => r.seq.promptLen),
            );
            refLogp = responseMatrix(lp, cols);
          }
          let klReward: number | null = null;
          if (rl.kl_reward) {
            const kl = klPerToken(rl.kl_reward.estimator, oldLogp, refLogp!, fullMask);
            tokenRewards = applyKlToRewards(tokenRewards, kl, fullMask, rl.kl_reward.coef);
            let s = 0;
            let n = 0;
            for (let k = 0; k < kl.data.length; k++) {
              s += kl.data[k];
              n += fullMask.data[k];
            }
            klReward = n ? s / n : 0;
          }
          let values: Matrix | null = null;
          if (critic) {
            const v = await valuesAtAllPositions(
              critic.model.hostWeights(),
              critic.config,
              kept.map((r) => r.seq.ids),
            );
            // V(s_t) for response token k is read at the position before it (promptLen + k - 1)
            values = responseMatrix(
              kept.map((r, i) => Array.from({ length: r.seq.ids.length - r.seq.promptLen }, (_, k) => v[i][r.seq.promptLen + k - 1])),
              cols,
            );
          }
          const adv = computeAdvantages(rl.advantage, {
            tokenRewards,
            mask: fullMask,
            groups: kept.map((r) => r.group),
            values: values ?? undefined,
            gamma: rl.gamma,
            lambda: rl.lambda,
          });
          const mask = rl.overlong.filter
            ? overlongFilter(
                fullMask,
                kept.map((r) => r.truncated),
              )
            : fullMask;
          return { all, kept, zeroVar, adv, mask, oldLogp, refLogp, values, klReward };
        });

        // ---- 3. training
        const updates: Record<string, number[]> = {};
        const push = (k: string, v: number | undefined) => {
          if (v !== undefined && Number.isFinite(v)) (updates[k] ??= []).push(v);
        };
        let trainTokens = 0;
        if (scored.adv) {
          const { kept, adv, mask, oldLogp, refLogp, values } = scored;
          const cols = mask.cols;
          const idx = kept.map((_, i) => i);
          await timer.time('training', async () => {
            const prep = await correction.prepare(
              kept.map((r) => r.seq),
              oldLogp,
              mask,
            );
            let firstUpdate = true;
            for (let epoch = 0; epoch < rl.ppo_epochs; epoch++) {
              for (const part of chunk(idx, rl.mini_batches)) {
                const seqs = part.map((i) => kept[i].seq);
                const sub = (m: Matrix) => selectRows(m, part);
                const subMask = sub(mask);
                const weight = aggregationWeights(subMask, rl.loss_agg, { normLength: rl.loss_norm_length ?? maxNew });
                const rowsOf = (m: Matrix | Float32Array) => toTrainerRows(seqs, m instanceof Float32Array ? m : m.data, cols, seqLen);
                const floats: Record<string, number[][]> = {
                  mask: rowsOf(subMask),
                  weight: rowsOf(weight),
                  adv: rowsOf(sub(adv.advantages)),
                  old_logp: rowsOf(sub(prep.oldLogp)),
                };
                for (const [k, m] of Object.entries(prep.floats)) floats[k] = rowsOf(sub(m));
                if (refLogp && rl.kl_loss) floats.ref_logp = rowsOf(sub(refLogp));
                const r = await trainer.trainStep([{ ...tokenRows(seqs), floats }]);
                if (firstUpdate) correction.firstUpdate(r.metrics);
                firstUpdate = false;
                trainTokens += seqs.reduce((n, s) => n + s.ids.length - 1, 0);
                push('loss', r.loss);
                push('grad_norm', r.gradNorm);
                push('lr', r.lr);
                for (const [k, v] of Object.entries(r.metrics)) push(k, v);
                if (critic && values) {
                  const cw = aggregationWeights(subMask, 'token-mean');
                  const cr = await critic.trainer.trainStep([
                    {
                      ...tokenRows(seqs),
                      floats: {
                        mask: rowsOf(subMask),
                        weight: rowsOf(cw),
                        returns: rowsOf(sub(adv.returns)),
                        old_values: rowsOf(sub(values)),
                      },
                    },
                  ]);
                  push('value_loss', cr.loss);
                  push('value_clip_frac', cr.metrics.value_clip_frac);
                }
              }
            }
          });
        } else {
          // every group had equal rewards: no gradient this step; keep the optimiser clocks aligned
          logger.debug(`${phase} step ${step}: all groups had zero reward variance; no update`);
        }
        // keep the optimiser step count a function of the RL step even when a step had no update
        const wantOptSteps = step * rl.ppo_epochs * rl.mini_batches;
        if (trainer.step < wantOptSteps) trainer.loadOptimizerState({ ...trainer.optimizerState(), step: wantOptSteps });
        if (critic && critic.trainer.step < wantOptSteps)
          critic.trainer.loadOptimizerState({ ...critic.trainer.optimizerState(), step: wantOptSteps });

        let evalAcc: number | undefined;
        if (input.evalProblems.length && (step % rl.eval_every === 0 || step === rl.steps)) {
          evalAcc = await timer.time('eval', () => evalNow(model.hostWeights()));
          evalEnd = evalAcc;
        }
        const all = scored.all;
        const stepTime = timer.get('rollout') + timer.get('scoring') + timer.get('training');
        const avg = (k: string) => (updates[k] ? mean(updates[k]) : undefined);
        if (step % run.recipe.log_every === 0 || step === rl.steps || evalAcc !== undefined) {
          run.log(phase, step, {
            ...roundMetrics({
              reward: mean(all.map((r) => r.score)),
              accuracy: mean(all.map((r) => (r.correct ? 1 : 0))),
              unparseable: mean(all.map((r) => (r.unparseable ? 1 : 0))),
              eval_accuracy: evalAcc,
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
              train_tokens: trainTokens,
              train_tokens_per_s: trainTokens ? trainTokens / Math.max(1e-6, timer.get('training')) : undefined,
              share_rollout: timer.get('rollout') / stepTime,
              share_scoring: timer.get('scoring') / stepTime,
              share_training: timer.get('training') / stepTime,
              ...(scored.adv ? correction.metrics() : {}),
            }),
            ...timer.record(),
          });
        }
        progress.update(step, { reward: +mean(all.map((r) => r.score)).toFixed(3) });
        if (step % input.checkpointEvery === 0 || step === rl.steps) ck.save(step, models(), { evalStart, evalEnd });
      }
    } finally {
      progress.stop();
      refSampler?.dispose();
      correction.dispose();
    }
    const result: RlResult = {
      checkpoint: ck.latestFile('policy')!,
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
