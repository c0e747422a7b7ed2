/**
 * Measuring RLMT (./rm-reward.ts) where the truth is known: policies scored on held-out problems by
 * the task's rule checker (the true score, which the reward model never saw) and by the reward
 * model they were trained on (the proxy), greedy and sampled, each compared with a baseline policy
 * by the paired bootstrap over problems (src/eval `pairedValues`). A policy whose reward-model
 * score rises while its true score falls has hacked the reward model. Also the reward model's
 * pair accuracy on held-out pairs of the baseline policy's samples (ranked by the rule).
 */
import { Rng, usageError } from '../core/index.js';
import { EOS, initEngine, loadCheckpoint, tokenizerFromSpec } from '../engine/index.js';
import { type MeanCI, type PairedComparison, bootstrapMean, meanWithCI, pairedValues } from '../eval/stats.js';
import type { Problem, Task } from '../tasks/types.js';
import { type LoadedModel, resolveCheckpoint } from './models.js';
import { type RewardModelRewardSpec, thoughtAndResponse } from './reward-model-config.js';
import { pairsFromPolicy } from './rm-pairs.js';
import { RewardModelScorer, rewardModelReward } from './rm-reward.js';
import { makeSampler } from './rollout-sampler.js';
import { promptIds } from './sequences.js';

export interface RlmtEvalOptions {
  task: Task<Problem>;
  problems: readonly Problem[];
  /** name -> checkpoint (.safetensors or run); the first is the baseline of the comparisons. */
  policies: readonly { name: string; checkpoint: string }[];
  rm: string;
  think: RewardModelRewardSpec['reward_model']['think'];
  /** Samples per problem at `temperature` (besides the greedy answer). */
  samples: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
}

export interface DecodingScore {
  /** True score: share correct by the rule checker. */
  accuracy: MeanCI;
  /** The reward the policy was trained on (format term, else the reward model), mean per sample. */
  rmReward: MeanCI;
  /** Share of samples with a thought before the response (the format term satisfied). */
  thinkShare: number;
  perProblem: { problemId: string; value: number }[];
  rmPerProblem: { problemId: string; value: number }[];
}

export interface RlmtPolicyReport {
  name: string;
  checkpoint: string;
  greedy: DecodingScore;
  sampled: DecodingScore;
}

export interface RlmtComparison {
  name: string;
  baseline: string;
  greedy: PairedComparison;
  sampled: PairedComparison;
  rmGreedy: PairedComparison;
  rmSampled: PairedComparison;
}

export interface RlmtEvalReport {
  task: string;
  problems: number;
  samples: number;
  temperature: number;
  /** Held-out pairs of the baseline's samples (8 per problem), ranked by the rule; bootstrap CI over prompts. */
  rmPairAccuracy: MeanCI & { pairs: number };
  policies: RlmtPolicyReport[];
  comparisons: RlmtComparison[];
}

function openPolicy(checkpoint: string): LoadedModel {
  const file = resolveCheckpoint(checkpoint, 'policy');
  const ck = loadCheckpoint(file);
  return { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: file };
}

async function decode(
  m: LoadedModel,
  o: RlmtEvalOptions,
  n: number,
  temperature: number,
  seed: number,
  reward: ReturnType<typeof rewardModelReward>,
): Promise<DecodingScore> {
  const rows: number[][] = [];
  const owner: number[] = [];
  o.problems.forEach((p, i) => {
    const ids = promptIds(m.tokenizer, o.task, p);
    for (let j = 0; j < n; j++) {
      rows.push(ids);
      owner.push(i);
    }
  });
  const maxNew = Math.max(1, Math.min(o.maxNewTokens, m.config.maxSeqLen - Math.max(...rows.map((r) => r.length))));
  const sampler = await makeSampler(m.weights, m.config, 'onnx');
  let res;
  try {
    res = await sampler.sample(rows, { maxNewTokens: maxNew, temperature, seed });
  } finally {
    sampler.dispose();
  }
  const samples = res.map((r, i) => ({
    problem: o.problems[owner[i]],
    completion: m.tokenizer.decode(r.tokens.filter((t) => t !== EOS)),
    tokens: r.tokens.length,
  }));
  const scored = await reward(samples);
  const correct = new Array<number>(o.problems.length).fill(0);
  const rm = new Array<number>(o.problems.length).fill(0);
  scored.forEach((s, i) => {
    if (s.correct) correct[owner[i]]++;
    rm[owner[i]] += s.score;
  });
  const thinks = samples.filter((s) => {
    const { thought, response } = thoughtAndResponse(s.completion);
    return response !== '' && thought.length >= o.think.min_thought_lines;
  }).length;
  const perProblem = o.problems.map((p, i) => ({ problemId: p.id, value: correct[i] / n }));
  const rmPerProblem = o.problems.map((p, i) => ({ problemId: p.id, value: rm[i] / n }));
  return {
    accuracy: meanWithCI(scored.map((s) => (s.correct ? 1 : 0))),
    rmReward: bootstrapMean(
      rmPerProblem.map((p) => p.value),
      { seed },
    ),
    thinkShare: thinks / scored.length,
    perProblem,
    rmPerProblem,
  };
}

/**
 * Mean of 0/1 outcomes grouped in clusters (the pairs of one prompt are not independent) with a
 * percentile bootstrap over clusters: each resample draws clusters with replacement, sum / count.
 */
export function clusterBootstrap(clusters: readonly (readonly number[])[], seed: number, resamples = 2000): MeanCI {
  const n = clusters.reduce((a, c) => a + c.length, 0);
  const sum = (c: readonly number[]) => c.reduce((a, b) => a + b, 0);
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n: 0, method: 'bootstrap' };
  const rng = new Rng(seed).fork('cluster-bootstrap');
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    let k = 0;
    for (let i = 0; i < clusters.length; i++) {
      const c = clusters[Math.floor(rng.next() * clusters.length)];
      s += sum(c);
      k += c.length;
    }
    means[b] = k > 0 ? s / k : 0;
  }
  means.sort();
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * (resamples - 1))))];
  return { mean: clusters.reduce((a, c) => a + sum(c), 0) / n, lo: at(0.025), hi: at(0.975), n, method: 'bootstrap' };
}

export async function evaluateRlmt(o: RlmtEvalOptions): Promise<RlmtEvalReport> {
  if (o.policies.length === 0) throw usageError('no policy to evaluate', 'give at least one --run name=checkpoint');
  await initEngine();
  const reward = rewardModelReward({ reward_model: { checkpoint: o.rm, think: o.think } }, o.task);
  const scorer = await RewardModelScorer.open(o.rm);
  try {
    const seed = new Rng(o.seed).fork('rlmt-eval').nextU32();
    const policies: RlmtPolicyReport[] = [];
    for (const p of o.policies) {
      const m = openPolicy(p.checkpoint);
      policies.push({
        name: p.name,
        checkpoint: m.source,
        greedy: await decode(m, o, 1, 0, seed, reward),
        sampled: await decode(m, o, o.samples, o.temperature, seed, reward),
      });
    }
    // Held-out pair accuracy of the reward model, on the baseline policy's samples of these problems.
    const base = openPolicy(o.policies[0].checkpoint);
    const { pairs } = await pairsFromPolicy(base, o.task, o.problems, {
      samples: 8,
      pairsPerProblem: 4,
      temperature: 1,
      maxNewTokens: o.maxNewTokens,
      sees: scorer.sees,
      seed: o.seed + 1,
    });
    const r = await scorer.scoreIds([...pairs.map((q) => q.chosen), ...pairs.map((q) => q.rejected)]);
    const right = pairs.map((_, i) => (r[i] > r[pairs.length + i] ? 1 : 0));
    const byPrompt = new Map<string, number[]>();
    pairs.forEach((q, i) => byPrompt.set(q.promptId, [...(byPrompt.get(q.promptId) ?? []), right[i]]));
    const comparisons = policies.slice(1).map((p) => ({
      name: p.name,
      baseline: policies[0].name,
      greedy: pairedValues(policies[0].greedy.perProblem, p.greedy.perProblem, { seed: o.seed }),
      sampled: pairedValues(policies[0].sampled.perProblem, p.sampled.perProblem, { seed: o.seed }),
      rmGreedy: pairedValues(policies[0].greedy.rmPerProblem, p.greedy.rmPerProblem, { seed: o.seed }),
      rmSampled: pairedValues(policies[0].sampled.rmPerProblem, p.sampled.rmPerProblem, { seed: o.seed }),
    }));
    return {
      task: o.task.name,
      problems: o.problems.length,
      samples: o.samples,
      temperature: o.temperature,
      rmPairAccuracy: { ...clusterBootstrap([...byPrompt.values()], o.seed), pairs: pairs.length },
      policies,
      comparisons,
    };
  } finally {
    scorer.dispose();
    reward.dispose();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ci = (c: MeanCI, scale = 100, digits = 1) => `[${(scale * c.lo).toFixed(digits)}, ${(scale * c.hi).toFixed(digits)}]`;
const diff = (c: PairedComparison, scale = 100, digits = 1) =>
  `${c.difference.mean >= 0 ? '+' : ''}${(scale * c.difference.mean).toFixed(digits)} ${ci(c.difference, scale, digits)}`;

/** The report as markdown tables. */
export function rlmtMarkdown(r: RlmtEvalReport): string {
  const lines = [
    `${r.task}: ${r.problems} held-out problems; sampled = ${r.samples} samples per problem at T = ${r.temperature}.`,
    `Reward model pair accuracy (held-out pairs of ${r.policies[0].name}'s samples, ranked by the rule): ${pct(r.rmPairAccuracy.mean)} ${ci(r.rmPairAccuracy)} over ${r.rmPairAccuracy.pairs} pairs.`,
    '',
    '| policy | greedy (true) | sampled (true) | RM reward greedy | RM reward sampled | thinks (sampled) |',
    '|---|---|---|---|---|---|',
    ...r.policies.map(
      (p) =>
        `| ${p.name} | ${pct(p.greedy.accuracy.mean)} ${ci(p.greedy.accuracy)} | ${pct(p.sampled.accuracy.mean)} ${ci(p.sampled.accuracy)} | ${p.greedy.rmReward.mean.toFixed(2)} | ${p.sampled.rmReward.mean.toFixed(2)} | ${pct(p.sampled.thinkShare)} |`,
    ),
    '',
    '| policy vs baseline | greedy (points) | sampled (points) | RM reward greedy | RM reward sampled |',
    '|---|---|---|---|---|',
    ...r.comparisons.map(
      (c) =>
        `| ${c.name} - ${c.baseline} | ${diff(c.greedy)} | ${diff(c.sampled)} | ${diff(c.rmGreedy, 1, 2)} | ${diff(c.rmSampled, 1, 2)} |`,
    ),
  ];
  return lines.join('\n');
}
