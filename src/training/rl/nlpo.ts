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
 * Decoding (`sampleMasked`) keeps the fast KV-cached sampler: each round samples the continuation
 * from pi_T, then one teacher-forced forward of both models checks it token by token. A token inside
 * M_t is kept; at the first token outside it, a replacement is drawn from mu_t and the row goes on
 * in the next round from that prefix. Position t thus yields a in M_t with probability
 *   pi_T(a) + (1 - Z_t) pi_T(a) / Z_t = pi_T(a) / Z_t = mu(a | s_t)
 * (accepted directly, or drawn after an outside token), exactly the masked distribution, at the
 * cost of about one extra round per token that fell outside a mask.
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
 * `offMaskMass`: the mean policy mass outside the mask over the sampled positions.
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
    const room = (i: number) => Math.max(0, Math.min(o.maxNewTokens, policy.config.maxSeqLen - prompts[i].length));
    let pending = prompts.map((_, i) => i).filter((i) => room(i) > 0);
    let offMass = 0;
    let offN = 0;
    for (let round = 0; pending.length > 0; round++) {
      const prefixes = pending.map((i) => [...prompts[i], ...out[i].tokens]);
      const left = pending.map((i) => room(i) - out[i].tokens.length);
      const drawn = await pi.sample(prefixes, {
        maxNewTokens: Math.max(...left),
        temperature: o.temperature,
        seed: rng.fork(`round.${round}`).nextU32(),
      });
      const seqs = prefixes.map((p, r) => [...p, ...drawn[r].tokens.slice(0, left[r])]);
      const [a, b] = await Promise.all([pi.forward(seqs), psi.forward(seqs)]);
      const next: number[] = [];
      pending.forEach((i, r) => {
        const news = drawn[r].tokens.slice(0, left[r]);
        for (let k = 0; k < news.length; k++) {
          const at = prefixes[r].length + k - 1; // logits predicting the k-th new token
          const probs = softmax(a.logits[r].subarray(at * V, (at + 1) * V), o.temperature);
          const allowed = nucleus(softmax(b.logits[r].subarray(at * V, (at + 1) * V)), o.topP);
          const mu = maskedDistribution(probs, allowed);
          offMass += 1 - allowed.reduce((z, v) => z + probs[v], 0);
          offN++;
          const inside = mu[news[k]] > 0;
          const tok = inside ? news[k] : drawToken(mu, rng.fork(`fix.${i}.${out[i].tokens.length}`).next());
          out[i].tokens.push(tok);
          out[i].logprobs.push(Math.log(mu[tok]));
          if (tok === EOS) {
            out[i].finishReason = 'eos';
            return;
          }
          if (!inside) {
            if (out[i].tokens.length < room(i)) next.push(i); // go on from the corrected prefix
            return;
          }
        }
      });
      pending = next;
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
