/**
 * Entropy of critical reasoning tokens (Shen et al. 2025, "Skywork-R1V3 Technical Report", §4.1:
 * the entropy of the tokens where a reasoning chain decides how to go on indicates real reasoning
 * ability, and picks checkpoints during RL). For a held-out problem the policy answers greedily;
 * at every response position t the full next-token distribution gives
 *   H_t = - sum_v pi(v | s_t) log pi(v | s_t)
 * and the metric is the mean of H_t over the critical positions:
 *   step_start    the first token of each reasoning step (position 0 and every position after an
 *                 <eos_step>): where rlmkit's step-by-step policies choose their next move
 *   top_fraction  the `fraction` of response positions with the highest entropy (the "forking
 *                 tokens" of Wang et al. 2025, "Beyond the 80/20 Rule")
 * Logged as `critical_entropy` at every checkpoint; `select_checkpoint: entropy` ends the run with
 * the checkpoint whose value is the highest (prefer: high) or lowest (prefer: low).
 */
import { type HostWeights, type ModelConfig, type Tokenizer } from '../../engine/index.js';
import { softmax } from './nlpo.js';

/** Shannon entropy (nats) of softmax(logits). */
export function entropyOfLogits(logits: ArrayLike<number>): number {
  const p = softmax(logits);
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
}

/** Mean entropy at the critical positions of several responses (NaN when there is none). */
export function criticalEntropy(
  entropies: readonly (readonly number[])[],
  responses: readonly (readonly number[])[],
  mode: 'step_start' | 'top_fraction',
  fraction: number,
  eosStep: number,
): number {
  const picked: number[] = [];
  if (mode === 'step_start') {
    entropies.forEach((hs, i) => hs.forEach((h, t) => (t === 0 || responses[i][t - 1] === eosStep ? picked.push(h) : undefined)));
  } else {
    const all = entropies.flat().sort((a, b) => b - a);
    picked.push(...all.slice(0, Math.ceil(fraction * all.length)));
  }
  return picked.length ? picked.reduce((a, b) => a + b, 0) / picked.length : NaN;
}

/** The policy's greedy answers to `prompts` and the entropy at each of their positions. */
export async function measureCriticalEntropy(
  weights: HostWeights,
  config: ModelConfig,
  tok: Tokenizer,
  prompts: readonly number[][],
  maxNewTokens: number,
  mode: 'step_start' | 'top_fraction',
  fraction: number,
): Promise<number> {
  if (prompts.length === 0) return NaN;
  const { createOnnxSampler } = await import('../../engine/onnx/sampler.js');
  const s = await createOnnxSampler(weights, config);
  try {
    const res = await s.sample([...prompts], { maxNewTokens, temperature: 0 });
    const seqs = prompts.map((p, i) => [...p, ...res[i].tokens]);
    const { logits } = await s.forward(seqs);
    const V = config.vocabSize;
    // position t of the response is predicted from the prefix ending at prompt + t - 1
    const ents = prompts.map((p, i) =>
      res[i].tokens.map((_, t) => entropyOfLogits(logits[i].subarray((p.length + t - 1) * V, (p.length + t) * V))),
    );
    return criticalEntropy(
      ents,
      res.map((r) => r.tokens),
      mode,
      fraction,
      tok.eosStep,
    );
  } finally {
    s.dispose();
  }
}

/** Whether `candidate` beats `best` under the preference (NaN never wins). */
export function betterEntropy(candidate: number, best: number | null, prefer: 'high' | 'low'): boolean {
  if (!Number.isFinite(candidate)) return false;
  if (best === null || !Number.isFinite(best)) return true;
  return prefer === 'high' ? candidate > best : candidate < best;
}
