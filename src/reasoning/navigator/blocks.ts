/**
 * RLoT's logic blocks (Hao et al. 2025, §3.2: "reason one step", "decompose", "debate", "refine",
 * "terminate"), built from rlmkit's operators over a tree, and the state the navigator reads. The
 * search holds a current node; each block moves it or ends the episode:
 *
 * | block | operators | effect |
 * |---|---|---|
 * | `reason` | Generate k = 1 | one more step; the current node moves to it when the rule check passes |
 * | `decompose` | Generate k = 4 (deduplicated) when fewer than 2 untried steps are there, Evaluate (value), Select | several candidate next steps; moves to the untried child the value model rates best |
 * | `debate` | Generate k = 2 (deduplicated) + rollout, Evaluate (verifier) | two full continuations compared by the task's rule verifier; a correct one ends the search |
 * | `refine` | Backtrack, Select | the current step is replaced: back to the parent, then on to its best-rated untried child (if any) |
 * | `terminate` | rollout (greedy), Evaluate | commit: finish the chain greedily and answer |
 *
 * The state (RLoT §3.1 rates the partial reasoning with a process reward model; here the value
 * model, trained on the policy's own rollouts, plays that part) is 12 features, each about [0, 1]:
 *
 * | # | feature |
 * |---|---|
 * | 0 | bias (1) |
 * | 1 | depth / 3 |
 * | 2 | V(current) on [0, 1] (0.5 without a value model) |
 * | 3 | (V(current) − V(parent) + 1) / 2: did the last step help |
 * | 4 | V of the best untried sibling (0 when none): what `refine` would move to |
 * | 5 | untried rule-valid children of the current node / 4 |
 * | 6 | share of the completion-token budget spent |
 * | 7 | whether a `debate` still fits in the budget (two chains to the end at the step reservation) |
 * | 8 | failed continuations from the current node / 4 |
 * | 9 | the last block produced no new valid step |
 * | 10 | the current node is a finished wrong chain |
 * | 11 | answer agreement: the share of the most common answer among the chains finished so far |
 */
import type { SearchContext } from '../context.js';
import { backtrack } from '../operators/backtrack.js';
import { evaluate } from '../operators/evaluate.js';
import { generate, live, rollout } from '../operators/generate.js';
import type { ReasoningNode } from '../structure.js';

export const BLOCKS = ['reason', 'decompose', 'debate', 'refine', 'terminate'] as const;
export type Block = (typeof BLOCKS)[number];
export const FEATURES = 12;
/** Candidate steps `decompose` asks for. */
export const DECOMPOSE_K = 4;
/** Continuations `debate` compares. */
export const DEBATE_K = 2;

export interface EpisodeState {
  cur: ReasoningNode;
  solved: ReasoningNode | null;
  lastTerminal: ReasoningNode | null;
  done: boolean;
  lastInvalid: boolean;
  /** Finished (terminal) answers seen, for answer agreement. */
  answers: string[];
  failedFrom: Map<string, number>;
  /** Nodes the search has stood on (never moved to again by decompose or refine). */
  tried: Set<string>;
  /** Terminal nodes already checked by the verifier. */
  checked: Set<string>;
}

export function startState(root: ReasoningNode): EpisodeState {
  return {
    cur: root,
    solved: null,
    lastTerminal: null,
    done: false,
    lastInvalid: false,
    answers: [],
    failedFrom: new Map(),
    tried: new Set([root.id]),
    checked: new Set(),
  };
}

/** V(node) on [0, 1] from the value model's [-1, 1] score; 0.5 when there is no value model or no score. */
function unitValue(n: ReasoningNode | undefined): number {
  const v = n?.scores.value;
  if (n && n.pruned) return 0;
  return v === undefined || Number.isNaN(v) ? 0.5 : (v + 1) / 2;
}

/** Rates `nodes` with the value model when the search has one (cached on the nodes; rule-invalid ones get −1). */
async function rate(ctx: SearchContext, nodes: readonly ReasoningNode[]): Promise<void> {
  if (!ctx.models.value || nodes.length === 0) return;
  await evaluate(ctx, nodes, 'value');
}

const untried = (s: EpisodeState, n: ReasoningNode | undefined): ReasoningNode[] =>
  n ? live(n.children).filter((c) => !s.tried.has(c.id)) : [];

function bestByValue(nodes: readonly ReasoningNode[]): ReasoningNode | null {
  let best: ReasoningNode | null = null;
  for (const n of nodes) if (!best || unitValue(n) > unitValue(best)) best = n;
  return best;
}

/** Rates, with the value model, the nodes the features read (the current node, its parent, untried siblings and children). */
export async function observe(ctx: SearchContext, s: EpisodeState): Promise<void> {
  const parent = s.cur.parents[0];
  await rate(ctx, [s.cur, ...(parent ? [parent] : []), ...untried(s, parent), ...untried(s, s.cur)]);
}

/** The navigator's input in state `s` (call `observe` first so the values are there). */
export function features(ctx: SearchContext, s: EpisodeState, budgetTokens: number): number[] {
  const used = ctx.meter.usage.completionTokens;
  const stepTokens = ctx.env.options.stepMaxTokens;
  const counts = new Map<string, number>();
  for (const a of s.answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  const agreement = s.answers.length ? Math.max(...counts.values()) / s.answers.length : 0;
  const parent = s.cur.parents[0];
  const sibling = bestByValue(untried(s, parent));
  return [
    1,
    Math.min(1.5, s.cur.depth / 3),
    unitValue(s.cur),
    parent ? (unitValue(s.cur) - unitValue(parent) + 1) / 2 : 0.5,
    sibling ? unitValue(sibling) : 0,
    Math.min(1, untried(s, s.cur).length / 4),
    Math.min(1, used / Math.max(1, budgetTokens)),
    budgetTokens - used >= DEBATE_K * stepTokens ? 1 : 0,
    Math.min(1, (s.failedFrom.get(s.cur.id) ?? 0) / 4),
    s.lastInvalid ? 1 : 0,
    s.cur.terminal ? 1 : 0,
    agreement,
  ];
}

/** Which blocks make sense in this state (the rest are masked out of the navigator's choice). */
export function allowedBlocks(s: EpisodeState): boolean[] {
  const atRoot = s.cur.parents.length === 0;
  const open = !s.cur.terminal;
  return [open, open, open, !atRoot, open];
}

async function verifyEnds(ctx: SearchContext, s: EpisodeState, ends: readonly ReasoningNode[]): Promise<ReasoningNode | null> {
  const finished = ends.filter((e) => e.terminal && !e.pruned && e.answer !== null && !s.checked.has(e.id));
  if (finished.length === 0) return null;
  const scores = await evaluate(ctx, finished, 'verifier');
  let hit: ReasoningNode | null = null;
  finished.forEach((e, i) => {
    s.checked.add(e.id);
    s.answers.push(e.answer!);
    s.lastTerminal = e;
    if (scores[i] >= 1 && !hit) hit = e;
  });
  return hit;
}

/** Moves the current node to `next` (recorded as a Select); a finished chain there is checked at once. */
async function moveTo(ctx: SearchContext, s: EpisodeState, next: ReasoningNode, by: string): Promise<void> {
  s.tried.add(next.id);
  ctx.record('select', [next], undefined, { by });
  s.cur = next;
  if (next.terminal) {
    const hit = await verifyEnds(ctx, s, [next]);
    if (hit) {
      s.solved = hit;
      s.done = true;
    }
  }
}

/** Applies one block to the episode (operators record themselves in the trace). */
export async function applyBlock(ctx: SearchContext, s: EpisodeState, block: Block, temperature: number): Promise<void> {
  s.lastInvalid = false;
  switch (block) {
    case 'reason': {
      const [kids] = await generate(ctx, [s.cur], { k: 1, temperature });
      const triedSteps = new Set(s.cur.children.filter((c) => s.tried.has(c.id)).map((c) => c.step));
      const next = live(kids ?? []).find((c) => !triedSteps.has(c.step));
      if (!next) {
        s.lastInvalid = true;
        return;
      }
      await rate(ctx, [next]);
      await moveTo(ctx, s, next, 'rlot:reason');
      return;
    }
    case 'decompose': {
      // Candidates: the untried steps already here (e.g. first steps of earlier debates), topped
      // up by Generate when fewer than two are left.
      if (untried(s, s.cur).length < 2) {
        const [kids] = await generate(ctx, [s.cur], { k: DECOMPOSE_K, temperature, dedupe: true });
        if (live(kids ?? []).length === 0) s.lastInvalid = true;
      }
      const pool = untried(s, s.cur);
      await rate(ctx, pool);
      const next = bestByValue(pool);
      if (next) await moveTo(ctx, s, next, 'rlot:decompose');
      else s.lastInvalid = true;
      return;
    }
    case 'debate': {
      const [first] = await generate(ctx, [s.cur], { k: DEBATE_K, temperature, dedupe: true });
      const ends = await rollout(ctx, first ?? [], temperature);
      const hit = await verifyEnds(ctx, s, ends);
      if (hit) {
        s.solved = hit;
        s.done = true;
      } else s.failedFrom.set(s.cur.id, (s.failedFrom.get(s.cur.id) ?? 0) + DEBATE_K);
      return;
    }
    case 'refine': {
      const parent = s.cur.parents[0];
      if (!parent) return;
      s.cur = backtrack(ctx, s.cur, parent, 'rlot:refine');
      await rate(ctx, untried(s, parent));
      const next = bestByValue(untried(s, parent));
      if (next) await moveTo(ctx, s, next, 'rlot:refine');
      return;
    }
    case 'terminate': {
      const [end] = await rollout(ctx, [s.cur], 0);
      const hit = await verifyEnds(ctx, s, [end]);
      if (hit) s.solved = hit;
      else s.failedFrom.set(s.cur.id, (s.failedFrom.get(s.cur.id) ?? 0) + 1);
      s.cur = end.terminal ? end : s.cur;
      s.done = true;
      return;
    }
  }
}
