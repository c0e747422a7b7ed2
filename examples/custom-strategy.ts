/**
 * A reasoning strategy of your own, built from the blueprint's operators.
 *
 * "Sample-and-commit": at each depth sample k candidate next steps, drop the ones the task's rule
 * check rejects (the environment marks them pruned), commit to the first surviving one, and
 * backtrack to the parent when a state has no legal continuation. It is depth-first search with a
 * fixed budget of restarts: a few lines on top of `generate`, `live` and `backtrack`.
 */
import { defineStrategy, getTask, openPolicy, solveMany, z } from 'rlmkit';
import { operators, type ReasoningNode } from 'rlmkit/reasoning';
import { shippedCheckpoint } from 'rlmkit/models';

const toy = process.env.RLMKIT_EXAMPLE_SIZE === 'toy';

const sampleAndCommit = defineStrategy({
  name: 'sample-and-commit',
  summary: 'sample k steps, keep the first legal one, backtrack on dead ends',
  structure: 'tree',
  settings: {
    k: z.number().int().min(1).max(64).default(4),
    temperature: z.number().min(0).max(2).default(1),
  },
  async run(ctx, s) {
    const tree = ctx.structure('tree');
    let node: ReasoningNode = tree.root;
    // Each expansion costs one policy call; the budget (ctx.meter) stops the loop.
    while (ctx.meter.expansionsLeft() > 0) {
      const [children] = await operators.generate(ctx, [node], { k: s.k, temperature: s.temperature, dedupe: true });
      const legal = operators.live(children);
      const done = legal.find((c) => c.terminal && c.answer !== null);
      if (done) return { node: done, answer: done.answer };
      const next = legal.find((c) => !c.terminal);
      if (next) {
        node = next;
        continue;
      }
      // Dead end: go back up one level (the operator records the backtrack in the trace).
      const parent = node.parents[0];
      if (!parent) break;
      node = operators.backtrack(ctx, node, parent, 'no legal continuation');
    }
    return { node: null, answer: null };
  },
});

const task = getTask('game24');
const problems = (await task.problems({ split: 'test' })).slice(0, toy ? 2 : 20);
const policy = await openPolicy(`embedded:${shippedCheckpoint('game24-sft')}`);
try {
  const result = await solveMany(problems, {
    task,
    strategy: sampleAndCommit,
    settings: { k: 4 },
    models: { policy },
    budget: { expansions: toy ? 8 : 40 },
    seed: 0,
  });
  const solved = result.results.filter((r) => r.correct).length;
  console.log(`sample-and-commit solved ${solved}/${problems.length} Game of 24 puzzles`);
  for (const r of result.results.slice(0, 3))
    console.log(`  ${r.problemId}: ${r.answer ?? '(no answer)'} (${r.usage.completionTokens} tokens)`);
} finally {
  await policy.close?.();
}
