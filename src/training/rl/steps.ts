/**
 * The three steps of one RL iteration (../rl.ts runs them in a loop, CleanRL-style; the async and
 * multi-turn loops reuse them):
 *
 *   rollout  sample `group_size` responses per prompt with the behaviour policy, keeping each
 *            token's behaviour log-prob
 *   score    rewards (the task's verifier, DAPO's soft overlong penalty), dynamic sampling, KL in
 *            the reward, critic values, advantages by the chosen estimator, overlong filtering
 *   update   ppo_epochs x mini_batches optimiser steps of the policy (and the critic) on the
 *            scored batch
 *
 * Each step is a plain async function of its inputs; nothing here keeps state between steps.
 */
import {
  EOS,
  type HostWeights,
  type ModelConfig,
  type SampleResult,
  type Sampler,
  type Tokenizer,
  type Trainer,
} from '../../engine/index.js';
import type { Rng } from '../../core/index.js';
import type { Problem, Task } from '../../tasks/types.js';
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
} from '../algos/index.js';
import { chunk } from '../common.js';
import { weightGroupAdvantages } from './curriculum.js';
import type { MismatchCorrection } from '../async/mismatch.js';
import type { RlSection } from '../recipe.js';
import type { RewardFn } from '../rewards.js';
import { makeSampler, valuesAtAllPositions } from '../rollout-sampler.js';
import { type Sequence, promptIds, toTrainerRows, tokenRows } from '../sequences.js';

/** The prompts of one step: each problem repeated `group_size` times, with its group id. */
export interface StepBatch {
  problems: Problem[];
  /** Prompt token ids, one row per sample. */
  rows: number[][];
  /** Index into `problems` of each row. */
  groups: number[];
}

/** What a rollout engine returns per sample (the Sampler's SampleResult, or the async worker's). */
export type RolloutSample = Pick<SampleResult, 'tokens' | 'logprobs' | 'finishReason'>;

/** One sampled response and what scoring made of it. */
export interface Rollout {
  seq: Sequence;
  /** The problem it answers, and its group's index in the step. */
  problem: Problem;
  group: number;
  behaviourLogp: number[];
  truncated: boolean;
  score: number;
  correct: boolean;
  /** No answer could be read from the completion. */
  unparseable: boolean;
}

/** `n` problems for a step: a shuffle of the pool by the step's rng, cycled when n exceeds it. */
export function sampleStepProblems(problems: readonly Problem[], n: number, rng: Rng): Problem[] {
  const idx = rng.shuffle(Array.from({ length: problems.length }, (_, i) => i));
  const out: Problem[] = [];
  for (let i = 0; i < n; i++) out.push(problems[idx[i % idx.length]]);
  return out;
}

/** Each problem's prompt `groupSize` times, with group ids. */
export function stepBatch(tok: Tokenizer, task: Task<Problem>, problems: readonly Problem[], groupSize: number): StepBatch {
  const rows: number[][] = [];
  const groups: number[] = [];
  problems.forEach((p, g) => {
    const ids = promptIds(tok, task, p);
    for (let j = 0; j < groupSize; j++) {
      rows.push(ids);
      groups.push(g);
    }
  });
  return { problems: [...problems], rows, groups };
}

export interface RolloutOptions {
  backend: 'onnx' | 'jax';
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number;
}

/** 1. rollout: the batch's prompts sampled by a fresh sampler over `weights`. */
export async function rollout(weights: HostWeights, config: ModelConfig, batch: StepBatch, o: RolloutOptions): Promise<SampleResult[]> {
  const sampler = await makeSampler(weights, config, o.backend);
  try {
    return await sampler.sample(batch.rows, { maxNewTokens: o.maxNewTokens, temperature: o.temperature, topP: o.topP, seed: o.seed });
  } finally {
    sampler.dispose();
  }
}

/** Rewards of each sample (the reward function plus DAPO's soft overlong penalty, eq. 13). */
export async function rewardRollouts(
  rl: RlSection,
  reward: RewardFn,
  tok: Tokenizer,
  batch: StepBatch,
  samples: readonly RolloutSample[],
): Promise<Rollout[]> {
  const rewards = await reward(
    samples.map((s, i) => ({
      problem: batch.problems[batch.groups[i]],
      completion: tok.decode(s.tokens.filter((t) => t !== EOS)),
      tokens: s.tokens.length,
    })),
  );
  return samples.map((s, i) => {
    let score = rewards[i].score;
    if (rl.overlong.soft) score += softOverlongPenalty(s.tokens.length, rl.overlong.soft.max_length, rl.overlong.soft.cache_length);
    return {
      seq: { ids: [...batch.rows[i], ...s.tokens], promptLen: batch.rows[i].length },
      problem: batch.problems[batch.groups[i]],
      group: batch.groups[i],
      behaviourLogp: s.logprobs,
      truncated: s.finishReason === 'length',
      score,
      correct: rewards[i].correct,
      unparseable: rewards[i].unparseable === true,
    };
  });
}

/** Response-coordinate matrix of per-token values (behaviour log-probs, ref log-probs, ...). */
export function responseMatrix(rows: readonly ArrayLike<number>[], cols: number): Matrix {
  const m = matrix(rows.length, cols);
  rows.forEach((r, i) => {
    for (let k = 0; k < Math.min(cols, r.length); k++) m.data[i * cols + k] = r[k];
  });
  return m;
}

/** 1 on each sequence's response tokens. */
export function responseMask(seqs: readonly Sequence[], cols: number): Matrix {
  const m = matrix(seqs.length, cols);
  seqs.forEach((s, i) => m.data.fill(1, i * cols, i * cols + Math.min(cols, s.ids.length - s.promptLen)));
  return m;
}

export function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = matrix(rows.length, m.cols);
  rows.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

/** A scored batch: every rollout, the ones kept for the update, and the matrices the update needs. */
export interface ScoredBatch {
  all: Rollout[];
  kept: Rollout[];
  /** Share of groups with equal rewards (group estimators only). */
  zeroVar: number | null;
  /** Null when no rollout was kept (no update this step). */
  adv: { advantages: Matrix; returns: Matrix } | null;
  /** Loss mask (after overlong filtering). */
  mask: Matrix;
  /** Behaviour log-probs. */
  oldLogp: Matrix;
  refLogp: Matrix | null;
  values: Matrix | null;
  /** Mean KL per token when KL is in the reward. */
  klReward: number | null;
  /** Extra per-step metrics of the options and hooks (group weights, filtered shares, ...). */
  metrics: Record<string, number>;
}

/** Optional stages of `score` that recipes switch on (issue 21's methods); each may add metrics. */
export interface ScoreHooks {
  /** After dynamic sampling: the rows (indices into all rollouts) to keep, e.g. ReST-GRPO's group selection. */
  selectRows?: (all: readonly Rollout[], keepRows: number[]) => { keepRows: number[]; metrics?: Record<string, number> };
  /** After the advantage estimator: new advantages and loss mask of the kept rows (TP-GRPO, StableReinforce). */
  advantages?: (
    kept: readonly Rollout[],
    advantages: Matrix,
    mask: Matrix,
  ) => Promise<{ advantages: Matrix; mask: Matrix; metrics?: Record<string, number> }>;
}

export interface ScoreModels {
  /** The frozen reference policy (KL terms); null without KL. */
  ref: Sampler | null;
  /** The critic (GAE); null without one. */
  critic: { weights: HostWeights; config: ModelConfig } | null;
}

/**
 * 2. score: from rewarded rollouts to advantages. Dynamic sampling (DAPO §3.2) keeps the groups
 * whose rewards differ; the outcome reward sits on each response's last token, KL to the reference
 * is subtracted per token when it is in the reward; the critic gives V(s_t) for GAE; overlong
 * filtering (DAPO §3.4) masks truncated responses out of the loss.
 */
export async function score(rl: RlSection, all: Rollout[], models: ScoreModels, hooks: ScoreHooks = {}): Promise<ScoredBatch> {
  const groupStats = computeGroupStats(rl, all);
  const ds = rl.dynamic_sampling ? groupStats : null;
  const zeroVar = groupStats ? groupStats.zeroVarianceShare : null;
  let keepRows = ds ? ds.keepRows : all.map((_, i) => i);
  const metrics: Record<string, number> = {};
  if (hooks.selectRows) {
    const sel = hooks.selectRows(all, keepRows);
    keepRows = sel.keepRows;
    Object.assign(metrics, sel.metrics);
  }
  const kept = keepRows.length === all.length ? all : keepRows.map((i) => all[i]);
  if (kept.length === 0)
    return {
      all,
      kept,
      zeroVar,
      adv: null,
      mask: matrix(0, 0),
      oldLogp: matrix(0, 0),
      refLogp: null,
      values: null,
      klReward: null,
      metrics,
    };
  const seqs = kept.map((r) => r.seq);
  const cols = Math.max(...kept.map((r) => r.seq.ids.length - r.seq.promptLen));
  const fullMask = responseMask(seqs, cols);
  const oldLogp = responseMatrix(
    kept.map((r) => r.behaviourLogp),
    cols,
  );
  let tokenRewards = matrix(kept.length, cols);
  kept.forEach((r, i) => {
    tokenRewards.data[i * cols + (r.seq.ids.length - r.seq.promptLen) - 1] = r.score;
  });
  let refLogp: Matrix | null = null;
  if (models.ref) {
    const lp = await models.ref.scoreLogprobs(
      seqs.map((s) => s.ids),
      seqs.map((s) => s.promptLen),
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
  if (models.critic) {
    const v = await valuesAtAllPositions(
      models.critic.weights,
      models.critic.config,
      seqs.map((s) => s.ids),
    );
    // V(s_t) for response token k is read at the position before it (promptLen + k - 1)
    values = responseMatrix(
      seqs.map((s, i) => Array.from({ length: s.ids.length - s.promptLen }, (_, k) => v[i][s.promptLen + k - 1])),
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
  if (rl.group_weighting) {
    const w = weightGroupAdvantages(
      rl.group_weighting.floor,
      all,
      kept.map((r) => r.group),
      adv.advantages,
    );
    adv.advantages = w.advantages;
    Object.assign(metrics, { group_weight_max: Math.max(...w.weights.values()), group_weight_min: Math.min(...w.weights.values()) });
  }
  let lossMask = fullMask;
  if (hooks.advantages) {
    const h = await hooks.advantages(kept, adv.advantages, fullMask);
    adv.advantages = h.advantages;
    lossMask = h.mask;
    Object.assign(metrics, h.metrics);
  }
  const mask = rl.overlong.filter
    ? overlongFilter(
        lossMask,
        kept.map((r) => r.truncated),
      )
    : lossMask;
  return { all, kept, zeroVar, adv, mask, oldLogp, refLogp, values, klReward, metrics };
}

function computeGroupStats(rl: RlSection, all: readonly Rollout[]): ReturnType<typeof dynamicSampling> | null {
  if (!advantageEstimators[rl.advantage].needsGroups) return null;
  return dynamicSampling(
    all.map((r) => r.score),
    all.map((r) => r.group),
  );
}

/** What `update` trains on: sequences and response-coordinate matrices of the same rows. */
export interface UpdateBatch {
  seqs: readonly Sequence[];
  mask: Matrix;
  advantages: Matrix;
  /** Behaviour log-probs (the policy that sampled). */
  oldLogp: Matrix;
  /** Reference log-probs, used when rl.kl_loss is set. */
  refLogp: Matrix | null;
  /** The critic's trainer with its targets (PPO). */
  critic?: { trainer: Trainer; returns: Matrix; values: Matrix } | null;
}

/** The update's input from a scored batch (null when no rollout was kept); `critic`: the critic's trainer, if any. */
export function toUpdate(scored: ScoredBatch, critic: Trainer | null): UpdateBatch | null {
  if (!scored.adv) return null;
  const { kept, adv, values } = scored;
  return {
    seqs: kept.map((r) => r.seq),
    mask: scored.mask,
    advantages: adv.advantages,
    oldLogp: scored.oldLogp,
    refLogp: scored.refLogp,
    critic: critic && values ? { trainer: critic, returns: adv.returns, values } : null,
  };
}

export interface UpdateOptions {
  rl: RlSection;
  trainer: Trainer;
  correction: MismatchCorrection;
  /** The trainer's sequence length. */
  seqLen: number;
  /** L_norm of seq-mean-token-sum-norm when rl.loss_norm_length is unset. */
  normLength: number;
}

export interface UpdateResult {
  /** Every trainer metric, one value per optimiser step (loss, grad_norm, lr, clip_frac, ..., value_loss). */
  metrics: Record<string, number[]>;
  trainTokens: number;
}

/**
 * 3. update: ppo_epochs x mini_batches optimiser steps. The trainer recomputes log-probs; the loss
 * applies the importance ratio against the behaviour (or proximal) log-probs the mismatch
 * correction prepares; the critic takes its clipped value loss on the same mini-batches.
 */
export async function update(b: UpdateBatch, o: UpdateOptions): Promise<UpdateResult> {
  const { rl, trainer, correction } = o;
  const metrics: Record<string, number[]> = {};
  const push = (k: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) (metrics[k] ??= []).push(v);
  };
  const cols = b.mask.cols;
  let trainTokens = 0;
  const prep = await correction.prepare(b.seqs, b.oldLogp, b.mask);
  const idx = b.seqs.map((_, i) => i);
  let firstUpdate = true;
  for (let epoch = 0; epoch < rl.ppo_epochs; epoch++) {
    for (const part of chunk(idx, rl.mini_batches)) {
      const seqs = part.map((i) => b.seqs[i]);
      const sub = (m: Matrix) => selectRows(m, part);
      const subMask = sub(b.mask);
      const weight = aggregationWeights(subMask, rl.loss_agg, { normLength: rl.loss_norm_length ?? o.normLength });
      const rowsOf = (m: Matrix | Float32Array) => toTrainerRows(seqs, m instanceof Float32Array ? m : m.data, cols, o.seqLen);
      const floats: Record<string, number[][]> = {
        mask: rowsOf(subMask),
        weight: rowsOf(weight),
        adv: rowsOf(sub(b.advantages)),
        old_logp: rowsOf(sub(prep.oldLogp)),
      };
      for (const [k, m] of Object.entries(prep.floats)) floats[k] = rowsOf(sub(m));
      if (b.refLogp && rl.kl_loss) floats.ref_logp = rowsOf(sub(b.refLogp));
      const r = await trainer.trainStep([{ ...tokenRows(seqs), floats }]);
      if (firstUpdate) correction.firstUpdate(r.metrics);
      firstUpdate = false;
      trainTokens += seqs.reduce((n, s) => n + s.ids.length - 1, 0);
      push('loss', r.loss);
      push('grad_norm', r.gradNorm);
      push('lr', r.lr);
      for (const [k, v] of Object.entries(r.metrics)) push(k, v);
      if (b.critic) {
        const cw = aggregationWeights(subMask, 'token-mean');
        const cr = await b.critic.trainer.trainStep([
          {
            ...tokenRows(seqs),
            floats: {
              mask: rowsOf(subMask),
              weight: rowsOf(cw),
              returns: rowsOf(sub(b.critic.returns)),
              old_values: rowsOf(sub(b.critic.values)),
            },
          },
        ]);
        push('value_loss', cr.loss);
        push('value_clip_frac', cr.metrics.value_clip_frac);
      }
    }
  }
  return { metrics, trainTokens };
}
