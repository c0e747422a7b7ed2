/**
 * Rollout–trainer mismatch, per RL step: what the chosen policy loss needs beyond the behaviour
 * log-probs, and the measured gap between the rollout engine and the trainer.
 *
 * - Entries with a proximal policy (tis, mis, decoupled): log pi_prox comes from one gradient-free
 *   forward of the trainer's current weights over the step's rollouts (onnxruntime's forward graph,
 *   multi-threaded; its log-probs agree with the native training graph's to 1e-4), or is handed in
 *   precomputed (`useProximal`: the asynchronous loop's rollout thread scores it, ./rollout-worker.ts);
 *   the importance weights pi_prox / mu are computed on the host (./../algos/policy-losses.ts) and
 *   the loss's ratio is taken against pi_prox. The mismatch is then measured over every kept
 *   rollout token.
 * - With `policy_loss.proximal: current` the proximal entries need no forward either: the loss takes
 *   pi_prox = stopGradient(pi_theta) at each mini-batch and computes the weights from log mu (batch
 *   float `behav_logp`, ../algos/policy-losses-tensor.ts); the mismatch is then measured on the
 *   step's first mini-batch, before any update (where pi_theta is exactly the pre-update policy).
 * - The others (ppo_clip, gspo) cost nothing extra: the loss's ratio metrics on the step's first
 *   mini-batch, before any update, are the mismatch of those rows (old_logp is mu there).
 *
 * Metrics: mismatch_kl (k3 estimate of KL(mu || pi_trainer)), mismatch_k1, and with a proximal
 * forward mismatch_max_abs_logratio and is_corrected_frac (tokens truncated by TIS / dropped by MIS).
 */
import { type LlamaModel, createOnnxSampler, logSoftmax } from '../../engine/index.js';
import { registryPolicyLoss, type RegistryPolicyLossSettings } from '../algos/policy-losses-tensor.js';
import { type PolicyLossEntry, importanceWeights, policyLossEntry, rolloutMismatch } from '../algos/policy-losses.js';
import { type Matrix, matrix, rowLength } from '../algos/matrix.js';
import type { RlSection } from '../recipe.js';
import type { Sequence } from '../sequences.js';

export function registrySettings(rl: RlSection): RegistryPolicyLossSettings {
  const p = rl.policy_loss;
  return {
    name: p.name,
    clipLow: rl.clip.low,
    clipHigh: rl.clip.high,
    dualClip: rl.clip.dual,
    gspoClipLow: p.gspo_clip.low,
    gspoClipHigh: p.gspo_clip.high,
    klLoss: rl.kl_loss,
    entropyCoef: rl.entropy_coef,
    preClip: p.pre_clip,
    proximal: p.proximal,
    isCap: p.is_cap,
    isLow: p.is_low,
    isLevel: p.is_level,
  };
}

/** The policy trainer's loss for an RL section (every registry entry; ppo_clip equals losses.ts policyLoss). */
export const rlPolicyLoss = (rl: RlSection) => registryPolicyLoss(registrySettings(rl));

export interface PreparedStep {
  /** The ratio's denominator for the loss: pi_prox (proximal entries) or mu. */
  oldLogp: Matrix;
  /** Extra batch floats in response coordinates (is_w, behav_logp or seq_w). */
  floats: Record<string, Matrix>;
}

export class MismatchCorrection {
  readonly entry: PolicyLossEntry;
  private stepMetrics: Record<string, number> = {};
  private given: Matrix | null = null;

  constructor(
    private readonly model: LlamaModel,
    private readonly rl: RlSection,
    private readonly temperature: number,
  ) {
    this.entry = policyLossEntry(rl.policy_loss.name);
  }

  /** The loss takes pi_prox from its own forward (proximal: current): no proximal log-probs are needed. */
  get selfProximal(): boolean {
    return this.entry.needsProximal && this.rl.policy_loss.proximal === 'current';
  }

  /** Whether the step's rollouts need log pi_prox computed before the update (by useProximal or a forward here). */
  get needsProximalLogprobs(): boolean {
    return this.entry.needsProximal && !this.selfProximal;
  }

  /** log pi_prox of the next `prepare`'s rows (response coordinates), computed elsewhere; used once. */
  useProximal(prox: Matrix): void {
    this.given = prox;
  }

  /** Call once per step after scoring: the loss inputs for the kept rollouts. */
  async prepare(seqs: readonly Sequence[], behaviourLogp: Matrix, mask: Matrix): Promise<PreparedStep> {
    this.stepMetrics = {};
    const floats: Record<string, Matrix> = {};
    if (this.entry.name === 'gspo') {
      const w = matrix(mask.rows, mask.cols);
      for (let i = 0; i < mask.rows; i++) {
        const n = rowLength(mask, i);
        for (let t = 0, k = i * mask.cols; t < mask.cols; t++, k++) w.data[k] = n ? mask.data[k] / n : 0;
      }
      floats.seq_w = w;
    }
    const given = this.given;
    this.given = null;
    if (!this.entry.needsProximal) return { oldLogp: behaviourLogp, floats };
    if (this.selfProximal) return { oldLogp: behaviourLogp, floats: { ...floats, behav_logp: behaviourLogp } };
    const prox = given ?? (await this.proximal(seqs, mask.cols));
    if (prox.rows !== mask.rows || prox.cols !== mask.cols)
      throw new Error(`proximal log-probs are ${prox.rows}x${prox.cols}, the batch ${mask.rows}x${mask.cols}`);
    const p = this.rl.policy_loss;
    const mode = this.entry.name === 'tis' ? 'truncate' : this.entry.name === 'mis' ? 'mask' : 'none';
    const { weights, corrected } = importanceWeights(prox, behaviourLogp, mask, mode, p.is_level, p.is_cap, p.is_low);
    floats.is_w = weights;
    const m = rolloutMismatch(prox, behaviourLogp, mask);
    this.stepMetrics = {
      mismatch_kl: m.k3,
      mismatch_k1: m.k1,
      mismatch_max_abs_logratio: m.maxAbsLogRatio,
      is_corrected_frac: m.tokens ? corrected / m.tokens : 0,
    };
    return { oldLogp: prox, floats };
  }

  /** Call with the metrics of the step's first optimiser step (pre-update) for the free measure. */
  firstUpdate(metrics: Record<string, number>): void {
    if (this.selfProximal) {
      for (const k of ['mismatch_kl', 'mismatch_k1', 'mismatch_max_abs_logratio', 'is_corrected_frac'])
        if (Number.isFinite(metrics[k])) this.stepMetrics[k] = metrics[k];
      return;
    }
    if (this.entry.needsProximal) return;
    if (Number.isFinite(metrics.ratio_k3)) this.stepMetrics.mismatch_kl = metrics.ratio_k3;
    if (Number.isFinite(metrics.approx_kl)) this.stepMetrics.mismatch_k1 = metrics.approx_kl;
  }

  /** The step's mismatch metrics, for metrics.jsonl. */
  metrics(): Record<string, number> {
    return this.stepMetrics;
  }

  /** log pi_prox at the trainer's temperature from the model's current weights (one onnx forward). */
  private async proximal(seqs: readonly Sequence[], cols: number): Promise<Matrix> {
    const sampler = await createOnnxSampler(this.model.hostWeights(), this.model.config);
    try {
      const { logits } = await sampler.forward(seqs.map((s) => s.ids));
      const V = this.model.config.vocabSize;
      const prox = matrix(seqs.length, cols);
      seqs.forEach((s, i) => {
        for (let t = 0; t < cols && s.promptLen + t < s.ids.length; t++) {
          const l = logits[i].subarray((s.promptLen + t - 1) * V, (s.promptLen + t) * V);
          prox.data[i * cols + t] = logSoftmax(this.temperature === 1 ? l : Array.from(l, (x) => x / this.temperature))[
            s.ids[s.promptLen + t]
          ];
        }
      });
      return prox;
    } finally {
      sampler.dispose();
    }
  }

  dispose(): void {
    this.given = null;
  }
}
