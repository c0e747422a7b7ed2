/**
 * RLoT's logic blocks (Hao et al. 2025, §3.2: "reason one step", "decompose", "debate", "refine",
 * "terminate"), built from rlmkit's operators over a tree, and the state features the navigator
 * reads. The search holds a current node; each block moves it or ends the episode:
 *
 * | block | operators | effect |
 * |---|---|---|
 * | `reason` | Generate k = 1 | one more step; the current node moves to it when the rule check passes |
 * | `decompose` | Generate k = 4 (deduplicated), Select | several candidate next steps; moves to the first valid one not tried before |
 * | `debate` | Generate k = 2 + rollout, Evaluate (verifier) | two full continuations compared by the task's rule verifier; a correct one ends the search |
 * | `refine` | Backtrack | the last step is abandoned: back to the parent |
 * | `terminate` | rollout (greedy), Evaluate | commit: finish the chain greedily and answer |
 *
 * Features (8, each about [0, 1]): bias, depth / 4, current node terminal (a finished wrong chain),
 * the last block produced an invalid step, share of the budget spent, failed continuations from the
 * current node / 4, the share of rule-valid steps among the current node's children (the rule check
 * as a process reward), and answer agreement (the share of the most common answer among the chains
 * finished so far).
 */
import type { SearchContext } from '../context.js';
import { backtrack } from '../operators/backtrack.js';
import { evaluate } from '../operators/evaluate.js';
import { generate, live, rollout } from '../operators/generate.js';
import type { ReasoningNode } from '../structure.js';

export const BLOCKS = ['reason', 'decompose', 'debate', 'refine', 'terminate'] as const;
export type Block = (typeof BLOCKS)[number];
export const FEATURES = 8;

export interface EpisodeState {
  cur: ReasoningNode;
  solved: ReasoningNode | null;
  lastTerminal: ReasoningNode | null;
  done: boolean;
  lastInvalid: boolean;
  /** Finished (terminal) answers seen, for answer agreement. */
  answers: string[];
  failedFrom: Map<string, number>;
  tried: Set<string>;
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
    tried: new Set(),
  };
}

export function features(ctx: SearchContext, s: EpisodeState, budgetTokens: number): number[] {
  const used = ctx.meter.usage.completionTokens;
  const kids = s.cur.children;
  const validShare = kids.length ? kids.filter((k) => !k.pruned).length / kids.length : 0.5;
  const counts = new Map<string, number>();
  for (const a of s.answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  const agreement = s.answers.length ? Math.max(...counts.values()) / s.answers.length : 0;
  return [
    1,
    Math.min(1.5, s.cur.depth / 4),
    s.cur.terminal ? 1 : 0,
    s.lastInvalid ? 1 : 0,
    Math.min(1, used / Math.max(1, budgetTokens)),
    Math.min(1, (s.failedFrom.get(s.cur.id) ?? 0) / 4),
    validShare,
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
  const finished = ends.filter((e) => e.terminal && !e.pruned && e.answer !== null);
  if (finished.length === 0) return null;
  const scores = await evaluate(ctx, finished, 'verifier');
  let hit: ReasoningNode | null = null;
  finished.forEach((e, i) => {
    s.answers.push(e.answer!);
    s.lastTerminal = e;
    if (scores[i] >= 1 && !hit) hit = e;
  });
  return hit;
}

/** Applies one block to the episode (operators record themselves in the trace). */
export async function applyBlock(ctx: SearchContext, s: EpisodeState, block: Block, temperature: number): Promise<void> {
  s.lastInvalid = false;
  switch (block) {
    case 'reason':
    case 'decompose': {
      const k = block === 'reason' ? 1 : 4;
      const [kids] = await generate(ctx, [s.cur], { k, temperature, dedupe: k > 1 });
      const fresh = live(kids ?? []).filter((c) => !s.tried.has(c.id) && !s.tried.has(`${s.cur.id}\u0000${c.step}`));
      if (fresh.length === 0) {
        s.lastInvalid = true;
        return;
      }
      const next = fresh[0];
      s.tried.add(`${s.cur.id}\u0000${next.step}`);
      ctx.record('select', [next], undefined, { by: `rlot:${block}` });
      s.cur = next;
      if (next.terminal) {
        const hit = await verifyEnds(ctx, s, [next]);
        if (hit) {
          s.solved = hit;
          s.done = true;
        }
      }
      return;
    }
    case 'debate': {
      const [first] = await generate(ctx, [s.cur], { k: 2, temperature });
      const ends = await rollout(ctx, first ?? [], temperature);
      const hit = await verifyEnds(ctx, s, ends);
      if (hit) {
        s.solved = hit;
        s.done = true;
      } else s.failedFrom.set(s.cur.id, (s.failedFrom.get(s.cur.id) ?? 0) + 2);
      return;
    }
    case 'refine': {
      const parent = s.cur.parents[0];
      if (parent) s.cur = backtrack(ctx, s.cur, parent, 'rlot:refine');
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
