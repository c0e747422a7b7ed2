/**
 * The MCTS block of RSRM (Xu et al., ICLR 2024, §3.1): Monte-Carlo tree search over expression
 * trees written in prefix order. A node of rlmkit's `ReasoningGraph` (structure.ts) holds a
 * partial prefix (one token per step); selection is UCT (operators/select.ts, Kocsis & Szepesvári
 * 2006), expansion adds one untried token, a rollout completes the expression (with the double-Q
 * policy, or uniformly in the ablation), the reward is RSRM's  r = η^n / (1 + NRMSE)  (n = number of
 * tokens), and backup keeps both the mean and the best reward of a subtree (q = their average, so
 * a rare exact fit is not averaged away).
 */
import type { Rng } from '../../core/rng.js';
import { ReasoningGraph, type ReasoningNode } from '../structure.js';
import { selectUct } from '../operators/select.js';
import { evalPrefix, openSlots, type Token } from '../../tasks/symreg/expr.js';
import type { DoubleQ, Transition } from './double-q.js';

export interface Scored {
  prefix: Token[];
  values: Float64Array;
  nrmse: number;
  reward: number;
}

export interface MctsOptions {
  library: readonly Token[];
  X: readonly Float64Array[];
  target: Float64Array;
  /** Values of learnt tokens on X. */
  learnt: Map<string, Float64Array>;
  maxLength: number;
  episodes: number;
  eta: number;
  uctC: number;
  /** Double Q (null: the ablation, uniform rollouts and expansion). */
  dq: DoubleQ | null;
  rng: Rng;
  /** Stop the round when an expression's NRMSE falls below this. */
  exactNrmse: number;
  /** Called with every completed expression. */
  onScored(s: Scored): void;
}

const INVERSE: Record<string, string> = { exp: 'log', log: 'exp' };

/** Context of the next open slot: the parent token and which argument it is ("root" at the top). */
export function slotContext(prefix: readonly Token[]): string {
  const stack: Array<{ name: string; filled: number; arity: number }> = [];
  for (const t of prefix) {
    if (stack.length) stack[stack.length - 1].filled++;
    if (t.arity > 0) stack.push({ name: t.name, filled: 0, arity: t.arity });
    while (stack.length && stack[stack.length - 1].filled === stack[stack.length - 1].arity) stack.pop();
  }
  const top = stack[stack.length - 1];
  return top ? `${top.name}#${top.filled}` : 'root';
}

/** Tokens that may fill the next slot of `prefix` without exceeding `maxLength`. */
export function legalTokens(prefix: readonly Token[], library: readonly Token[], maxLength: number): Token[] {
  const open = openSlots(prefix);
  const ctx = slotContext(prefix);
  const parent = ctx.split('#')[0];
  return library.filter((t) => {
    if (prefix.length + 1 + (open - 1 + t.arity) > maxLength) return false;
    if (INVERSE[parent] === t.name) return false;
    if (t.constant !== undefined && parent !== 'root' && (parent === 'sin' || parent === 'cos' || parent === 'exp' || parent === 'log'))
      return false;
    return true;
  });
}

/** NRMSE of a prediction against the target (root-mean-square error over the target's std). */
export function nrmse(pred: Float64Array, target: Float64Array): number {
  let mean = 0;
  for (const v of target) mean += v;
  mean /= target.length;
  let se = 0;
  let vt = 0;
  for (let i = 0; i < target.length; i++) {
    const d = pred[i] - target[i];
    se += d * d;
    vt += (target[i] - mean) ** 2;
  }
  const std = Math.sqrt(vt / target.length);
  const e = Math.sqrt(se / target.length) / (std > 1e-12 ? std : 1);
  return Number.isFinite(e) ? e : Infinity;
}

export function score(prefix: Token[], o: Pick<MctsOptions, 'X' | 'target' | 'learnt' | 'eta'>): Scored {
  const values = evalPrefix(prefix, o.X, o.learnt);
  const e = nrmse(values, o.target);
  return { prefix, values, nrmse: e, reward: Number.isFinite(e) ? o.eta ** prefix.length / (1 + e) : 0 };
}

/**
 * Rollout prior by arity (leaves 0.45, binary 0.35, unary 0.2 of the mass, spread over the
 * tokens of each class), so completions stay short; the double-Q block multiplies it by
 * exp(Q/τ) (double-q.ts).
 */
function prior(options: readonly Token[]): number[] {
  const mass = [0.45, 0.2, 0.35];
  const count = [0, 0, 0];
  for (const t of options) count[t.arity]++;
  return options.map((t) => mass[t.arity] / count[t.arity]);
}

function pick(state: string, options: readonly Token[], o: MctsOptions): Token {
  const p = prior(options);
  if (o.dq) {
    const w = o.dq.weights(
      state,
      options.map((t) => t.name),
    );
    return options[o.rng.categorical(p.map((x, i) => x * w[i]))];
  }
  return options[o.rng.categorical(p)];
}

/** Runs `episodes` simulations; returns the number of expressions evaluated. */
export function runMcts(o: MctsOptions): { evaluations: number; exact: Scored | null; nodes: number } {
  const graph = new ReasoningGraph('tree');
  const tokenOf = new Map(o.library.map((t) => [t.name, t]));
  const prefixOf = (n: ReasoningNode): Token[] => n.steps.map((s) => tokenOf.get(s)!);
  const untried = new Map<ReasoningNode, Token[]>();
  const untriedOf = (n: ReasoningNode): Token[] => {
    let u = untried.get(n);
    if (!u) untried.set(n, (u = legalTokens(prefixOf(n), o.library, o.maxLength)));
    return u;
  };
  let evaluations = 0;
  for (let ep = 0; ep < o.episodes; ep++) {
    let node = graph.root;
    const path = [node];
    while (!node.terminal && untriedOf(node).length === 0 && node.children.length > 0) {
      node = selectUct(node.children, node.visits, o.uctC)!;
      path.push(node);
    }
    if (!node.terminal) {
      const u = untriedOf(node);
      const t = pick(slotContext(prefixOf(node)), u, o);
      u.splice(u.indexOf(t), 1);
      node = graph.addChild(node, t.name);
      node.terminal = openSlots(prefixOf(node)) === 0;
      path.push(node);
    }
    const prefix = prefixOf(node);
    const episode: Transition[] = [];
    const nextActions: string[][] = [];
    for (let k = 0; k < prefix.length; k++) episode.push({ state: slotContext(prefix.slice(0, k)), action: prefix[k].name });
    while (openSlots(prefix) > 0) {
      const opts = legalTokens(prefix, o.library, o.maxLength);
      const state = slotContext(prefix);
      const t = pick(state, opts, o);
      prefix.push(t);
      episode.push({ state, action: t.name });
    }
    for (let k = 1; k < episode.length; k++) nextActions.push(legalTokens(prefix.slice(0, k), o.library, o.maxLength).map((t) => t.name));
    const s = score(prefix, o);
    evaluations++;
    o.onScored(s);
    o.dq?.update(episode, nextActions, s.reward, o.rng);
    for (const n of path) {
      n.visits++;
      const mean = ((n.meta.mean as number | undefined) ?? 0) + (s.reward - ((n.meta.mean as number | undefined) ?? 0)) / n.visits;
      const best = Math.max((n.meta.best as number | undefined) ?? 0, s.reward);
      n.meta.mean = mean;
      n.meta.best = best;
      n.q = (mean + best) / 2;
    }
    if (s.nrmse < o.exactNrmse) return { evaluations, exact: s, nodes: graph.nodes.length };
  }
  return { evaluations, exact: null, nodes: graph.nodes.length };
}
