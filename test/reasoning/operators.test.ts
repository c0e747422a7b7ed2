import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Meter } from '../../src/reasoning/budget.js';
import { SearchContext } from '../../src/reasoning/context.js';
import { Environment } from '../../src/reasoning/environment.js';
import { aggregateByAnswer, clusterByAnswer } from '../../src/reasoning/operators/aggregate.js';
import { aggregatePrm } from '../../src/reasoning/operators/evaluate.js';
import { backupMean, backupX1 } from '../../src/reasoning/operators/backpropagate.js';
import { keepTopK, pruneBelow } from '../../src/reasoning/operators/prune.js';
import { selectGreedy, selectSample, selectUct } from '../../src/reasoning/operators/select.js';
import { ReasoningGraph, validateShape } from '../../src/reasoning/structure.js';
import { solve } from '../../src/reasoning/solve.js';
import { makeTreeTask, problemsMap, ScriptedPolicy, trapWorld, voteWorld } from './fixtures.js';

const task = makeTreeTask();

function context(kind: 'tree' | 'graph' = 'tree') {
  const problem = voteWorld();
  const env = new Environment(task, problem, { style: 'plain', maxDepth: 8, stepMaxTokens: 16, ruleCheck: true });
  const ctx = new SearchContext(env, { policy: new ScriptedPolicy(problemsMap(problem, trapWorld().problem)) }, new Meter(), new Rng(1), {
    allowGroundTruth: false,
    seeded: true,
  });
  ctx.structure(kind);
  return ctx;
}

describe('operators', () => {
  it('Select: greedy, UCT (unvisited first) and sampling in proportion to softmax(score / T)', () => {
    const ctx = context();
    const g = ctx.graph;
    const [a, b, c] = ['a', 'b', 'c'].map((s) => g.addChild(g.root, s));
    a.q = 0.1;
    b.q = 0.9;
    c.q = 0.5;
    expect(selectGreedy([a, b, c], (n) => n.q!)).toBe(b);
    a.visits = 3;
    b.visits = 2;
    expect(selectUct([a, b, c], 5, 1.4)).toBe(c);
    const rng = new Rng(3);
    const counts = new Map([
      [a, 0],
      [b, 0],
      [c, 0],
    ]);
    for (let i = 0; i < 6000; i++) {
      const s = selectSample([a, b, c], (n) => n.q!, 0.5, rng)!;
      counts.set(s, counts.get(s)! + 1);
    }
    const z = Math.exp(0.2) + Math.exp(1.8) + Math.exp(1);
    expect(counts.get(b)! / 6000).toBeCloseTo(Math.exp(1.8) / z, 1);
    expect(counts.get(a)! / 6000).toBeCloseTo(Math.exp(0.2) / z, 1);
  });

  it('Prune keeps the top k or those above a threshold, marking (not deleting) the rest', () => {
    const ctx = context();
    const g = ctx.graph;
    const kids = [0.3, -0.2, 0.8, 0.1].map((v, i) => Object.assign(g.addChild(g.root, `s${i}`), { value: v }));
    const kept = keepTopK(ctx, kids, (n) => n.value!, 2);
    expect(kept.map((n) => n.step)).toEqual(['s2', 's0']);
    expect(kids.filter((n) => n.pruned).map((n) => n.step)).toEqual(['s1', 's3']);
    const ctx2 = context();
    const kids2 = [0.3, -0.2].map((v, i) => Object.assign(ctx2.graph.addChild(ctx2.graph.root, `t${i}`), { value: v }));
    expect(pruneBelow(ctx2, kids2, (n) => n.value!, 0).map((n) => n.step)).toEqual(['t0']);
    expect(ctx.operators.filter((o) => o.op === 'prune')).toHaveLength(1);
  });

  it('Aggregate merges task-equivalent answers into one node with several parents (a DAG)', () => {
    const ctx = context('graph');
    const g = ctx.graph;
    const leaves = ['1/2', '0.5', '3', '2/4'].map((a, i) => Object.assign(g.addChild(g.root, `x${i}`), { terminal: true, answer: a }));
    expect(clusterByAnswer(ctx, leaves).map((c) => c.votes)).toEqual([3, 1]);
    const merged = aggregateByAnswer(ctx, leaves);
    expect(merged[0].parents.map((p) => p.step)).toEqual(['x0', 'x1', 'x3']);
    expect(merged[0].scores.votes).toBe(3);
    expect(merged[1]).toBe(leaves[2]);
    validateShape(g);
    expect(() => new ReasoningGraph('tree').addMerged([g.root], 'x', [])).toThrow(/cannot hold/);
  });

  it('Backpropagate: mean backup is a running average; x1 backup leaves the leaf value alone', () => {
    const g = new ReasoningGraph('tree');
    const a = g.addChild(g.root, 'a');
    const b = g.addChild(a, 'b');
    backupMean([g.root, a, b], 1);
    backupMean([g.root, a, b], 0);
    expect(g.root.q).toBeCloseTo(0.5, 12);
    expect(b.visits).toBe(2);
    const h = new ReasoningGraph('tree');
    const x = h.addChild(h.root, 'x');
    const y = h.addChild(h.root, 'y');
    x.q = 0.4;
    y.q = -0.6;
    backupX1([h.root, x], { gamma: 0.9, alpha: 1 });
    expect(x.q).toBe(0.4);
    expect(h.root.q).toBeCloseTo(0.9 * 0.4, 12);
    backupX1([h.root, y], { gamma: 0.9, alpha: 0.5 });
    expect(h.root.q).toBeCloseTo(0.5 * 0.36 + 0.5 * 0.9 * ((0.4 - 0.6) / 2), 12);
  });

  it('PRM aggregation: last, min, prod, skipping unscored steps', () => {
    expect(aggregatePrm([0.9, NaN, 0.5], 'last')).toBe(0.5);
    expect(aggregatePrm([0.9, 0.2, 0.5], 'min')).toBe(0.2);
    expect(aggregatePrm([0.5, 0.5], 'prod')).toBe(0.25);
  });

  it('Generate ends a chain whose prompt fills the policy context, instead of sending it', async () => {
    const { problem } = trapWorld();
    const policy = new ScriptedPolicy(problemsMap(problem));
    const task = makeTreeTask();
    // Prompts are "Qtrap|" (6 characters = tokens) then "Qtrap|a\n" (8): a context of 8 leaves no
    // room after the first step.
    const full = await solve(problem, {
      task,
      strategy: 'cot',
      settings: { decoding: 'greedy' },
      models: { policy: Object.assign(policy, { capabilities: { ...policy.capabilities, contextTokens: 8 } }) },
    });
    const last = full.graph.nodes[full.graph.nodes.length - 1];
    expect(full.graph.nodes).toHaveLength(2);
    expect(last.terminal).toBe(true);
    expect(last.answer).toBeNull();
    expect(String(last.meta.reason)).toMatch(/context of 8 tokens is full/);
    expect(policy.calls).toBe(1);
    const roomy = new ScriptedPolicy(problemsMap(problem));
    const ok = await solve(problem, {
      task,
      strategy: 'cot',
      settings: { decoding: 'greedy' },
      models: { policy: Object.assign(roomy, { capabilities: { ...roomy.capabilities, contextTokens: 64 } }) },
    });
    expect(ok.answer).not.toBeNull();
  });

  it('x1 backup keeps every q within [-1, 1] for any values (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (qs, gamma, alpha) => {
          const g = new ReasoningGraph('tree');
          const kids = qs.map((q, i) => Object.assign(g.addChild(g.root, `k${i}`), { q }));
          for (const k of kids) backupX1([g.root, k], { gamma, alpha });
          expect(Math.abs(g.root.q!)).toBeLessThanOrEqual(1 + 1e-12);
          expect(g.root.visits).toBe(qs.length);
        },
      ),
    );
  });
});
