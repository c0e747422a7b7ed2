/**
 * RSRM — Reinforcement Symbolic Regression Machine (Xu, Liu, Zhang, Yang & Sun, ICLR 2024).
 * Rounds of MCTS (mcts.ts) guided by a double Q-learning block (double-q.ts); between rounds the
 * modulated sub-tree discovery block (discovery.ts) adds learnt tokens and switches the target to a
 * residual of the best expression. Model-free: it searches over formulas for samples (X, y) only,
 * and never sees held-out points or the true formula. Ablations: `doubleQ: false` (uniform
 * rollouts and expansion), `discovery: false` (fixed library, target always y).
 */
import { Rng } from '../../core/rng.js';
import { evalNames, expandNames, prefixToInfix, standardLibrary, variableName, type Token } from '../../tasks/symreg/expr.js';
import { DoubleQ } from './double-q.js';
import { discoverSubtrees, makeLearnt } from './discovery.js';
import { nrmse, runMcts, type Scored } from './mcts.js';
import { ValuePool } from './pool.js';
import { enumerateSubtrees } from './enumerate.js';

export interface RsrmOptions {
  /** Expression evaluations in all (the budget, the same for every formula and arm). */
  evaluations: number;
  rounds: number;
  maxLength: number;
  eta: number;
  uctC: number;
  doubleQ: boolean;
  discovery: boolean;
  /** Learnt tokens added per round. */
  learnPerRound: number;
  seed: number;
  /** NRMSE on the samples below which a formula counts as fitted and the search stops. */
  exactNrmse: number;
  /** Sub-tree enumeration (discovery only): largest size, and its share of the budget. */
  enumerateSize: number;
  enumerateShare: number;
  /** Modulation: peel depth, and the largest stored sub-tree tried as one side of a pair. */
  peelDepth: number;
  pairSize: number;
  /** Largest stored sub-tree tried as one side of a pair for y itself. */
  topPairSize: number;
  /** Peel levels at which pairs are tried (0 = only y itself). */
  pairDepth: number;
  /** Share of the budget left after enumeration that peeling may use (the rest goes to MCTS). */
  peelShare: number;
  /** Include the leaf 1 (default true). */
  one: boolean;
}

export const RSRM_DEFAULTS: RsrmOptions = {
  evaluations: 100_000,
  rounds: 10,
  maxLength: 20,
  eta: 0.99,
  uctC: 0.5,
  doubleQ: true,
  discovery: true,
  learnPerRound: 3,
  seed: 0,
  exactNrmse: 1e-9,
  enumerateSize: 7,
  enumerateShare: 0.5,
  peelDepth: 4,
  pairSize: 3,
  topPairSize: 5,
  pairDepth: 4,
  peelShare: 0.5,
  one: true,
};

export interface RsrmResult {
  /** Prefix token names over the base library (learnt tokens expanded). */
  prefix: string[];
  infix: string;
  nrmse: number;
  evaluations: number;
  fitted: boolean;
  learnt: Array<{ name: string; infix: string }>;
}

interface Candidate {
  names: string[];
  nrmse: number;
  reward: number;
}

export function rsrm(X: readonly number[][], y: readonly number[], options: Partial<RsrmOptions> = {}): RsrmResult {
  const o = { ...RSRM_DEFAULTS, ...options };
  if (X.length === 0 || X.some((c) => c.length !== y.length) || y.length === 0)
    throw new RangeError('rsrm: X must hold one column per variable, each as long as y');
  const rng = new Rng(o.seed);
  const cols = X.map((c) => Float64Array.from(c));
  const Y = Float64Array.from(y);
  const varNames = X.map((_, i) => variableName(i, X.length));
  let library: Token[] = standardLibrary(X.length, { one: o.one });
  const learnt = new Map<string, Float64Array>();
  const dq = o.doubleQ ? new DoubleQ() : null;
  const pool = o.discovery ? new ValuePool() : null;
  let best: Candidate = { names: [], nrmse: Infinity, reward: -Infinity };
  let evaluations = 0;
  const consider = (names: string[], pred: Float64Array | null, e?: number): void => {
    const err = e ?? nrmse(pred!, Y);
    const reward = Number.isFinite(err) ? o.eta ** names.length / (1 + err) : 0;
    if (reward > best.reward || (err < o.exactNrmse && best.nrmse >= o.exactNrmse)) best = { names, nrmse: err, reward };
  };
  /** Whether `names` equals `target` on the samples (1e-9 relative): guards pool look-ups. */
  const check = (names: string[], target: Float64Array): boolean => {
    const v = evalNames(names, varNames, cols);
    for (let i = 0; i < v.length; i++) if (!(Math.abs(v[i] - target[i]) <= 1e-9 * Math.max(1, Math.abs(target[i])))) return false;
    return true;
  };
  if (pool) {
    evaluations += enumerateSubtrees(library, cols, pool, o.enumerateSize, Math.floor(o.evaluations * o.enumerateShare));
    const leaves = library.filter((t) => t.arity === 0).map((t) => ({ names: [t.name], values: evalNames([t.name], varNames, cols) }));
    const smalls = pool.smallest(o.pairSize);
    const peeled = pool.peel(
      Y,
      leaves,
      smalls,
      pool.smallest(o.topPairSize),
      o.peelDepth,
      o.pairDepth,
      check,
      Math.floor((o.evaluations - evaluations) * o.peelShare),
    );
    evaluations += peeled.tried;
    if (peeled.names) consider(peeled.names, evalNames(peeled.names, varNames, cols));
  }
  const perRound = Math.max(1, Math.floor((o.evaluations - evaluations) / o.rounds));
  for (let round = 0; round < o.rounds && evaluations < o.evaluations && best.nrmse >= o.exactNrmse; round++) {
    // Modulation (MSDB): every third round searches y − f, every third y / f, for the best f so far.
    const mode = !o.discovery || best.names.length === 0 ? 'direct' : (['direct', 'add', 'mul'] as const)[round % 3];
    const fTok = mode === 'direct' ? null : library.find((t) => t.expansion && t.expansion.join(' ') === best.names.join(' '));
    const fVals = fTok ? learnt.get(fTok.name)! : null;
    const target = mode === 'add' && fVals ? Y.map((v, i) => v - fVals[i]) : mode === 'mul' && fVals ? Y.map((v, i) => v / fVals[i]) : Y;
    if (!target.every(Number.isFinite)) continue;
    const elite: Scored[] = [];
    const seen = new Set<string>();
    const r = runMcts({
      library,
      X: cols,
      target,
      learnt,
      maxLength: o.maxLength,
      episodes: Math.min(perRound, o.evaluations - evaluations),
      eta: o.eta,
      uctC: o.uctC,
      dq,
      rng: rng.fork(`round${round}`),
      exactNrmse: o.exactNrmse,
      onScored(s) {
        const names = expandNames(s.prefix);
        const key = names.join(' ');
        if (seen.has(key)) return;
        seen.add(key);
        elite.push(s);
        if (elite.length > 400) {
          elite.sort((a, b) => b.reward - a.reward);
          elite.length = 200;
        }
        const full =
          mode === 'add' && fTok
            ? ['+', ...fTok.expansion!, ...names]
            : mode === 'mul' && fTok
              ? ['*', ...fTok.expansion!, ...names]
              : names;
        if (mode === 'direct') consider(full, null, s.nrmse);
        else consider(full, evalNames(full, varNames, cols));
        if (pool) {
          const fv = mode === 'direct' ? s.values : evalNames(full, varNames, cols);
          const combo = pool.combine(fv, full, Y, check);
          if (combo) consider(combo, evalNames(combo, varNames, cols));
          pool.add(s.values, names);
        }
      },
    });
    evaluations += r.evaluations;
    if (!o.discovery) continue;
    elite.sort((a, b) => b.reward - a.reward);
    const fresh = discoverSubtrees(elite.slice(0, 20), library, learnt, cols, o.learnPerRound);
    library = [...library, ...fresh];
    if (best.names.length && !library.some((t) => t.expansion && t.expansion.join(' ') === best.names.join(' '))) {
      const bestTokens = best.names.map((n) => library.find((t) => t.name === n && !t.expansion)!);
      if (bestTokens.every(Boolean)) library = [...library, makeLearnt(best.names, bestTokens, library, learnt, cols)];
    }
  }
  return {
    prefix: best.names,
    infix: best.names.length ? prefixToInfix(best.names) : '',
    nrmse: best.nrmse,
    evaluations,
    fitted: best.nrmse < o.exactNrmse,
    learnt: library.filter((t) => t.expansion).map((t) => ({ name: t.name, infix: prefixToInfix(t.expansion!) })),
  };
}
