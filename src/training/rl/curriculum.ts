/**
 * Problem samplers for the RL loop: which problems a step trains on, driven by each problem's
 * online pass rate (the share of its group's samples the verifier accepted, smoothed over the
 * steps it was drawn). A registry, like the advantage estimators; `uniform` is the loop's default
 * and draws exactly what the loop always drew (a shuffle by the step's rng).
 *
 * Online pass rate of problem i, updated after each step that drew it (exponential moving average,
 * rate beta = curriculum.ema; a problem never drawn has the prior p_0 = curriculum.prior):
 *   p_i <- (1 - beta) p_i + beta c_i / g_i        (c_i of g_i samples correct this step)
 *
 * - `observe_r1` (Guo et al. 2025, "Observe-R1: Unlocking Reasoning Abilities of MLLMs with Dynamic
 *   Progressive Reinforcement Learning", §3: the NeuraLadder order and the dynamic weighting):
 *   difficulty d_i = 1 - p_i orders the pool easy to hard; at step s only the easiest fraction
 *     f(s) = min(1, f_0 + (1 - f_0) s / ramp_steps)
 *   of the problems is open, and within it problems are drawn without replacement with weight
 *     w_i = floor + p_i (1 - p_i)
 *   (the Bernoulli variance of the outcome: largest for uncertain, medium-difficulty problems).
 * - `rlcs` (GLM-V Team 2025, "GLM-4.1V-Thinking: Towards Versatile Multimodal Reasoning with
 *   Scalable Reinforcement Learning", §5.1 Reinforcement Learning with Curriculum Sampling): problems
 *   are graded into `bins` difficulty levels by their online pass rate (unseen problems form a level
 *   of their own); a level is drawn with probability proportional to its expected learning signal,
 *     W_b = floor + mean_{i in b} p_i (1 - p_i),
 *   so levels that are all solved (p = 1) or all failed (p = 0) are sampled rarely; then a problem
 *   uniformly within the level.
 * - `levels` (Wu et al. 2025, "MaskSearch: A Universal Pre-Training Framework to Enhance Agentic
 *   Search Capability", §3.3 curriculum learning by the number of masks): a fixed difficulty level per
 *   problem (problem.data[level_key]: a number, or the length of an array such as countdown's
 *   numbers); stage k of `stages` opens the levels <= its max_level for its steps; after the last
 *   stage every level is open. Problems are shuffled uniformly within the open levels.
 *
 * The sampler's state (every p_i) goes into each checkpoint, so a resumed run draws exactly the
 * problems an uninterrupted one draws.
 */
import { type Rng, inputError } from '../../core/index.js';
import type { Problem } from '../../tasks/types.js';
import { type Matrix, matrix } from '../algos/index.js';
import type { CurriculumSection } from './loop-config.js';

/** Per-problem online pass rates (EMA), the state every curriculum shares. */
export class PassRates {
  /** p_i, or NaN while problem i was never drawn. */
  readonly rates: Float64Array;
  constructor(
    n: number,
    readonly beta: number,
    readonly prior: number,
  ) {
    this.rates = new Float64Array(n).fill(NaN);
  }
  get(i: number): number {
    return Number.isNaN(this.rates[i]) ? this.prior : this.rates[i];
  }
  seen(i: number): boolean {
    return !Number.isNaN(this.rates[i]);
  }
  /** One step's outcome for problem i: c of g samples correct. The first observation replaces the prior. */
  observe(i: number, correct: number, total: number): void {
    if (total <= 0) return;
    const x = correct / total;
    this.rates[i] = this.seen(i) ? (1 - this.beta) * this.rates[i] + this.beta * x : x;
  }
  toJSON(): (number | null)[] {
    return Array.from(this.rates, (x) => (Number.isNaN(x) ? null : x));
  }
  load(saved: unknown): void {
    if (!Array.isArray(saved) || saved.length !== this.rates.length)
      throw inputError(
        `the checkpoint's curriculum state holds ${Array.isArray(saved) ? saved.length : 'no'} pass rates for ${this.rates.length} problems`,
        'resume with the task settings the run started with',
      );
    saved.forEach((x, i) => (this.rates[i] = typeof x === 'number' ? x : NaN));
  }
}

/** Observe-R1's open fraction f(s) = min(1, f_0 + (1 - f_0) s / ramp_steps). */
export function openFraction(step: number, start: number, rampSteps: number): number {
  return Math.min(1, start + ((1 - start) * step) / Math.max(1, rampSteps));
}

/** Bernoulli variance p (1 - p): the expected learning signal of a problem with pass rate p. */
export function uncertainty(p: number): number {
  return p * (1 - p);
}

/**
 * Weighted sampling of k distinct items without replacement (Efraimidis & Spirakis 2006): key
 * u^(1/w) per item with u uniform, keep the k largest. Items with weight 0 come last.
 */
export function weightedWithoutReplacement(weights: readonly number[], k: number, rng: Rng): number[] {
  const keys = weights.map((w, i) => ({ i, key: w > 0 ? Math.log(Math.max(rng.next(), 1e-300)) / w : -Infinity }));
  keys.sort((a, b) => b.key - a.key || a.i - b.i);
  return keys.slice(0, Math.min(k, keys.length)).map((x) => x.i);
}

/** The difficulty level of a problem for `levels`: data[key] as a number, or an array's length. */
export function problemLevel(p: Problem, key: string): number {
  const v = (p.data as Record<string, unknown> | undefined)?.[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (Array.isArray(v)) return v.length;
  throw inputError(
    `curriculum "levels" reads problem.data.${key}, but problem ${p.id} has no such number or list`,
    'set rl.curriculum.level_key to a numeric field of the task data, or use another curriculum',
  );
}

/** The open level bound of `levels` at a step (null: every level). */
export function levelBound(stages: readonly { steps: number; max_level: number }[], step: number): number | null {
  let until = 0;
  for (const s of stages) {
    until += s.steps;
    if (step <= until) return s.max_level;
  }
  return null;
}

/**
 * Draws each step's problems from `pool` (indices into the run's problem list) and learns from the
 * outcomes. One instance per run; `pick` depends only on (state, step, rng).
 */
export class ProblemSampler {
  readonly rates: PassRates;
  private readonly levels: number[] | null;
  constructor(
    readonly problems: readonly Problem[],
    readonly cfg: CurriculumSection,
  ) {
    this.rates = new PassRates(problems.length, cfg.ema, cfg.prior);
    this.levels = cfg.name === 'levels' ? problems.map((p) => problemLevel(p, cfg.level_key)) : null;
  }

  /** `n` problem indices from `pool` for `step` (cycled when n exceeds the open pool). */
  pick(pool: readonly number[], n: number, step: number, rng: Rng): number[] {
    const { cfg } = this;
    if (n === 0 || pool.length === 0) return [];
    if (cfg.name === 'uniform') return cycle(rng.shuffle([...pool]), n);
    if (cfg.name === 'levels') {
      const bound = levelBound(cfg.stages, step);
      const open = bound === null ? [...pool] : pool.filter((i) => this.levels![i] <= bound);
      if (open.length === 0)
        throw inputError(`curriculum "levels": no training problem has level <= ${bound} at step ${step}`, 'check rl.curriculum.stages');
      return cycle(rng.shuffle(open), n);
    }
    if (cfg.name === 'observe_r1') {
      // easy to hard by online difficulty; ties keep the pool's order
      const ordered = [...pool].sort((a, b) => this.rates.get(b) - this.rates.get(a) || a - b);
      const open = ordered.slice(0, Math.max(1, Math.ceil(openFraction(step, cfg.start_fraction, cfg.ramp_steps) * ordered.length)));
      const picked = weightedWithoutReplacement(
        open.map((i) => cfg.floor + uncertainty(this.rates.get(i))),
        n,
        rng,
      ).map((k) => open[k]);
      return cycle(picked, n);
    }
    // rlcs: a level by its expected signal, then a problem uniformly within it
    const bins = new Map<number, number[]>();
    for (const i of pool) {
      const b = this.rates.seen(i) ? Math.min(cfg.bins - 1, Math.floor(this.rates.get(i) * cfg.bins)) : -1;
      if (!bins.has(b)) bins.set(b, []);
      bins.get(b)!.push(i);
    }
    const keys = [...bins.keys()].sort((a, b) => a - b);
    const weight = keys.map((b) => cfg.floor + mean(bins.get(b)!.map((i) => uncertainty(this.rates.get(i)))));
    const order = new Map(keys.map((b) => [b, rng.fork(`bin.${b}`).shuffle([...bins.get(b)!])]));
    const used = new Map<number, number>();
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const b = keys[categorical(weight, rng)];
      const list = order.get(b)!;
      const u = used.get(b) ?? 0;
      out.push(list[u % list.length]);
      used.set(b, u + 1);
    }
    return out;
  }

  /** After scoring: each drawn problem's correct share this step. */
  observe(outcomes: readonly { problem: number; correct: number; total: number }[]): void {
    for (const o of outcomes) this.rates.observe(o.problem, o.correct, o.total);
  }

  /** Logged per step: mean pass rate of the problems drawn so far and the open share (observe_r1) or level bound. */
  metrics(step: number): Record<string, number> {
    const seen = this.rates.rates.filter((x) => !Number.isNaN(x));
    const out: Record<string, number> = { curriculum_seen: seen.length };
    if (seen.length) out.curriculum_pass_rate = mean(Array.from(seen));
    if (this.cfg.name === 'observe_r1') out.curriculum_open = openFraction(step, this.cfg.start_fraction, this.cfg.ramp_steps);
    if (this.cfg.name === 'levels') out.curriculum_level = levelBound(this.cfg.stages, step) ?? Math.max(...this.levels!);
    return out;
  }

  state(): unknown {
    return this.cfg.name === 'uniform' || this.cfg.name === 'levels' ? null : this.rates.toJSON();
  }
  load(saved: unknown): void {
    if (saved !== null && saved !== undefined) this.rates.load(saved);
  }
}

function cycle(xs: readonly number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => xs[i % xs.length]);
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** An index drawn with probability proportional to `w`. */
export function categorical(w: readonly number[], rng: Rng): number {
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < w.length; i++) {
    u -= w[i];
    if (u < 0) return i;
  }
  return w.length - 1;
}

/**
 * Observe-R1's dynamic weighting of groups: w_g = max(floor, 4 p_g (1 - p_g)) for a group with pass
 * rate p_g this step (1 at p = 1/2, the most uncertain), normalised to mean 1 over the groups given,
 * so the loss scale stays that of plain GRPO while uncertain problems weigh more.
 */
export function uncertaintyGroupWeights(passRates: ReadonlyMap<number, number>, floor: number): Map<number, number> {
  const raw = new Map([...passRates].map(([g, p]) => [g, Math.max(floor, 4 * uncertainty(p))]));
  const m = mean([...raw.values()]);
  return new Map([...raw].map(([g, w]) => [g, m > 0 ? w / m : 1]));
}

/**
 * The weights applied: each kept row's advantages times its group's weight, p_g being the share of
 * correct samples among all the group's rollouts this step (before any row was dropped).
 */
export function weightGroupAdvantages(
  floor: number,
  outcomes: readonly { group: number; correct: boolean }[],
  keptGroups: readonly number[],
  adv: Matrix,
): { advantages: Matrix; weights: Map<number, number> } {
  const stats = new Map<number, { c: number; n: number }>();
  for (const o of outcomes) {
    const s = stats.get(o.group) ?? { c: 0, n: 0 };
    s.c += o.correct ? 1 : 0;
    s.n++;
    stats.set(o.group, s);
  }
  const weights = uncertaintyGroupWeights(new Map([...new Set(keptGroups)].map((g) => [g, stats.get(g)!.c / stats.get(g)!.n])), floor);
  const out = matrix(adv.rows, adv.cols, Float32Array.from(adv.data));
  keptGroups.forEach((g, i) => {
    const x = weights.get(g)!;
    for (let k = i * adv.cols; k < (i + 1) * adv.cols; k++) out.data[k] *= x;
  });
  return { advantages: out, weights };
}
