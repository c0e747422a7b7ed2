/**
 * Advantage estimators, as a registry of small pure functions (verl's `core_algos` manner).
 *
 * Every estimator reads token-level rewards r[i,t] over the response mask: the outcome reward sits on
 * the last response token and, when the KL penalty is placed in the reward, every token also carries
 * -beta * KL_t. Outcome estimators (GRPO, Dr.GRPO, RLOO) use the sequence score s_i = sum_t r[i,t];
 * REINFORCE++ and GAE use the token rewards themselves.
 *
 * Each returns advantages A[i,t] (0 outside the mask) and returns R[i,t] (the critic's regression
 * target for GAE; equal to the advantages for the critic-free estimators, as in verl).
 */
import { type Matrix, assertSameShape, broadcastRows, groupRows, matrix, maskedWhiten, rowMaskedSum } from './matrix.js';

export interface AdvantageInput {
  /** r[i,t]: per-token rewards on the response tokens. */
  tokenRewards: Matrix;
  /** 1 on response tokens, 0 on padding. */
  mask: Matrix;
  /** Group id per row: the rows sampled from the same prompt share an id. */
  groups?: ArrayLike<number | string>;
  /** V(s_t) from the critic, per response token (GAE only). */
  values?: Matrix;
  /** Discount gamma (REINFORCE++, GAE). Default 1. */
  gamma?: number;
  /** GAE lambda. Default 1. */
  lambda?: number;
  /** Added to the group std in GRPO's denominator. Default 1e-6. */
  eps?: number;
  /** Whiten GAE advantages over the batch (verl does; default true). */
  whiten?: boolean;
}

export interface AdvantageOutput {
  advantages: Matrix;
  returns: Matrix;
}

export type AdvantageFn = (input: AdvantageInput) => AdvantageOutput;

export interface AdvantageEstimator {
  name: AdvantageName;
  /** One line for docs and error messages. */
  summary: string;
  /** Needs several samples per prompt (a group baseline). */
  needsGroups: boolean;
  /** Needs a value model (critic). */
  needsCritic: boolean;
  compute: AdvantageFn;
}

export const AdvantageNames = ['grpo', 'drgrpo', 'rloo', 'reinforce_pp', 'gae'] as const;
export type AdvantageName = (typeof AdvantageNames)[number];

function sequenceScores(input: AdvantageInput): Float64Array {
  const { tokenRewards, mask } = input;
  assertSameShape({ tokenRewards, mask });
  const s = new Float64Array(mask.rows);
  for (let i = 0; i < mask.rows; i++) s[i] = rowMaskedSum(tokenRewards, mask, i);
  return s;
}

function requireGroups(input: AdvantageInput, who: string): ArrayLike<number | string> {
  if (!input.groups) throw new RangeError(`${who} needs a group id per row (samples of one prompt share a group)`);
  if (input.groups.length !== input.mask.rows) throw new RangeError(`${who}: ${input.groups.length} group ids for ${input.mask.rows} rows`);
  return input.groups;
}

/** Group-relative outcome advantages: (s_i - mean_g) [/ (std_g + eps)]; singleton groups get 0. */
function groupRelative(input: AdvantageInput, divideByStd: boolean, who: string): AdvantageOutput {
  const scores = sequenceScores(input);
  const eps = input.eps ?? 1e-6;
  const perRow = new Float64Array(scores.length);
  for (const rows of groupRows(requireGroups(input, who))) {
    const n = rows.length;
    if (n < 2) continue; // no baseline from a single sample: advantage 0
    let mean = 0;
    for (const i of rows) mean += scores[i];
    mean /= n;
    let ss = 0;
    for (const i of rows) ss += (scores[i] - mean) ** 2;
    const std = Math.sqrt(ss / (n - 1)); // unbiased, as torch.std in verl
    for (const i of rows) perRow[i] = divideByStd ? (scores[i] - mean) / (std + eps) : scores[i] - mean;
  }
  const advantages = broadcastRows(perRow, input.mask);
  return { advantages, returns: advantages };
}

/**
 * GRPO (Shao et al. 2024, DeepSeekMath, eq. 3 with outcome supervision):
 *   A_{i,t} = (r_i - mean({r_1..r_G})) / std({r_1..r_G})
 * for every token t of response i in a group of G responses to one prompt.
 */
export const grpo: AdvantageFn = (input) => groupRelative(input, true, 'GRPO');

/**
 * Dr.GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"): GRPO without the std
 * division, which over-weights prompts that are too easy or too hard:
 *   A_{i,t} = r_i - mean({r_1..r_G})
 * (its other half, no per-response length normalisation, is the `seq-mean-token-sum-norm`
 * loss aggregation).
 */
export const drgrpo: AdvantageFn = (input) => groupRelative(input, false, 'Dr.GRPO');

/**
 * RLOO (Kool et al. 2019; Ahmadian et al. 2024, "Back to Basics"): each sample's baseline is the
 * mean of the other G-1 samples of its prompt:
 *   A_i = r_i - 1/(G-1) * sum_{j != i} r_j  =  G/(G-1) * (r_i - mean)
 */
export const rloo: AdvantageFn = (input) => {
  const scores = sequenceScores(input);
  const perRow = new Float64Array(scores.length);
  for (const rows of groupRows(requireGroups(input, 'RLOO'))) {
    const n = rows.length;
    if (n < 2) continue;
    let sum = 0;
    for (const i of rows) sum += scores[i];
    for (const i of rows) perRow[i] = scores[i] - (sum - scores[i]) / (n - 1);
  }
  const advantages = broadcastRows(perRow, input.mask);
  return { advantages, returns: advantages };
};

/**
 * REINFORCE++ (Hu 2025, arXiv:2501.03262): the discounted return of the token rewards (the KL
 * penalty is in the reward), normalised over the whole batch instead of per group:
 *   G_{i,t} = sum_{s >= t} gamma^{s-t} r_{i,s},   A = (G - mean_batch(G)) / std_batch(G)
 */
export const reinforcePP: AdvantageFn = (input) => {
  const { tokenRewards, mask } = input;
  assertSameShape({ tokenRewards, mask });
  const gamma = input.gamma ?? 1;
  const returns = matrix(mask.rows, mask.cols);
  for (let i = 0; i < mask.rows; i++) {
    const o = i * mask.cols;
    let running = 0;
    for (let t = mask.cols - 1; t >= 0; t--) {
      if (!mask.data[o + t]) continue;
      running = tokenRewards.data[o + t] + gamma * running;
      returns.data[o + t] = running;
    }
  }
  return { advantages: maskedWhiten(returns, mask), returns };
};

/**
 * GAE (Schulman et al. 2016, eq. 16) with a critic V, for PPO:
 *   delta_t = r_t + gamma V(s_{t+1}) - V(s_t)      (V after the last response token is 0)
 *   A_t = sum_l (gamma lambda)^l delta_{t+l},      R_t = A_t + V(s_t)  (the critic's target)
 * Advantages are then whitened over the batch (PPO practice; `whiten: false` turns it off).
 */
export const gae: AdvantageFn = (input) => {
  const { tokenRewards, mask, values } = input;
  if (!values) throw new RangeError('GAE needs critic values V(s_t) for every response token');
  assertSameShape({ tokenRewards, mask, values });
  const gamma = input.gamma ?? 1;
  const lambda = input.lambda ?? 1;
  const raw = matrix(mask.rows, mask.cols);
  const returns = matrix(mask.rows, mask.cols);
  for (let i = 0; i < mask.rows; i++) {
    const o = i * mask.cols;
    let nextValue = 0;
    let lastGae = 0;
    for (let t = mask.cols - 1; t >= 0; t--) {
      if (!mask.data[o + t]) continue;
      const v = values.data[o + t];
      const delta = tokenRewards.data[o + t] + gamma * nextValue - v;
      lastGae = delta + gamma * lambda * lastGae;
      raw.data[o + t] = lastGae;
      returns.data[o + t] = lastGae + v;
      nextValue = v;
    }
  }
  return { advantages: input.whiten === false ? raw : maskedWhiten(raw, mask), returns };
};

export const advantageEstimators: Record<AdvantageName, AdvantageEstimator> = {
  grpo: {
    name: 'grpo',
    summary: 'GRPO: group mean and std baseline (Shao et al. 2024)',
    needsGroups: true,
    needsCritic: false,
    compute: grpo,
  },
  drgrpo: {
    name: 'drgrpo',
    summary: 'Dr.GRPO: group mean baseline, no std (Liu et al. 2025)',
    needsGroups: true,
    needsCritic: false,
    compute: drgrpo,
  },
  rloo: {
    name: 'rloo',
    summary: 'RLOO: leave-one-out group baseline (Ahmadian et al. 2024)',
    needsGroups: true,
    needsCritic: false,
    compute: rloo,
  },
  reinforce_pp: {
    name: 'reinforce_pp',
    summary: 'REINFORCE++: discounted return, global batch normalisation (Hu 2025)',
    needsGroups: false,
    needsCritic: false,
    compute: reinforcePP,
  },
  gae: { name: 'gae', summary: 'GAE with a critic, for PPO (Schulman et al. 2016)', needsGroups: false, needsCritic: true, compute: gae },
};

export function computeAdvantages(name: AdvantageName, input: AdvantageInput): AdvantageOutput {
  const est = advantageEstimators[name];
  if (!est) throw new RangeError(`unknown advantage estimator "${name}" (known: ${AdvantageNames.join(', ')})`);
  return est.compute(input);
}
