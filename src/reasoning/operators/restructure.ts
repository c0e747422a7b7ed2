/**
 * Restructure (blueprint operator): turns an explored tree into one chain that keeps the dead
 * ends and the backtracks, as Journey Learning does to teach a model to search in one long
 * thought (Qin et al. 2024, "O1 Replication Journey"). The chain walks the final path; before
 * each step on it, it tries the explored siblings that failed, follows each dead end down, and
 * says that it goes back.
 */
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';

export interface JourneyStep {
  kind: 'step' | 'dead-end' | 'backtrack';
  text: string;
  nodeId: string;
}

export interface JourneyOptions {
  /** Dead ends inserted at most, over the whole chain. */
  maxDeadEnds: number;
  /** How a backtrack reads; `{depth}` is the number of steps kept. */
  backtrackText: string;
}

export const DEFAULT_JOURNEY: JourneyOptions = { maxDeadEnds: 4, backtrackText: 'This does not work. Go back to step {depth}.' };

/** A branch the search really tried: expanded, visited or evaluated (merely generated is not enough). */
function explored(n: ReasoningNode): boolean {
  return n.children.length > 0 || n.visits > 0 || Object.keys(n.scores).length > 0;
}

/** The steps a dead end went through: follow the most visited (then first) child to a leaf. */
function deadEndWalk(n: ReasoningNode): ReasoningNode[] {
  const walk = [n];
  let cur = n;
  while (cur.children.length > 0) {
    cur = cur.children.reduce((a, b) => (b.visits > a.visits ? b : a));
    walk.push(cur);
  }
  return walk;
}

export function linearise(path: readonly ReasoningNode[], o: JourneyOptions = DEFAULT_JOURNEY): JourneyStep[] {
  const out: JourneyStep[] = [];
  let budget = o.maxDeadEnds;
  for (let i = 1; i < path.length; i++) {
    const parent = path[i - 1];
    const onPath = path[i];
    for (const sib of parent.children) {
      if (budget <= 0) break;
      if (sib === onPath || !explored(sib)) continue;
      const failed = sib.answer === null || sib.correct === false || sib.valid === false || (sib.q ?? 0) < (onPath.q ?? 0);
      if (!failed) continue;
      budget--;
      for (const n of deadEndWalk(sib)) out.push({ kind: 'dead-end', text: n.step, nodeId: n.id });
      out.push({ kind: 'backtrack', text: o.backtrackText.replace('{depth}', String(parent.depth)), nodeId: parent.id });
    }
    out.push({ kind: 'step', text: onPath.step, nodeId: onPath.id });
  }
  return out;
}

/** The Restructure operator: linearises the path and records it in the operator log. */
export function restructureJourney(ctx: SearchContext, path: readonly ReasoningNode[], o: JourneyOptions = DEFAULT_JOURNEY): JourneyStep[] {
  const journey = linearise(path, o);
  ctx.record('restructure', path, undefined, {
    form: 'journey',
    steps: journey.length,
    deadEnds: journey.filter((s) => s.kind === 'backtrack').length,
  });
  ctx.notes.journey = journey;
  return journey;
}
