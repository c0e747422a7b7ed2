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
 * Steps, problems and sampling seeds derive from (seed, phase, step) as in the synchronous loop
 * (../rl.ts); advantages, dynamic sampling, KL in the loss and the mini-batch updates are the same.
 * Not supported here: a critic (GAE), KL in the reward, checkpoints and resume.
 */
import { Rng, logger, usageError } from '../../core/index.js';
import { EOS, type HostWeights, LlamaModel, type Sampler, initEngine } from '../../engine/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import {
  type Matrix,
  aggregationWeights,
  computeAdvantages,
  dynamicSampling,
  matrix,
  overlongFilter,
  softOverlongPenalty,
} from '../algos/index.js';
import { chunk, mean } from '../common.js';
import type { LoadedModel } from '../models.js';
import type { RlSection } from '../recipe.js';
import type { RewardFn } from '../rewards.js';
import { policyTrainer } from '../rl.js';
import { sampleStepProblems } from '../rl/steps.js';
import { makeSampler } from '../rollout-sampler.js';
import { type Sequence, promptIds, toTrainerRows, tokenRows } from '../sequences.js';
import { MismatchCorrection } from './mismatch.js';
import { RolloutClient } from './rollout-client.js';

export interface AsyncSettings {
  /** eta: the most policy versions between a sample's first token and the update that uses it. */
  staleness: number;
  /** Tokens per generation segment; new weights take over between segments (interruptible). */
  segmentTokens: number;
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

export async function runAsyncRl(input: AsyncRlInput): Promise<AsyncRlResult> {
  const { rl, task, reward, phase } = input;
  const eta = input.async.staleness;
  if (!Number.isInteger(eta) || eta < 0) throw usageError(`async staleness must be a whole number >= 0, got ${eta}`);
  if (rl.critic || rl.kl_reward)
    throw usageError('asynchronous RL supports the critic-free estimators with KL in the loss only', 'remove rl.critic / rl.kl_reward');
  if (!DECOUPLED.includes(rl.policy_loss.name))
    throw usageError(
      `asynchronous RL needs a decoupled policy loss (${DECOUPLED.join(', ')}), got ${rl.policy_loss.name}`,
      'set rl.policy_loss.name: decoupled',
    );
  await initEngine();
  const tok = input.start.tokenizer;
  const config = input.start.config;
  const model = LlamaModel.fromHostWeights(input.start.weights, config);
  const longest = Math.max(...input.problems.map((p) => promptIds(tok, task, p).length));
  const maxNew = Math.min(rl.rollout.max_new_tokens, config.maxSeqLen - longest);
  if (maxNew < 1) throw usageError(`${phase}: prompts of ${longest} tokens leave no room to answer`, 'raise model.max_seq_len');
  const seqLen = Math.min(config.maxSeqLen, longest + maxNew - 1);
  const miniBatchRows = Math.ceil((rl.prompts_per_step * rl.group_size) / rl.mini_batches);
  const trainer = policyTrainer(model, rl, miniBatchRows, seqLen, rl.rollout.temperature);
  const correction = new MismatchCorrection(model, rl, rl.rollout.temperature);
  const refSampler: Sampler | null = rl.kl_loss ? await makeSampler(input.start.weights, config, rl.rollout.backend) : null;
  const client = new RolloutClient(config);
  client.publish(model.hostWeights(), 0);

  type Batch = { problems: Problem[]; rows: number[][]; groups: number[]; out: ReturnType<RolloutClient['generate']> };
  const batches = new Map<number, Batch>();
  const submit = (j: number) => {
    const rng = new Rng(input.seed).fork(`${phase}.step.${j}`);
    const problems = sampleStepProblems(input.problems, rl.prompts_per_step, rng.fork('problems'));
    const rows: number[][] = [];
    const groups: number[] = [];
    problems.forEach((p, g) => {
      const ids = promptIds(tok, task, p);
      for (let i = 0; i < rl.group_size; i++) {
        rows.push(ids);
        groups.push(g);
      }
    });
    const out = client.generate({
      prompts: rows,
      maxNewTokens: maxNew,
      segmentTokens: input.async.segmentTokens,
      temperature: rl.rollout.behaviour_temperature ?? rl.rollout.temperature,
      topP: rl.rollout.top_p,
      seed: rng.fork('sample').nextU32(),
    });
    out.catch(() => undefined); // awaited in order below
    batches.set(j, { problems, rows, groups, out });
  };

  let samples = 0;
  let generatedTokens = 0;
  let waitMs = 0;
  const stale: number[] = [];
  const stepEnds: number[] = [];
  let mixed = 0;
  let submitted = 0;
  const t0 = performance.now();
  try {
    for (let step = 1; step <= rl.steps; step++) {
      // The trainer is at version step-1: batches up to step + eta may start now.
      while (submitted < Math.min(rl.steps, step + eta)) submit(++submitted);
      const b = batches.get(step)!;
      batches.delete(step);
      const tw = performance.now();
      const rows = await b.out;
      waitMs += performance.now() - tw;
      const tStep = performance.now();
      const firstVersion = Math.min(...rows.map((r) => (r.versions.length ? r.versions[0] : step - 1)));
      const lastVersion = Math.max(...rows.map((r) => (r.versions.length ? r.versions[r.versions.length - 1] : step - 1)));
      stale.push(step - 1 - firstVersion);
      if (rows.some((r) => r.versions.length > 0 && r.versions[0] !== r.versions[r.versions.length - 1])) mixed++;
      samples += rows.length;
      generatedTokens += rows.reduce((n, r) => n + r.tokens.length, 0);

      // ---- scoring (as ../rl.ts)
      const scored = await reward(
        rows.map((r, i) => ({
          problem: b.problems[b.groups[i]],
          completion: tok.decode(r.tokens.filter((t) => t !== EOS)),
          tokens: r.tokens.length,
        })),
      );
      const all = rows.map((r, i) => {
        let score = scored[i].score;
        if (rl.overlong.soft) score += softOverlongPenalty(r.tokens.length, rl.overlong.soft.max_length, rl.overlong.soft.cache_length);
        return {
          seq: { ids: [...b.rows[i], ...r.tokens], promptLen: b.rows[i].length } as Sequence,
          group: b.groups[i],
          logp: r.logprobs,
          truncated: r.finishReason === 'length',
          score,
          correct: scored[i].correct,
        };
      });
      const ds = rl.dynamic_sampling
        ? dynamicSampling(
            all.map((r) => r.score),
            all.map((r) => r.group),
          )
        : null;
      const kept = ds ? ds.keepRows.map((i) => all[i]) : all;
      const metrics: Record<string, number> = {
        reward: mean(all.map((r) => r.score)),
        accuracy: mean(all.map((r) => (r.correct ? 1 : 0))),
        staleness: step - 1 - firstVersion,
        version_first: firstVersion,
        version_last: lastVersion,
        kept_samples: kept.length,
      };
      if (kept.length > 0) {
        const cols = Math.max(...kept.map((r) => r.seq.ids.length - r.seq.promptLen));
        const fullMask = matrix(kept.length, cols);
        const oldLogp = matrix(kept.length, cols);
        const tokenRewards = matrix(kept.length, cols);
        kept.forEach((r, i) => {
          const n = r.seq.ids.length - r.seq.promptLen;
          fullMask.data.fill(1, i * cols, i * cols + n);
          r.logp.forEach((x, t) => (oldLogp.data[i * cols + t] = x));
          tokenRewards.data[i * cols + n - 1] = r.score;
        });
        let refLogp: Matrix | null = null;
        if (refSampler) {
          const lp = await refSampler.scoreLogprobs(
            kept.map((r) => r.seq.ids),
            kept.map((r) => r.seq.promptLen),
          );
          refLogp = matrix(kept.length, cols);
          lp.forEach((row, i) =>
            row.forEach((x, t) => {
              if (t < cols) refLogp!.data[i * cols + t] = x;
            }),
          );
        }
        const adv = computeAdvantages(rl.advantage, {
          tokenRewards,
          mask: fullMask,
          groups: kept.map((r) => r.group),
          gamma: rl.gamma,
          lambda: rl.lambda,
        });
        const mask = rl.overlong.filter
          ? overlongFilter(
              fullMask,
              kept.map((r) => r.truncated),
            )
          : fullMask;

        // ---- update: decoupled objective against the trainer's proximal policy
        const prep = await correction.prepare(
          kept.map((r) => r.seq),
          oldLogp,
          mask,
        );
        const idx = kept.map((_, i) => i);
        const losses: number[] = [];
        for (let epoch = 0; epoch < rl.ppo_epochs; epoch++) {
          for (const part of chunk(idx, rl.mini_batches)) {
            const seqs = part.map((i) => kept[i].seq);
            const sub = (m: Matrix) => {
              const out = matrix(part.length, m.cols);
              part.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
              return out;
            };
            const subMask = sub(mask);
            const rowsOf = (m: Matrix | Float32Array) => toTrainerRows(seqs, m instanceof Float32Array ? m : m.data, cols, seqLen);
            const floats: Record<string, number[][]> = {
              mask: rowsOf(subMask),
              weight: rowsOf(aggregationWeights(subMask, rl.loss_agg, { normLength: rl.loss_norm_length ?? maxNew })),
              adv: rowsOf(sub(adv.advantages)),
              old_logp: rowsOf(sub(prep.oldLogp)),
            };
            for (const [k, m] of Object.entries(prep.floats)) floats[k] = rowsOf(sub(m));
            if (refLogp && rl.kl_loss) floats.ref_logp = rowsOf(sub(refLogp));
            const r = await trainer.trainStep([{ ...tokenRows(seqs), floats }]);
            losses.push(r.loss);
          }
        }
        Object.assign(metrics, correction.metrics(), { loss: mean(losses) });
      } else {
        logger.debug(`${phase} step ${step}: all groups had zero reward variance; no update`);
      }
      client.publish(model.hostWeights(), step);
      metrics.step_s = (performance.now() - tStep) / 1000;
      metrics.wait_s = (performance.now() - tw) / 1000 - metrics.step_s;
      input.onStep?.(step, metrics);
      stepEnds.push((performance.now() - t0) / 1000);
    }
    return {
      weights: model.hostWeights(),
      steps: rl.steps,
      samples,
      generatedTokens,
      wallS: (performance.now() - t0) / 1000,
      trainerWaitS: waitMs / 1000,
      meanStaleness: mean(stale),
      maxStaleness: Math.max(...stale),
      stepEnds,
      staleness: stale,
      mixedVersionSteps: mixed,
    };
  } finally {
    await client.close();
    correction.dispose();
    refSampler?.dispose();
    trainer.dispose();
    model.dispose();
  }
}
