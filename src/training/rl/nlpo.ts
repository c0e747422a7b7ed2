/**
 * NLPO (Ramamurthy et al. 2023, "Is Reinforcement Learning (Not) for Natural Language Processing:
 * Benchmarks, Baselines, and Building Blocks for Natural Language Policy Optimization", §4, Alg. 1):
 * a masking policy pi_psi, a copy of the policy synchronised every `sync_every` steps, restricts
 * the action space at every token to its top-p nucleus
 *   M_t = smallest set of tokens whose pi_psi(. | s_t) mass reaches p (most likely first),
 * and the rollout samples from the policy renormalised on it:
 *   mu(a | s_t) = pi_T(a | s_t) 1[a in M_t] / sum_{v in M_t} pi_T(v | s_t)
 * (pi_T: the policy at the rollout temperature). The behaviour log-prob recorded for each token is
 * log mu(a | s_t), the distribution actually sampled, so the loss's importance ratio
 * pi_theta / mu is exact; with policy_loss tis / mis / decoupled the ratio is split into
 * pi_theta / pi_old (clipped) times pi_old / mu (the off-mask mass as a behaviour-policy correction).
 *
 * Decoding runs a full forward of both models per token (onnxruntime, no KV cache): fine at the
 * toy sizes rlmkit trains, quadratic in the response length.
 */
import { Rng } from '../../core/index.js';
import { EOS, type HostWeights, type ModelConfig, type SampleResult } from '../../engine/index.js';

/** Indices of the top-p nucleus of a probability row (most likely first; ties by index). */
export function nucleus(probs: ArrayLike<number>, p: number): number[] {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  const out: number[] = [];
  let mass = 0;
  for (const i of order) {
    out.push(i);
    mass += probs[i];
    if (mass >= p - 1e-12) break;
  }
  return out;
}

export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  const out = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += out[i] = Math.exp(logits[i] / temperature - max);
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}

/** mu restricted to `allowed` and renormalised (zero elsewhere). */
export function maskedDistribution(policyProbs: ArrayLike<number>, allowed: readonly number[]): Float64Array {
  const out = new Float64Array(policyProbs.length);
  let z = 0;
  for (const i of allowed) z += policyProbs[i];
  for (const i of allowed) out[i] = z > 0 ? policyProbs[i] / z : 1 / allowed.length;
  return out;
}

/** One token from a distribution by inverse CDF with u in [0, 1). */
export function drawToken(dist: ArrayLike<number>, u: number): number {
  let last = 0;
  for (let i = 0; i < dist.length; i++) {
    if (dist[i] <= 0) continue;
    last = i;
    u -= dist[i];
    if (u < 0) return i;
  }
  return last;
}

export interface MaskedSampleOptions {
  maxNewTokens: number;
  temperature: number;
  /** Nucleus of the masking policy. */
  topP: number;
  seed: number;
}

/**
 * Samples each prompt from the policy under the masking policy's nucleus; logprobs are log mu.
 * Share of the policy's probability mass that fell outside the mask is reported per sample.
 */
export async function sampleMasked(
  policy: { weights: HostWeights; config: ModelConfig },
  mask: { weights: HostWeights; config: ModelConfig },
  prompts: readonly number[][],
  o: MaskedSampleOptions,
): Promise<{ samples: SampleResult[]; offMaskMass: number }> {
  const { createOnnxSampler } = await import('../../engine/onnx/sampler.js');
  const pi = await createOnnxSampler(policy.weights, policy.config);
  const psi = await createOnnxSampler(mask.weights, mask.config);
  try {
    const V = policy.config.vocabSize;
    const rng = new Rng(o.seed);
    const out: SampleResult[] = prompts.map(() => ({ tokens: [], logprobs: [], finishReason: 'length' }));
    const active = prompts.map((_, i) => i);
    const room = (i: number) => Math.min(o.maxNewTokens, policy.config.maxSeqLen - prompts[i].length);
    let offMass = 0;
    let offN = 0;
    for (let t = 0; active.length > 0; t++) {
      const live = active.filter((i) => out[i].tokens.length < room(i));
      if (live.length === 0) break;
      const seqs = live.map((i) => [...prompts[i], ...out[i].tokens]);
      const [a, b] = await Promise.all([pi.forward(seqs), psi.forward(seqs)]);
      live.forEach((i, r) => {
        const n = seqs[r].length;
        const lp = a.logits[r].subarray((n - 1) * V, n * V);
        const lm = b.logits[r].subarray((n - 1) * V, n * V);
        const probs = softmax(lp, o.temperature);
        const allowed = nucleus(softmax(lm), o.topP);
        const mu = maskedDistribution(probs, allowed);
        let inside = 0;
        for (const v of allowed) inside += probs[v];
        offMass += 1 - inside;
        offN++;
        const tok = drawToken(mu, rng.fork(`${i}.${t}`).next());
        out[i].tokens.push(tok);
        out[i].logprobs.push(Math.log(mu[tok]));
        if (tok === EOS) out[i].finishReason = 'eos';
      });
      for (let k = active.length - 1; k >= 0; k--) {
        const i = active[k];
        if (out[i].finishReason === 'eos' || out[i].tokens.length >= room(i)) active.splice(k, 1);
      }
    }
    return { samples: out, offMaskMass: offN ? offMass / offN : 0 };
  } finally {
    pi.dispose();
    psi.dispose();
  }
}

/** The step at which the masking policy in use at `step` was copied from the policy (1, 1+k, 1+2k, ...). */
export function maskSyncStep(step: number, syncEvery: number): number {
  return 1 + Math.floor((step - 1) / syncEvery) * syncEvery;
}
