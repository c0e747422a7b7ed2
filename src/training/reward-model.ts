/**
 * Reward models from preference pairs: the Bradley-Terry model of InstructGPT (Ouyang et al. 2022,
 * eq. 1), for rlmkit's embedded models.
 *
 *   loss(theta) = -E_(x, y_c, y_r) [ log sigmoid( r_theta(x, y_c) - r_theta(x, y_r) ) ]
 *
 * r_theta(x, y) is a scalar read at the last token of prompt + response: the policy's trunk with
 * the value head (docs/design.md: tanh), scaled, r = scale * tanh(w . h_last + b). The tanh keeps
 * the head bounded like every rlmkit value model; `scale` (beta) lets the modelled probability
 * sigmoid(r_c - r_r) reach 0 or 1 (at scale 4, r_c - r_r spans [-8, 8]).
 *
 * The trainer starts from model.init's trunk with a fresh head, trains on pairs (./rm-pairs.ts) and
 * reports the held-out pair accuracy: the share of held-out pairs with r(chosen) > r(rejected).
 */
import { Rng, inputError, logger } from '../core/index.js';
import { LlamaModel, type LossFn, PAD, Trainer, describeLoss, initEngine, ops } from '../engine/index.js';
import { adamwFrom, roundMetrics, scheduleFrom, StepTimer } from './common.js';
import type { LoadedModel } from './models.js';
import type { RmSection } from './recipe.js';
import type { RmPair } from './rm-pairs.js';
import type { TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';

/** softplus(-z) = -log sigmoid(z), stable: max(-z, 0) + log(1 + e^-|z|). */
const negLogSigmoid = (z: number) => Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

/**
 * Host reference of the loss over pairs of head outputs v (tanh values): mean over pairs of
 * -log sigmoid(scale (v_c - v_r)), the share of pairs ranked right (v_c > v_r), and the mean margin
 * scale (v_c - v_r).
 */
export function bradleyTerryLoss(
  chosen: readonly number[],
  rejected: readonly number[],
  scale = 1,
): { loss: number; accuracy: number; margin: number } {
  if (chosen.length !== rejected.length || chosen.length === 0)
    throw new RangeError(`bradleyTerryLoss: ${chosen.length} chosen and ${rejected.length} rejected scores`);
  let loss = 0;
  let right = 0;
  let margin = 0;
  chosen.forEach((c, i) => {
    const z = scale * (c - rejected[i]);
    loss += negLogSigmoid(z);
    if (z > 0) right++;
    margin += z;
  });
  const n = chosen.length;
  return { loss: loss / n, accuracy: right / n, margin: margin / n };
}

/**
 * The same loss as an engine loss builder. Rows come in pairs: row 2i is the chosen sequence of
 * pair i, row 2i+1 its rejected one (chunks must keep pairs together: even micro-batches). Floats:
 *   sign        [B, T]  +1 at the chosen row's last token, -1 at the rejected row's, 0 elsewhere
 *   pair_weight [B]     1/P on row 2i of each of the P pairs of the mini-batch, 0 elsewhere
 * so sum_t sign * v over both rows of a pair is v_c - v_r.
 */
export function rewardModelLoss(scale: number): LossFn {
  const fn: LossFn = (out, b) => {
    const v = out.values(); // [B, T], tanh head at every position
    const signed = ops.sum(ops.mul(v, b.sign), -1); // [B]
    const [B] = signed.shape;
    const diff = ops.sum(ops.reshape(signed, [B / 2, 2]), -1); // [B/2]: v_c - v_r
    const pw = ops.sum(ops.reshape(b.pair_weight, [B / 2, 2]), -1);
    const z = ops.mul(diff, scale);
    const nz = ops.neg(z);
    const softplus = ops.add(ops.maximum(nz, 0), ops.log(ops.add(ops.exp(ops.neg(ops.abs(z))), 1)));
    return {
      loss: ops.sum(ops.mul(softplus, pw)),
      metrics: { margin: ops.sum(ops.mul(z, pw)), accuracy: ops.sum(ops.mul(ops.where(ops.greater(z, 0), 1, 0), pw)) },
    };
  };
  return describeLoss(fn, {
    rows: 'sum',
    summedMetrics: ['margin', 'accuracy'],
    source: { module: import.meta.url, name: 'rewardModelLoss', args: [scale] },
  });
}

/** Trainer rows of pairs: each sequence plus a trailing pad, so the last real token is fed (the head is read there). */
export function pairBatch(pairs: readonly RmPair[], seqLen: number) {
  const seqs = pairs.flatMap((p) => [
    [...p.chosen, PAD],
    [...p.rejected, PAD],
  ]);
  return {
    tokens: seqs.map((s) => s.slice(0, -1)),
    targets: seqs.map((s) => s.slice(1)),
    floats: {
      sign: seqs.map((s, r) => {
        const row = new Array<number>(seqLen).fill(0);
        row[s.length - 2] = r % 2 === 0 ? 1 : -1;
        return row;
      }),
      pair_weight: pairs.flatMap(() => [1 / pairs.length, 0]),
    },
  };
}

/** Head outputs r = scale * v at the last token of each sequence, batched on the onnxruntime graph. */
export async function scoreSequences(model: LoadedModel, seqs: readonly number[][], scale: number): Promise<number[]> {
  if (seqs.length === 0) return [];
  const sampler = await makeSampler(model.weights, model.config, 'onnx');
  try {
    return (await sampler.values!(seqs.map((s) => [...s]))).map((v) => scale * v);
  } finally {
    sampler.dispose();
  }
}

/** Share of pairs with r(chosen) > r(rejected), from scores of [chosen..., rejected...]. */
export function pairAccuracy(chosen: readonly number[], rejected: readonly number[]): number {
  return chosen.length === 0 ? NaN : chosen.filter((c, i) => c > rejected[i]).length / chosen.length;
}

export interface RewardModelResult {
  checkpoint: string;
  steps: number;
  trainPairs: number;
  heldOutPairs: number;
  /** Held-out pair accuracy and BT loss at the end (null without held-out pairs). */
  heldOutAccuracy: number | null;
  heldOutLoss: number | null;
}

export async function runRewardModelPhase(input: {
  run: TrainingRun;
  phase: string;
  /** A model with a value head (the policy's trunk + fresh head). */
  start: LoadedModel;
  train: readonly RmPair[];
  heldOut: readonly RmPair[];
  rm: RmSection;
  seed: number;
  checkpointEvery: number;
  /** Saved with the checkpoint, read by the reward (./rm-reward.ts). */
  describe: Record<string, unknown>;
}): Promise<RewardModelResult> {
  const { run, phase, rm } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    if (!input.start.config.valueHead) throw inputError(`${phase}: the model has no value head`, 'this is a bug in rlmkit');
    const fits = (p: RmPair) => Math.max(p.chosen.length, p.rejected.length) <= input.start.config.maxSeqLen;
    const train = input.train.filter(fits);
    const heldOut = input.heldOut.filter(fits);
    if (train.length < input.train.length)
      logger.warn(`${phase}: ${input.train.length - train.length} of ${input.train.length} pairs exceed the context and were skipped`);
    if (train.length === 0)
      throw inputError(
        `${phase}: no training pairs (${input.train.length} before the context check)`,
        'sample more (rm.samples_per_problem, task.limit) or give a pairs file; a policy whose samples all get the same rule verdict gives no pairs',
      );
    const latest = ck.latest();
    const saved = latest?.models.reward;
    const config = saved ? saved.config : input.start.config;
    const tok = input.start.tokenizer;
    const model = LlamaModel.fromHostWeights(saved ? saved.weights : input.start.weights, config);
    const seqLen = Math.max(...[...train, ...heldOut].map((p) => Math.max(p.chosen.length, p.rejected.length)));
    const trainer = new Trainer(model, {
      miniBatchRows: 2 * rm.batch_size,
      seqLen,
      microBatchRows: rm.micro_batch_size,
      workers: rm.workers,
      lossFn: rewardModelLoss(rm.scale),
      optimizer: adamwFrom(rm.optim),
      schedule: scheduleFrom(rm.optim, rm.steps),
    });
    if (saved) trainer.loadOptimizerState(saved.optimizer!);
    const validate = async (): Promise<{ accuracy: number | null; loss: number | null }> => {
      if (heldOut.length === 0) return { accuracy: null, loss: null };
      const current: LoadedModel = { ...input.start, config, weights: model.hostWeights() };
      const r = await scoreSequences(current, [...heldOut.map((p) => p.chosen), ...heldOut.map((p) => p.rejected)], 1);
      const bt = bradleyTerryLoss(r.slice(0, heldOut.length), r.slice(heldOut.length), rm.scale);
      return { accuracy: bt.accuracy, loss: bt.loss };
    };
    const root = new Rng(input.seed).fork(`${phase}.data`);
    const progress = run.progress(phase, rm.steps);
    progress.update(trainer.step);
    let last = (latest?.state.val as { accuracy: number | null; loss: number | null } | undefined) ?? { accuracy: null, loss: null };
    try {
      if (trainer.step === 0) {
        last = await validate();
        run.log(
          phase,
          0,
          roundMetrics({
            train_pairs: train.length,
            held_out_pairs: heldOut.length,
            val_pair_accuracy: last.accuracy ?? undefined,
            val_loss: last.loss ?? undefined,
          }),
        );
      }
      while (trainer.step < rm.steps) {
        const timer = new StepTimer();
        const idx: number[] = [];
        for (let pos = trainer.step * rm.batch_size; idx.length < rm.batch_size; pos++) {
          const perm = root.fork(`epoch.${Math.floor(pos / train.length)}`).shuffle(Array.from({ length: train.length }, (_, i) => i));
          idx.push(perm[pos % train.length]);
        }
        const r = await timer.time('training', () =>
          trainer.trainStep([
            pairBatch(
              idx.map((i) => train[i]),
              seqLen,
            ),
          ]),
        );
        const isLast = r.step === rm.steps;
        const checkpoint = r.step % input.checkpointEvery === 0 || isLast;
        if (checkpoint) last = await timer.time('eval', validate);
        if (r.step % run.recipe.log_every === 0 || isLast)
          run.log(phase, r.step, {
            ...roundMetrics({
              loss: r.loss,
              pair_accuracy: r.metrics.accuracy,
              margin: r.metrics.margin,
              lr: r.lr,
              grad_norm: r.gradNorm,
              val_pair_accuracy: checkpoint ? (last.accuracy ?? undefined) : undefined,
              val_loss: checkpoint ? (last.loss ?? undefined) : undefined,
            }),
            ...timer.record(),
          });
        progress.update(r.step, { loss: +r.loss.toFixed(4) });
        if (checkpoint)
          ck.save(
            r.step,
            { reward: { kind: 'reward', model, trainer, tokenizer: tok, extra: { reward_model: input.describe } } },
            { val: last },
          );
      }
    } finally {
      progress.stop();
    }
    const result: RewardModelResult = {
      checkpoint: ck.latestFile('reward')!,
      steps: rm.steps,
      trainPairs: train.length,
      heldOutPairs: heldOut.length,
      heldOutAccuracy: last.accuracy,
      heldOutLoss: last.loss,
    };
    trainer.dispose();
    model.dispose();
    return result;
  });
}
