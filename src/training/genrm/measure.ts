/**
 * `rlmkit bench genrm`: the generative judge measured on puzzles it never trained on (./data.ts
 * judgeSplit's held-out puzzles: the test split and every k-th training puzzle).
 *
 * 1. The policy samples `maxN` candidates per held-out puzzle at T=1 (one pool, shared by every
 *    scorer, so all comparisons are paired).
 * 2. Agreement with the rule verifier of each judge (stage 1 `judge_sft`, stage 2 `judge`): the
 *    share of candidates whose verdict equals the verifier's label, unreadable verdicts counted as
 *    disagreements; also per class (correct / wrong candidates) and the share of well-formed
 *    critiques. 95% CIs by a bootstrap over puzzles (candidates of one puzzle are not independent);
 *    stage 2 − stage 1 as a paired bootstrap over puzzles.
 * 3. Best-of-N for N in `ns`: the first N candidates of each puzzle, the one with the highest score
 *    chosen (judge: P(Y) at the verdict; ORM: its value), solved when the chosen one is correct.
 *    Against the ORM trained on the same candidates (pipeline genrm's `orm`), with the paired
 *    difference over puzzles; pass@N (an oracle) and the first candidate (no selection) for scale.
 */
import { Rng } from '../../core/index.js';
import { type MeanCI, pairedValues } from '../../eval/stats.js';
import type { ValueModel } from '../../models/types.js';
import { type GenerativeJudge, type Judgement, wellFormedCritique } from '../../rewards/genrm/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import type { LoadedModel } from '../models.js';
import { type JudgeCandidate, asNumberProblem, labelCandidate, completionSteps } from './data.js';
import { makeSampler } from '../rollout-sampler.js';
import { promptIds } from '../sequences.js';

export interface PuzzlePool {
  problem: Problem;
  /** maxN candidates in sampling order (duplicates kept: best-of-N sees what the policy sampled). */
  candidates: { steps: string[]; correct: boolean }[];
}

/** maxN samples per puzzle from the policy, each labelled by the rule verifier. */
export async function samplePools(
  policy: LoadedModel,
  task: Task<Problem>,
  problems: readonly Problem[],
  maxN: number,
  seed: number,
): Promise<PuzzlePool[]> {
  const sampler = await makeSampler(policy.weights, policy.config, 'onnx');
  const out: PuzzlePool[] = [];
  try {
    const chunk = Math.max(1, Math.floor(256 / maxN));
    for (let i = 0; i < problems.length; i += chunk) {
      const ps = problems.slice(i, i + chunk);
      const prompts = ps.flatMap((p) => Array.from({ length: maxN }, () => promptIds(policy.tokenizer, task, p)));
      const maxNew = Math.max(1, Math.min(64, policy.config.maxSeqLen - Math.max(...prompts.map((p) => p.length))));
      const res = await sampler.sample(prompts, { maxNewTokens: maxNew, temperature: 1, seed: new Rng(seed).fork(`pool.${i}`).nextU32() });
      for (let j = 0; j < ps.length; j++) {
        const candidates = [];
        for (let k = 0; k < maxN; k++) {
          const text = policy.tokenizer.decode(res[j * maxN + k].tokens);
          const v = await task.verify(task.extractAnswer(text, ps[j]), ps[j]);
          candidates.push({ steps: completionSteps(text), correct: v.correct });
        }
        out.push({ problem: ps[j], candidates });
      }
    }
  } finally {
    sampler.dispose();
  }
  return out;
}

/** Unique (puzzle, steps) pairs, so each distinct candidate is judged once. */
function uniqueKeys(pools: readonly PuzzlePool[]): { key: string; pool: PuzzlePool; steps: string[] }[] {
  const seen = new Map<string, { key: string; pool: PuzzlePool; steps: string[] }>();
  for (const pool of pools)
    for (const c of pool.candidates) {
      const key = `${pool.problem.id}\u0000${c.steps.join('\n')}`;
      if (!seen.has(key)) seen.set(key, { key, pool, steps: c.steps });
    }
  return [...seen.values()];
}

const keyOf = (pool: PuzzlePool, steps: readonly string[]) => `${pool.problem.id}\u0000${steps.join('\n')}`;

/** The judge's verdict on every distinct candidate. */
export async function judgePools(
  judge: GenerativeJudge,
  task: Task<Problem>,
  pools: readonly PuzzlePool[],
): Promise<Map<string, Judgement>> {
  const items = uniqueKeys(pools);
  const js = await judge.judge(items.map((u) => ({ prompt: task.renderPlain(u.pool.problem), steps: u.steps })));
  return new Map(items.map((u, i) => [u.key, js[i]]));
}

/** The ORM's value of every distinct candidate (the state text as the policy writes it). */
export async function ormPools(orm: ValueModel, task: Task<Problem>, pools: readonly PuzzlePool[]): Promise<Map<string, number>> {
  const items = uniqueKeys(pools);
  const out = new Map<string, number>();
  for (let i = 0; i < items.length; i += 256) {
    const chunk = items.slice(i, i + 256);
    const vs = await orm.value(chunk.map((u) => task.renderPlain(u.pool.problem, u.steps)));
    chunk.forEach((u, k) => out.set(u.key, vs[k]));
  }
  return out;
}

/** Ratio of sums with a percentile bootstrap over puzzles (clusters). */
export function clusteredRate(perPuzzle: readonly { hits: number; n: number }[], seed = 0, resamples = 4000): MeanCI {
  const rate = (xs: readonly { hits: number; n: number }[]) => {
    const n = xs.reduce((a, x) => a + x.n, 0);
    return n > 0 ? xs.reduce((a, x) => a + x.hits, 0) / n : NaN;
  };
  const rng = new Rng(seed).fork('genrm.bootstrap');
  const stats: number[] = [];
  const live = perPuzzle.filter((x) => x.n > 0);
  for (let r = 0; r < resamples && live.length > 0; r++) {
    const sample = Array.from({ length: live.length }, () => live[rng.int(0, live.length - 1)]);
    stats.push(rate(sample));
  }
  stats.sort((a, b) => a - b);
  const at = (q: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.floor(q * stats.length)))];
  return { mean: rate(live), lo: at(0.025), hi: at(0.975), n: live.length, method: 'bootstrap' };
}

export interface AgreementReport {
  candidates: number;
  agreement: MeanCI;
  on_correct: MeanCI;
  on_wrong: MeanCI;
  unparseable: number;
  well_formed_critiques: number;
}

export function agreement(pools: readonly PuzzlePool[], verdicts: ReadonlyMap<string, Judgement>, seed: number): AgreementReport {
  const all: { hits: number; n: number }[] = [];
  const pos: { hits: number; n: number }[] = [];
  const neg: { hits: number; n: number }[] = [];
  let unparseable = 0;
  let wellFormed = 0;
  let total = 0;
  for (const pool of pools) {
    const a = { hits: 0, n: 0 };
    const p = { hits: 0, n: 0 };
    const q = { hits: 0, n: 0 };
    for (const c of pool.candidates) {
      const j = verdicts.get(keyOf(pool, c.steps))!;
      const agrees = j.verdict !== null && (j.verdict === 'correct') === c.correct;
      total++;
      if (j.verdict === null) unparseable++;
      if (wellFormedCritique(j)) wellFormed++;
      a.hits += agrees ? 1 : 0;
      a.n++;
      const cls = c.correct ? p : q;
      cls.hits += agrees ? 1 : 0;
      cls.n++;
    }
    all.push(a);
    pos.push(p);
    neg.push(q);
  }
  return {
    candidates: total,
    agreement: clusteredRate(all, seed),
    on_correct: clusteredRate(pos, seed),
    on_wrong: clusteredRate(neg, seed),
    unparseable,
    well_formed_critiques: wellFormed / Math.max(1, total),
  };
}

/** Per puzzle: 1 when the best-scored of the first n candidates is correct (ties: the earliest; NaN scores rank last). */
export function bestOfN(pools: readonly PuzzlePool[], score: (pool: PuzzlePool, steps: string[]) => number, n: number) {
  return pools.map((pool) => {
    let best = -1;
    let bestScore = -Infinity;
    pool.candidates.slice(0, n).forEach((c, i) => {
      const s = score(pool, c.steps);
      const v = Number.isNaN(s) ? -Infinity : s;
      if (best < 0 || v > bestScore) {
        best = i;
        bestScore = v;
      }
    });
    return { problemId: pool.problem.id, value: best >= 0 && pool.candidates[best].correct ? 1 : 0 };
  });
}

export interface BestOfNRow {
  n: number;
  genrm: MeanCI;
  orm: MeanCI | null;
  pass_at_n: number;
  first_candidate: number;
  genrm_minus_orm: ReturnType<typeof pairedValues> | null;
}

export function bestOfNTable(
  pools: readonly PuzzlePool[],
  judge: ReadonlyMap<string, Judgement>,
  orm: ReadonlyMap<string, number> | null,
  ns: readonly number[],
  seed: number,
): BestOfNRow[] {
  const mean = (xs: { value: number }[]) => xs.reduce((a, x) => a + x.value, 0) / Math.max(1, xs.length);
  const asRate = (xs: { value: number }[]) =>
    clusteredRate(
      xs.map((x) => ({ hits: x.value, n: 1 })),
      seed,
    );
  return ns.map((n) => {
    const g = bestOfN(pools, (pool, steps) => judge.get(keyOf(pool, steps))!.score, n);
    const o = orm ? bestOfN(pools, (pool, steps) => orm.get(keyOf(pool, steps))!, n) : null;
    return {
      n,
      genrm: asRate(g),
      orm: o ? asRate(o) : null,
      pass_at_n: mean(pools.map((p) => ({ value: p.candidates.slice(0, n).some((c) => c.correct) ? 1 : 0 }))),
      first_candidate: mean(pools.map((p) => ({ value: p.candidates[0]?.correct ? 1 : 0 }))),
      genrm_minus_orm: o ? pairedValues(o, g, { seed }) : null,
    };
  });
}

/** Paired stage 2 − stage 1 agreement, per puzzle. */
export function agreementDifference(
  pools: readonly PuzzlePool[],
  before: ReadonlyMap<string, Judgement>,
  after: ReadonlyMap<string, Judgement>,
  seed: number,
) {
  const per = (m: ReadonlyMap<string, Judgement>) =>
    pools.map((pool) => ({
      problemId: pool.problem.id,
      value:
        pool.candidates.filter((c) => {
          const j = m.get(keyOf(pool, c.steps))!;
          return j.verdict !== null && (j.verdict === 'correct') === c.correct;
        }).length / Math.max(1, pool.candidates.length),
    }));
  return pairedValues(per(before), per(after), { seed });
}

/** Re-exported for tests: one labelled candidate (verifier + teacher). */
export async function labelled(task: Task<Problem>, problem: Problem, steps: string[]): Promise<JudgeCandidate | null> {
  return labelCandidate(task, asNumberProblem(problem), steps);
}
