/**
 * Generate (blueprint operator): k children for every node of a frontier, in ONE batched policy
 * call (n = k per request), however many nodes and whichever structures they live in. Each child
 * is read by the environment (terminal flag, rule validity, answer). With `ruleCheck` on, invalid
 * steps stay in the structure, marked pruned, so traces show the dead ends.
 *
 * `rollout` is Generate with k = 1 repeated until every chain is terminal: the chains of CoT,
 * best-of-N and self-consistency, and the completion of partial solutions in GoT and LLaMA-Berry,
 * still one policy call per step for all chains together.
 */
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';

export interface GenerateSettings {
  /** Children per node (n of the policy call). */
  k: number;
  temperature: number;
  /** Drop a child whose step text equals a sibling's (as DFS-8 in CALIBRATION.md does). */
  dedupe?: boolean;
  /** Tokens per step (default: the environment's stepMaxTokens). */
  maxTokens?: number;
}

/**
 * Expands every non-terminal node of `parents`. Returns the new children per parent, in order
 * (deduplicated and rule-pruned children included; use `live` to drop pruned ones). When the
 * budget fits only some parents, the rest come back with [] and stay unexpanded.
 */
export async function generate(ctx: SearchContext, parents: readonly ReasoningNode[], s: GenerateSettings): Promise<ReasoningNode[][]> {
  let openIdx = parents.map((p, i) => (p.terminal ? -1 : i)).filter((i) => i >= 0);
  // The expansion budget is checked before the call, so it is never exceeded.
  const room = ctx.meter.expansionsLeft();
  if (openIdx.length > 0 && room <= 0) ctx.meter.expand(1);
  openIdx = openIdx.slice(0, room);
  const out: ReasoningNode[][] = parents.map(() => []);
  openIdx = openIdx.filter((i) => !contextFull(ctx, parents[i]));
  if (openIdx.length === 0) return out;
  const maxTokens = s.maxTokens ?? ctx.env.options.stepMaxTokens;
  const results = await ctx.generate(
    openIdx.map((i) => ctx.env.request(parents[i].steps)),
    { n: s.k, temperature: s.temperature, maxTokens, stop: ctx.env.stepStops() },
  );
  const served = openIdx.slice(0, results.length);
  ctx.meter.expand(served.length);
  const produced: ReasoningNode[] = [];
  served.forEach((pi, j) => {
    const parent = parents[pi];
    parent.meta.expanded = true;
    const seen = new Set(parent.children.map((c) => c.step));
    // Completions identical to one already read here read the same way: with dedupe they are
    // dropped before the environment replays the state (a confident policy repeats itself often).
    const read = new Set<string>();
    for (const c of results[j]) {
      if (s.dedupe) {
        const key = `${c.finishReason}\u0000${c.stopSequence ?? ''}\u0000${c.text}`;
        if (read.has(key)) continue;
        read.add(key);
      }
      const r = ctx.env.interpret(parent.steps, c);
      if (s.dedupe && seen.has(r.step)) continue;
      seen.add(r.step);
      const child = parent.owner.addChild(parent, r.step, { finishReason: c.finishReason, tokenIds: c.tokenIds });
      child.terminal = r.terminal;
      child.valid = r.valid;
      child.answer = r.answer;
      if (ctx.env.options.ruleCheck && r.valid === false) {
        child.pruned = true;
        child.terminal = true;
        child.answer = null;
      }
      if (r.reason && r.valid === false) child.meta.reason = r.reason;
      out[pi].push(child);
      produced.push(child);
    }
  });
  ctx.record(
    'generate',
    served.map((i) => parents[i]),
    produced,
    { k: s.k, temperature: s.temperature },
  );
  const pruned = produced.filter((c) => c.pruned);
  if (pruned.length > 0) ctx.record('prune', pruned, undefined, { by: 'rule-check' });
  return out;
}

/**
 * A chain whose next prompt leaves no room for a token in the policy's context ends here, as a
 * terminal node without an answer (what a model that ran out of context produces), rather than a
 * request the backend would refuse.
 */
function contextFull(ctx: SearchContext, node: ReasoningNode): boolean {
  const policy = ctx.models.policy;
  const limit = policy.capabilities.contextTokens;
  if (limit === undefined || !policy.countTokens) return false;
  const req = ctx.env.request(node.steps);
  if (req.prompt === undefined) return false;
  if (policy.countTokens(req.prompt) < limit - 1) return false;
  node.terminal = true;
  node.answer = null;
  node.meta.reason = `the context of ${limit} tokens is full`;
  return true;
}

/** Live (not pruned) nodes. */
export function live(nodes: readonly ReasoningNode[]): ReasoningNode[] {
  return nodes.filter((n) => !n.pruned);
}

/**
 * Extends each start node one step at a time (k = 1, batched across all chains) until every chain
 * ends. Returns the last node of each chain, in order. A chain whose step is rule-invalid ends there.
 */
export async function rollout(ctx: SearchContext, starts: readonly ReasoningNode[], temperature: number): Promise<ReasoningNode[]> {
  const ends = [...starts];
  for (;;) {
    const active = ends.map((n, i) => [n, i] as const).filter(([n]) => !n.terminal && n.depth < ctx.env.options.maxDepth + 64);
    if (active.length === 0) return ends;
    const kids = await generate(
      ctx,
      active.map(([n]) => n),
      { k: 1, temperature },
    );
    active.forEach(([, i], j) => {
      if (kids[j].length > 0) ends[i] = kids[j][0];
    });
  }
}

/**
 * n independent chains from one node: the first steps come from ONE request with n = count (so a
 * backend samples them as distinct completions), then every chain is rolled out to its end.
 */
export async function sampleRollouts(
  ctx: SearchContext,
  from: ReasoningNode,
  count: number,
  temperature: number,
): Promise<ReasoningNode[]> {
  if (from.terminal) return [from];
  const first = (await generate(ctx, [from], { k: count, temperature }))[0];
  return rollout(ctx, first, temperature);
}
