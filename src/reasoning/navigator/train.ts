/**
 * Training and evaluation of the RLoT navigator (navigator.ts) with a fixed policy: episodes are
 * `rlot` searches (strategy.ts) at a completion-token budget, the return is 1 when the task's rule
 * verifier accepts the answer, and the navigator learns by REINFORCE with a running-mean baseline
 * and an entropy bonus. `evalArms` runs the navigator and every fixed block on the same held-out
 * problems, seeds and budget (per-problem success rates for paired comparisons).
 */
import { Rng } from '../../core/rng.js';
import type { Policy } from '../../models/types.js';
import type { Problem, Task } from '../../tasks/types.js';
import { solve } from '../solve.js';
import { BLOCKS, FEATURES } from './blocks.js';
import { Navigator } from './navigator.js';
import { type Chooser, type Decision, fixedChooser, makeRlotStrategy, navigatorChooser } from './strategy.js';

export interface EpisodeOptions {
  task: Task<Problem>;
  policy: Policy;
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
    models: { policy: o.policy },
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
  onStep?: (s: { episodes: number; solveRate: number; baseline: number; blockShares: Record<string, number> }) => void;
}

export async function trainNavigator(
  o: TrainOptions,
): Promise<{ navigator: Navigator; curve: Array<{ episodes: number; solveRate: number }> }> {
  const nav = new Navigator(FEATURES, o.hidden ?? 16, BLOCKS, undefined, o.seed ?? 0);
  const rng = new Rng(o.seed ?? 0).fork('rlot-train');
  const batch = o.batch ?? 16;
  const lr = o.lr ?? 0.1;
  const ent = o.entropy ?? 0.01;
  let baseline: number | null = null;
  const curve: Array<{ episodes: number; solveRate: number }> = [];
  const order = o.problems.map((_, i) => i);
  for (let done = 0, step = 0; done < o.episodes; step++) {
    const size = Math.min(batch, o.episodes - done);
    const picks = Array.from({ length: size }, (_, j) => o.problems[order[(done + j) % order.length]]);
    const eps = await Promise.all(
      picks.map((p, j) => runEpisode(p, navigatorChooser(nav, { sample: true, rng: new Rng(rng.nextU32()) }), o, rng.nextU32() + j)),
    );
    done += size;
    const rate = eps.filter((e) => e.solved).length / size;
    const b = baseline ?? rate;
    // Advantages G − b scaled by their batch standard deviation (a common REINFORCE variance control).
    const sd = Math.sqrt(eps.reduce((u, e) => u + ((e.solved ? 1 : 0) - b) ** 2, 0) / size) || 1;
    const grad = new Float64Array(nav.size);
    const counts = new Array(BLOCKS.length).fill(0);
    let decisions = 0;
    for (const e of eps) {
      const adv = ((e.solved ? 1 : 0) - b) / sd;
      for (const d of e.decisions) {
        nav.accumulate(grad, d.x, d.a, adv / size, ent / size, d.allowed);
        counts[d.a]++;
        decisions++;
      }
    }
    nav.ascend(grad, lr);
    baseline = baseline === null ? rate : 0.9 * baseline + 0.1 * rate;
    curve.push({ episodes: done, solveRate: rate });
    o.onStep?.({
      episodes: done,
      solveRate: rate,
      baseline,
      blockShares: Object.fromEntries(BLOCKS.map((k, i) => [k, decisions ? counts[i] / decisions : 0])),
    });
  }
  return { navigator: nav, curve };
}

export interface ArmResult {
  /** Per problem: solved share over the seeds. */
  perProblem: Array<{ problemId: string; correct: number; n: number }>;
  solveRate: number;
  completionTokensPerProblem: number;
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
      for (let s = 0; s < o.seeds; s++) {
        const e = results[pi * o.seeds + s];
        c += e.solved ? 1 : 0;
        tokens += e.completionTokens;
      }
      perProblem.push({ problemId: p.id, correct: c, n: o.seeds });
    });
    out[name] = {
      perProblem,
      solveRate: perProblem.reduce((a, p) => a + p.correct / p.n, 0) / Math.max(1, perProblem.length),
      completionTokensPerProblem: tokens / Math.max(1, jobs.length),
    };
  }
  return out;
}

/** The blocks that make a strategy on their own (refine alone only backs up). */
export const FIXED_ARMS = BLOCKS.filter((b) => b !== 'refine');

/** The navigator (greedy) and every fixed block, as arms. */
export function standardArms(nav: Navigator): Record<string, Chooser> {
  return {
    navigator: navigatorChooser(nav),
    ...Object.fromEntries(FIXED_ARMS.map((b) => [`fixed:${b}`, fixedChooser(b)])),
  };
}
