/**
 * Monte Carlo tree search in x1's form (docs/design.md, "MCTS (x1 form)"):
 *
 *   select:  from the root, follow PUCT without a prior,
 *              q(c) + sqrt(N(s) - 1) / (1 + N(c)) * (c1 + log((N(s) + c2) / c2))
 *            until a node that was never expanded (or is terminal);
 *   expand:  generate M children at once (one policy call with n = M);
 *   init:    each child's q is set by the Q model (a value model on the state that ends with the
 *            child's step); rule-invalid children are dropped (q = -1, pruned);
 *   verify:  at terminal children, q is overwritten by the verifier (+1 correct, -1 wrong) when
 *            the verifier may be used: always for tasks whose verifier is a rule check that needs
 *            no answer key (Game of 24, Countdown: the target is part of the puzzle), and for
 *            answer-key verifiers ONLY when the solve allows ground truth (training-data
 *            generation; never in evaluation). The trace's checksUsed says which one ran;
 *   simulate: the best new child (pure q, since the leaf has N = 1) is the simulated node;
 *   backup:  N += 1 along the path, and bottom-up
 *              q(s) <- (1 - α) q(s) + α γ Σ_c N(c) q(c) / Σ_c N(c);
 *   repeat K simulations (or stop at the first terminal the verifier accepts, stopWhenSolved),
 *   then read the answer by one of x1's best-path rules: the terminal with
 *   the highest value, or the most visited path.
 *
 * The loop in `run` is these phases, one wave of `parallel` simulations at a time (1 = x1):
 *   1. selectWave         select, with virtual visits so that a wave's paths spread out;
 *   2. expand             expand the wave's leaves in one call; a node whose children all failed is
 *                         widened (re-expanded, at most `widen` times; only with the verifier),
 *   3.                    evaluate the new children: init + verify (`initialise`),
 *   4.                    mark dead ends: a widening that brings nothing new (`markDeadEnds`, q = -1),
 *   5.                    early stop: `stopWhenSolved` and the verifier accepted a new terminal;
 *   6. simulateAndBackUp  simulate the best new child and back up along the path.
 *
 * Invariants (tested): N(root) = simulations run; for every node, N(s) = Σ_c N(c) + the number
 * of simulations that ended at s; every q stays in [-1, 1].
 */
import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import type { SearchContext } from '../context.js';
import { evaluate, Scorers, unitScore, type Scorer } from '../operators/evaluate.js';
import { generate, live } from '../operators/generate.js';
import { backupX1 } from '../operators/backpropagate.js';
import { selectPuct } from '../operators/select.js';
import { defineStrategy, type StrategyResult } from '../strategy.js';
import type { ReasoningNode } from '../structure.js';

export const mcts = defineStrategy({
  name: 'mcts',
  summary: "x1's MCTS: PUCT without prior, M children per expansion, Q-model init, γ/α backup",
  structure: 'tree',
  settings: {
    /** K: simulations. */
    simulations: z.number().int().min(1).max(100000).default(64),
    /** M: children generated per expansion. */
    children: z.number().int().min(1).max(256).default(4),
    temperature: z.number().min(0).max(5).default(1),
    /** PUCT constants (MuZero's values). */
    c1: z.number().min(0).default(1.25),
    c2: z.number().positive().default(19652),
    /** γ: discount in the backup. */
    gamma: z.number().min(0).max(1).default(1),
    /** α: step size of the backup. */
    alpha: z.number().min(0).max(1).default(0.5),
    /** Q model for child initialisation; auto = value model, else PRM, else ORM, else none (q = 0). */
    qModel: z.enum(['auto', 'none', ...Scorers]).default('auto'),
    bestPath: z.enum(['highest-terminal-value', 'most-visited']).default('highest-terminal-value'),
    dedupe: z.boolean().default(true),
    /** Simulations selected before one batched expansion (virtual loss); 1 = x1's sequential form. */
    parallel: z.number().int().min(1).max(1024).default(1),
    /**
     * Terminal values from the verifier: auto = when allowed (a rule verifier always, an
     * answer-key verifier only with ground truth allowed); none = the Q model's value only.
     */
    terminalCheck: z.enum(['auto', 'verifier', 'none']).default('auto'),
    /** Stop as soon as the verifier accepts a terminal (no simulation can improve on it). */
    stopWhenSolved: z.boolean().default(true),
    /**
     * Re-expansions of a node whose children all failed (verifier-rejected terminals or dead
     * ends): M more children are sampled for it. x1 expands a node once (0), which leaves a peaked
     * policy with a tiny tree that is exhausted long before the K simulations end.
     */
    widen: z.number().int().min(0).max(64).default(3),
  },
  async run(ctx, s) {
    const g = ctx.structure('tree');
    const overwrite = verifierAtTerminals(ctx, s.terminalCheck);
    // Widening needs to know that children failed, which only the verifier says.
    const search: Search = { ...s, qModel: resolveQModel(ctx, s.qModel), overwrite, widen: overwrite ? s.widen : 0 };
    let sim = 0;
    let solved = false;
    while (sim < s.simulations && ctx.meter.ok() && !solved) {
      // 1. select a wave of paths (virtual loss between them)
      const paths = selectWave(ctx, g.root, Math.min(s.parallel, s.simulations - sim), search);
      // 2.-5. expand their leaves (widening exhausted ones), evaluate the children, mark dead ends
      const leaves = expandableLeaves(paths);
      if (leaves.length > 0) solved = await expand(ctx, leaves, search); // 5. early stop when solved
      // 6. simulate and back up every path that got through
      const expandedNow = new Set(leaves.filter((l) => l.expanded));
      for (const path of paths)
        if (simulateAndBackUp(ctx, path, expandedNow, s)) ctx.record('backpropagate', path, undefined, { simulation: ++sim });
      if (leaves.length > 0 && expandedNow.size === 0) break; // nothing fits the budget any more
    }
    ctx.notes.simulations = g.root.visits;
    return bestPath(ctx, s.bestPath);
  },
  best(ctx, s) {
    return bestPath(ctx, s.bestPath);
  },
});

/** What the phases need of one search: its settings, the resolved Q model and verifier use. */
interface Search {
  children: number;
  temperature: number;
  dedupe: boolean;
  c1: number;
  c2: number;
  stopWhenSolved: boolean;
  /** The Q model that initialises children (null: q = 0). */
  qModel: Scorer | null;
  /** Whether the verifier overwrites terminal q (and so says which children failed). */
  overwrite: boolean;
  /** Re-expansions allowed per exhausted node (0 without the verifier). */
  widen: number;
}

/**
 * 1. Select a wave of `wave` paths (1 = x1's sequential search). Virtual visits on the paths
 * already chosen steer later selections elsewhere (Chaslot et al. 2008's virtual loss) and are
 * removed before the real backup.
 */
function selectWave(ctx: SearchContext, root: ReasoningNode, wave: number, search: Search): ReasoningNode[][] {
  const paths: ReasoningNode[][] = [];
  for (let i = 0; i < wave; i++) {
    const path = selectPath(ctx, root, search, search.widen);
    for (const n of path) n.visits += 1;
    paths.push(path);
  }
  for (const path of paths) for (const n of path) n.visits -= 1;
  return paths;
}

/** The distinct path ends to expand: never expanded, or exhausted and up for widening. */
function expandableLeaves(paths: ReasoningNode[][]): ReasoningNode[] {
  return [...new Set(paths.map((p) => p[p.length - 1]).filter((n) => !n.terminal && !isDead(n) && (!n.expanded || exhausted(n))))];
}

/**
 * 2. Expand every leaf in one policy call (an already expanded leaf is widened: M more children),
 * 3. evaluate the new children at once (Q model, verifier at terminals), 4. mark the dead ends.
 * Returns 5., whether to stop early: `stopWhenSolved` and the verifier accepted a new terminal.
 */
async function expand(ctx: SearchContext, leaves: ReasoningNode[], search: Search): Promise<boolean> {
  for (const l of leaves) if (l.expanded) l.meta.widened = ((l.meta.widened as number | undefined) ?? 0) + 1;
  const kids = await generate(ctx, leaves, { k: search.children, temperature: search.temperature, dedupe: search.dedupe });
  await initialise(ctx, live(kids.flat()), search.qModel, search.overwrite);
  const solved = search.overwrite && search.stopWhenSolved && kids.flat().some((k) => !k.pruned && k.terminal && k.scores.verifier === 1);
  markDeadEnds(leaves, kids);
  return solved;
}

/**
 * 4. Dead ends: a widened leaf whose new children all broke the rules, or that found nothing new
 * (the policy has no other move to offer here; measured on Game of 24, giving up at once leaves
 * more simulations for other branches than retrying).
 */
function markDeadEnds(leaves: ReasoningNode[], kids: ReasoningNode[][]): void {
  leaves.forEach((leaf, i) => {
    if (!leaf.expanded || live(kids[i]).length > 0) return;
    leaf.q = -1;
    leaf.meta.dead = true;
  });
}

/**
 * 6. Simulate and back up one path of the wave: a leaf expanded just now simulates its best new
 * child (PUCT; pure q while N(leaf) <= 1), then x1's backup runs along the path. Returns false,
 * without a backup, when the budget let nothing through to this leaf.
 */
function simulateAndBackUp(
  ctx: SearchContext,
  path: ReasoningNode[],
  expandedNow: ReadonlySet<ReasoningNode>,
  k: { c1: number; c2: number; gamma: number; alpha: number },
): boolean {
  const leaf = path[path.length - 1];
  if (!leaf.terminal && !leaf.expanded) return false;
  if (expandedNow.has(leaf) && !isDead(leaf)) {
    const pick = selectPuct(live(leaf.children), Math.max(1, leaf.visits), k)!;
    ctx.record('select', [pick], undefined, { by: 'puct', simulated: true });
    path.push(pick);
  }
  backupX1(path, k);
  return true;
}

/**
 * Follows PUCT from the root to a node that is unexpanded, terminal or dead, or to an exhausted
 * node (every child failed) that may still be widened.
 */
function selectPath(ctx: SearchContext, root: ReasoningNode, k: { c1: number; c2: number }, widen: number): ReasoningNode[] {
  const path: ReasoningNode[] = [root];
  let node = root;
  while (node.expanded && !node.terminal && !isDead(node)) {
    if (widen > 0 && exhausted(node) && ((node.meta.widened as number | undefined) ?? 0) < widen) break;
    const next = selectPuct(live(node.children), node.visits, k);
    if (!next) break;
    ctx.record('select', [next], undefined, { by: 'puct', parentVisits: node.visits });
    path.push(next);
    node = next;
  }
  return path;
}

/** Whether terminal q comes from the verifier (see the top of this file). */
function verifierAtTerminals(ctx: SearchContext, mode: 'auto' | 'verifier' | 'none'): boolean {
  if (mode === 'none') return false;
  const allowed = !ctx.env.task.verifierNeedsAnswer || ctx.allowGroundTruth;
  if (mode === 'verifier' && !allowed) {
    throw usageError(
      `terminal_check=verifier needs the reference answer of task ${ctx.env.task.name}`,
      'use terminal_check=auto or none for evaluation, or --allow-ground-truth for data generation',
    );
  }
  return allowed;
}

/** Every live child failed: a verifier-rejected terminal or a dead end (and there is one at least). */
function exhausted(n: ReasoningNode): boolean {
  const kids = live(n.children);
  return kids.length > 0 && kids.every((c) => isDead(c) || (c.terminal && c.scores.verifier === 0));
}

function isDead(n: ReasoningNode): boolean {
  return n.meta.dead === true;
}

function resolveQModel(ctx: SearchContext, q: string): Scorer | null {
  if (q === 'none') return null;
  if (q !== 'auto') return q as Scorer;
  if (ctx.models.value) return 'value';
  if (ctx.models.prm) return 'prm';
  if (ctx.models.reward) return 'orm';
  return null;
}

/** q(c) from the Q model (0 without one); at terminals the verifier overwrites it in training. */
async function initialise(ctx: SearchContext, kids: ReasoningNode[], qModel: Scorer | null, overwrite: boolean): Promise<void> {
  if (qModel) await evaluate(ctx, kids, qModel);
  for (const k of kids) k.q = qModel ? (unitScore(k, qModel) ?? 0) : 0;
  if (overwrite) {
    const terminals = kids.filter((k) => k.terminal);
    if (terminals.length > 0) {
      await evaluate(ctx, terminals, 'verifier');
      for (const t of terminals) {
        t.q = unitScore(t, 'verifier') ?? t.q;
        t.meta.verifierOverwrite = true;
      }
    }
  }
}

/** x1's output rules. */
export function bestPath(ctx: SearchContext, rule: 'highest-terminal-value' | 'most-visited'): StrategyResult {
  const g = ctx.graph;
  const answered = (nodes: ReasoningNode[]) => nodes.filter((n) => n.terminal && n.answer !== null && !n.pruned && n.valid !== false);
  const highest = (nodes: ReasoningNode[]): ReasoningNode | null => {
    let best: ReasoningNode | null = null;
    for (const n of nodes)
      if (
        best === null ||
        (n.q ?? -Infinity) > (best.q ?? -Infinity) ||
        ((n.q ?? -Infinity) === (best.q ?? -Infinity) && n.visits > best.visits)
      )
        best = n;
    return best;
  };
  if (rule === 'most-visited') {
    let node = g.root;
    while (live(node.children).length > 0) {
      node = live(node.children).reduce((a, b) => (b.visits > a.visits || (b.visits === a.visits && (b.q ?? -1) > (a.q ?? -1)) ? b : a));
    }
    if (node.terminal && node.answer !== null && node.valid !== false) return { node, answer: node.answer };
    // The most visited path stopped short of an answer: the best terminal below where it ended.
    const below = answered(g.nodes.filter((n) => g.pathTo(n).includes(node)));
    const pick = highest(below) ?? highest(answered(g.nodes));
    return pick ? { node: pick, answer: pick.answer } : { node, answer: null };
  }
  const pick = highest(answered(g.nodes));
  return pick ? { node: pick, answer: pick.answer } : { node: null, answer: null };
}
