/**
 * Aggregate (blueprint operator): merges several nodes into one node with several parents, which
 * makes the structure a graph (Graph of Thoughts, Besta et al. 2024).
 *
 * - `aggregateByAnswer`: model-free; solutions whose answers the task calls equal
 *   (task.sameAnswer) merge into one node per answer class, which carries the class's votes and
 *   summed score. This is self-consistency's clustering made explicit in the structure.
 * - `aggregateWithModel`: the policy is shown several solutions and asked for one combined
 *   solution (GoT's aggregation prompt); the merged node's steps are read back step by step.
 *   Only sensible for chat models: a character-level model never learned such a prompt.
 */
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';

export interface AnswerClass {
  answer: string;
  members: ReasoningNode[];
  votes: number;
  /** Sum of the members' weights. */
  weight: number;
}

/** Clusters terminal nodes with an answer by task.sameAnswer (first member is the class's representative). */
export function clusterByAnswer(
  ctx: SearchContext,
  nodes: readonly ReasoningNode[],
  weight: (n: ReasoningNode) => number = () => 1,
): AnswerClass[] {
  const classes: AnswerClass[] = [];
  for (const n of nodes) {
    if (n.answer === null || n.pruned) continue;
    const c = classes.find((k) => ctx.env.task.sameAnswer(k.answer, n.answer!, ctx.env.problem));
    if (c) {
      c.members.push(n);
      c.votes += 1;
      c.weight += weight(n);
    } else classes.push({ answer: n.answer, members: [n], votes: 1, weight: weight(n) });
  }
  return classes;
}

/** One merged node per answer class with at least two members (classes of one keep their node). */
export function aggregateByAnswer(
  ctx: SearchContext,
  nodes: readonly ReasoningNode[],
  weight: (n: ReasoningNode) => number = () => 1,
): ReasoningNode[] {
  const out: ReasoningNode[] = [];
  for (const c of clusterByAnswer(ctx, nodes, weight)) {
    if (c.members.length === 1) {
      out.push(c.members[0]);
      continue;
    }
    const rep = c.members[0];
    const merged = rep.owner.addMerged(c.members, rep.step, rep.steps);
    merged.terminal = true;
    merged.answer = c.answer;
    merged.valid = rep.valid;
    merged.scores.votes = c.votes;
    merged.scores.weight = c.weight;
    if (rep.nested) merged.nested = rep.nested;
    ctx.record('aggregate', c.members, [merged], { by: 'answer', votes: c.votes, weight: c.weight });
    out.push(merged);
  }
  return out;
}

/** Asks the policy to combine solutions; returns the merged node (its steps still to be checked by the caller). */
export async function aggregateWithModel(
  ctx: SearchContext,
  nodes: readonly ReasoningNode[],
  temperature: number,
  maxTokens: number,
): Promise<ReasoningNode | null> {
  if (nodes.length === 0) return null;
  const env = ctx.env;
  const listing = nodes.map((n, i) => `Solution ${i + 1}:\n${n.steps.join('\n')}`).join('\n\n');
  const instruction = `Problem:\n${env.problem.question}\n\n${listing}\n\nCombine the strengths of these solutions into one correct solution. Write its steps, one per line, and nothing else.`;
  const request = env.style === 'chat' ? { messages: [{ role: 'user' as const, content: instruction }] } : { prompt: `${instruction}\n` };
  const [out] = await ctx.generate([request], { n: 1, temperature, maxTokens });
  const text = out?.[0]?.text ?? '';
  const steps = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const merged = nodes[0].owner.addMerged([...nodes], steps.join('\n'), steps);
  readSolution(ctx, merged);
  ctx.record('aggregate', nodes, [merged], { by: 'model' });
  return merged;
}

/** Sets terminal / valid / answer of a whole-solution node from the task's rules or answer extraction. */
export function readSolution(ctx: SearchContext, node: ReasoningNode): void {
  const env = ctx.env;
  const steps = node.steps;
  let valid: boolean | null = null;
  let terminal = false;
  let answer: string | null = null;
  if (env.task.checkStep && steps.length > 0) {
    valid = true;
    for (let i = 1; i <= steps.length; i++) {
      const chk = env.task.checkStep(env.problem, steps.slice(0, i));
      if (!chk.valid) {
        valid = false;
        break;
      }
      if (chk.terminal) {
        terminal = true;
        answer = chk.answer ?? null;
        break;
      }
    }
  }
  if (!terminal) answer = env.task.extractAnswer(steps.join('\n'), env.problem);
  node.valid = valid;
  node.terminal = true;
  node.answer = valid === false && env.options.ruleCheck ? null : answer;
}
