/**
 * Training and evaluation of the RLoT navigator (navigator.ts) with a fixed policy: episodes are
 * `rlot` searches (strategy.ts) at a completion-token budget, the return is 1 when the task's rule
 * verifier accepts the answer, and the navigator learns by REINFORCE with a learned state-dependent
 * baseline (Williams 1992; Sutton & Barto 2018, §13.4 "REINFORCE with baseline"): a linear critic
 * b(x) = w·x fitted to the returns by least squares, so each decision's advantage G − b(x_t) says
 * whether the episode went better than usual *from that state*, plus an entropy bonus. `evalArms`
 * runs the navigator and every fixed block on the same held-out problems, seeds and budget
 * (per-problem success and tokens for paired comparisons).
 */
import { Rng } from '../../core/rng.js';
import type { Policy, ValueModel } from '../../models/types.js';
import type { Problem, Task } from '../../tasks/types.js';
import { solve } from '../solve.js';
import { BLOCKS, FEATURES } from './blocks.js';
import { Navigator } from './navigator.js';
import { type Chooser, type Decision, fixedChooser, makeRlotStrategy, navigatorChooser } from './strategy.js';

export interface EpisodeOptions {
  task: Task<Problem>;
  policy: Policy;
  /** The value model the blocks rank steps with and the navigator reads (optional). */
  value?: ValueModel;
  budgetTokens: number;
  temperature?: number;
  maxBlocks?: number;
  /** Tokens allowed for one step (Generate reserves k × this from the budget; default 24). */
  stepMaxTokens?: number;
}

export interface Episode {
  solved: boolean;
  decisions: Decision[];
  completionTokens: number;
}

/** One search with a chooser at the budget; returns whether it solved the problem and the decisions. */
export async function runEpisode(problem: Problem, choose: Chooser, o: EpisodeOptions, seed: number): Promise<Episode> {
  const decisions: Decision[] = [];
  const r = await solve(problem, {
    task: o.task,
    strategy: makeRlotStrategy(choose, (d) => decisions.push(d)),
    settings: {
      budgetTokens: o.budgetTokens,
      temperature: o.temperature ?? 1,
      maxBlocks: o.maxBlocks ?? 40,
      stepMaxTokens: o.stepMaxTokens ?? 24,
    },
    models: { policy: o.policy, value: o.value },
    budget: { completionTokens: o.budgetTokens },
    seed,
    trace: false,
    style: 'plain',
  });
  return { solved: r.correct === true, decisions, completionTokens: r.usage.completionTokens };
}

export interface TrainOptions extends EpisodeOptions {
  problems: readonly Problem[];
  episodes: number;
  /** Episodes run at once (one gradient step each). */
  batch?: number;
  lr?: number;
  entropy?: number;
  hidden?: number;
  seed?: number;
  /** `baseline`: a running mean of the batch solve rates (for the log). */
  onStep?: (s: { episodes: number; solveRate: number; baseline: number; blockShares: Record<string, number> }) => void;
}

/** The linear critic b(x) = w·x of REINFORCE's baseline, fitted by SGD on the squared error to the returns. */
export class LinearBaseline {
  readonly w: Float64Array;
  constructor(
    inputs: number,
    readonly lr = 0.1,
  ) {
    this.w = new Float64Array(inputs);
  }
  predict(x: readonly number[]): number {
    let s = 0;
    for (let i = 0; i < this.w.length; i++) s += this.w[i] * x[i];
    return s;
  }
  /** One averaged gradient step of ½(G − w·x)² over the pairs. */
  fit(pairs: ReadonlyArray<{ x: readonly number[]; g: number }>): void {
    if (pairs.length === 0) return;
    const grad = new Float64Array(this.w.length);
    for (const { x, g } of pairs) {
      const err = g - this.predict(x);
      for (let i = 0; i < grad.length; i++) grad[i] += (err * x[i]) / pairs.length;
    }
    for (let i = 0; i < grad.length; i++) this.w[i] += this.lr * grad[i];
  }
}

export async function trainNavigator(
  o: TrainOptions,
): Promise<{ navigator: Navigator; curve: Array<{ episodes: number; solveRate: number }> }> {
  const nav = new Navigator(FEATURES, o.hidden ?? 16, BLOCKS, undefined, o.seed ?? 0);
  const rng = new Rng(o.seed ?? 0).fork('rlot-train');
  const batch = o.batch ?? 16;
  const lr = o.lr ?? 0.1;
  const ent = o.entropy ?? 0.01;
  const critic = new LinearBaseline(FEATURES);
  const curve: Array<{ episodes: number; solveRate: number }> = [];
  const order = rng.shuffle(o.problems.map((_, i) => i));
  let mean = 0;
  for (let done = 0; done < o.episodes;) {
    const size = Math.min(batch, o.episodes - done);
    const picks = Array.from({ length: size }, (_, j) => o.problems[order[(done + j) % order.length]]);
    const eps = await Promise.all(
      picks.map((p, j) => runEpisode(p, navigatorChooser(nav, { sample: true, rng: new Rng(rng.nextU32()) }), o, rng.nextU32() + j)),
    );
    done += size;
    const rate = eps.filter((e) => e.solved).length / size;
    // Per-decision advantages G − b(x_t), scaled by their batch standard deviation.
    const pairs = eps.flatMap((e) => e.decisions.map((d) => ({ d, g: e.solved ? 1 : 0 })));
    const advs = pairs.map(({ d, g }) => g - critic.predict(d.x));
    const sd = Math.sqrt(advs.reduce((u, a) => u + a * a, 0) / Math.max(1, advs.length)) || 1;
    const grad = new Float64Array(nav.size);
    const counts = new Array(BLOCKS.length).fill(0);
    pairs.forEach(({ d }, i) => {
      nav.accumulate(grad, d.x, d.a, advs[i] / sd / size, ent / size, d.allowed);
      counts[d.a]++;
    });
    nav.ascend(grad, lr);
    critic.fit(pairs.map(({ d, g }) => ({ x: d.x, g })));
    mean = curve.length === 0 ? rate : 0.9 * mean + 0.1 * rate;
    curve.push({ episodes: done, solveRate: rate });
    o.onStep?.({
      episodes: done,
      solveRate: rate,
      baseline: mean,
      blockShares: Object.fromEntries(BLOCKS.map((k, i) => [k, pairs.length ? counts[i] / pairs.length : 0])),
    });
  }
  return { navigator: nav, curve };
}

export interface ArmResult {
  /** Per problem: solved runs and completion tokens spent, over `n` seeds. */
  perProblem: Array<{ problemId: string; correct: number; n: number; completionTokens: number }>;
  solveRate: number;
  completionTokensPerProblem: number;
  /** Share of each block among the arm's decisions. */
  blockShares: Record<string, number>;
}

/** Runs each arm (a chooser) on the same problems and seeds at the same budget. */
export async function evalArms(
  arms: Record<string, Chooser>,
  problems: readonly Problem[],
  o: EpisodeOptions & { seeds: number; concurrency?: number },
): Promise<Record<string, ArmResult>> {
  const out: Record<string, ArmResult> = {};
  for (const [name, choose] of Object.entries(arms)) {
    const perProblem: ArmResult['perProblem'] = [];
    let tokens = 0;
    const jobs = problems.flatMap((p) => Array.from({ length: o.seeds }, (_, s) => ({ p, s })));
    const results: Episode[] = new Array(jobs.length);
    const limit = o.concurrency ?? 16;
    for (let i = 0; i < jobs.length; i += limit) {
      const chunk = jobs.slice(i, i + limit);
      const got = await Promise.all(chunk.map((j) => runEpisode(j.p, choose, o, 1000 + j.s)));
      got.forEach((g, k) => (results[i + k] = g));
    }
    problems.forEach((p, pi) => {
      let c = 0;
      let t = 0;
      for (let s = 0; s < o.seeds; s++) {
        const e = results[pi * o.seeds + s];
        c += e.solved ? 1 : 0;
        t += e.completionTokens;
      }
      tokens += t;
      perProblem.push({ problemId: p.id, correct: c, n: o.seeds, completionTokens: t });
    });
    const counts = new Array<number>(BLOCKS.length).fill(0);
    for (const e of results) for (const d of e.decisions) counts[d.a]++;
    const total = counts.reduce((a, b) => a + b, 0);
    out[name] = {
      perProblem,
      blockShares: Object.fromEntries(BLOCKS.map((b, i) => [b, total ? +(counts[i] / total).toFixed(3) : 0])),
      solveRate: perProblem.reduce((a, p) => a + p.correct / p.n, 0) / Math.max(1, perProblem.length),
      completionTokensPerProblem: tokens / Math.max(1, jobs.length),
    };
  }
  return out;
}

/** The blocks that make a strategy on their own (refine alone only backs up). */
export const FIXED_ARMS = BLOCKS.filter((b) => b !== 'refine');

/** The navigator (greedy; left out when null) and every fixed block, as arms. */
export function standardArms(nav: Navigator | null): Record<string, Chooser> {
  return {
    ...(nav ? { navigator: navigatorChooser(nav) } : {}),
    ...Object.fromEntries(FIXED_ARMS.map((b) => [`fixed:${b}`, fixedChooser(b)])),
  };
}
