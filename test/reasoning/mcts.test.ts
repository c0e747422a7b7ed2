import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { solve } from '../../src/reasoning/solve.js';
import type { ReasoningNode } from '../../src/reasoning/structure.js';
import { puctScore } from '../../src/reasoning/operators/select.js';
import { x1Target } from '../../src/reasoning/operators/backpropagate.js';
import {
  makeTreeTask,
  problemsMap,
  randomValues,
  randomWorld,
  ScriptedPolicy,
  ScriptedValue,
  trapWorld,
  type TreeProblem,
} from './fixtures.js';

const task = makeTreeTask();

const byPath = (nodes: ReasoningNode[], path: string) => nodes.find((n) => n.steps.join('/') === path)!;

/** Simulations that ended at each node, read from the trace's backpropagate records. */
function endsAt(trace: { operators: { op: string; nodes: string[] }[] }): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of trace.operators)
    if (o.op === 'backpropagate') m.set(o.nodes[o.nodes.length - 1], (m.get(o.nodes[o.nodes.length - 1]) ?? 0) + 1);
  return m;
}

describe("MCTS (x1's form)", () => {
  it('matches a hand-computed 3-simulation tree', async () => {
    const { problem, values } = trapWorld();
    const r = await solve(problem, {
      task,
      strategy: 'mcts',
      settings: { simulations: 3, children: 2, gamma: 1, alpha: 0.5, c1: 1.25, c2: 19652 },
      models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(values) },
    });
    const n = r.graph.nodes;
    const root = r.graph.root;
    // Sim 1: expand root (q(a) = -0.5, q(b) = 0.5 from the Q model), simulate b; root takes q = 0.5.
    // Sim 2: N(root) = 1 so PUCT is pure q: b; expand b (b1 = 0.9, b2 = -0.2), simulate b1;
    //        q(b) = 0.5*0.5 + 0.5*0.9 = 0.7; q(root) = 0.5*0.5 + 0.5*0.7 = 0.6.
    // Sim 3: at the root a scores -0.5 + 1.2501 = 0.7501, b scores 0.7 + 1.2501/3 = 1.1167: b;
    //        at b, b1 scores 0.9 + 1.2501/2, b2 -0.2 + 1.2501: b1 (terminal) is revisited;
    //        q(b) = 0.5*0.7 + 0.5*0.9 = 0.8; q(root) = 0.5*0.6 + 0.5*0.8 = 0.7.
    expect(root.visits).toBe(3);
    expect(root.q).toBeCloseTo(0.7, 10);
    expect(byPath(n, 'b').visits).toBe(3);
    expect(byPath(n, 'b').q).toBeCloseTo(0.8, 10);
    expect(byPath(n, 'b/b1').visits).toBe(2);
    expect(byPath(n, 'b/b1').q).toBeCloseTo(0.9, 10);
    expect(byPath(n, 'b/b2').visits).toBe(0);
    expect(byPath(n, 'a').visits).toBe(0);
    expect(byPath(n, 'a').q).toBeCloseTo(-0.5, 10);
    expect(r.answer).toBe('7');
    expect(r.usage.calls).toBe(2);
    expect(r.usage.evalCalls).toBe(2);
    expect(r.trace!.usedGroundTruth).toBe(false);
    expect(n.some((x) => x.meta.verifierOverwrite)).toBe(false);
  });

  it('PUCT and the backup follow the formulas', () => {
    const { problem } = trapWorld();
    void problem;
    const fake = (q: number, visits: number) => ({ q, visits }) as unknown as ReasoningNode;
    expect(puctScore(fake(0.2, 3), 10, { c1: 1.25, c2: 19652 })).toBeCloseTo(
      0.2 + (Math.sqrt(9) / 4) * (1.25 + Math.log((10 + 19652) / 19652)),
      12,
    );
    expect(puctScore(fake(0.2, 0), 1, { c1: 1.25, c2: 19652 })).toBe(0.2);
    const parent = { children: [fake(0.5, 2), fake(-1, 1), fake(0.9, 0)] } as unknown as ReasoningNode;
    expect(x1Target(parent, 0.9)).toBeCloseTo((0.9 * (2 * 0.5 + 1 * -1)) / 3, 12);
  });

  it('parallel simulations expand several leaves in one policy call and keep finding the answer', async () => {
    const rng = new Rng(21);
    const problem = randomWorld(rng, 'wide', 4, 3);
    const values = randomValues(rng, problem);
    const seqPolicy = new ScriptedPolicy(problemsMap(problem));
    const seq = await solve(problem, {
      task,
      strategy: 'mcts',
      settings: { simulations: 32, children: 3 },
      models: { policy: seqPolicy, value: new ScriptedValue(values) },
    });
    const parPolicy = new ScriptedPolicy(problemsMap(problem));
    const par = await solve(problem, {
      task,
      strategy: 'mcts',
      settings: { simulations: 32, children: 3, parallel: 8 },
      models: { policy: parPolicy, value: new ScriptedValue(values) },
    });
    expect(par.graph.root.visits).toBe(32);
    expect(parPolicy.calls).toBeLessThan(seqPolicy.calls);
    expect(Math.max(...parPolicy.batchSizes)).toBeGreaterThan(1);
    expect(seq.graph.root.visits).toBe(32);
  });

  it('overwrites terminal values with the verifier only when ground truth is allowed', async () => {
    const { problem, values } = trapWorld();
    const r = await solve(problem, {
      task,
      strategy: 'mcts',
      settings: { simulations: 6, children: 2 },
      models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(values) },
      allowGroundTruth: true,
    });
    const terminals = r.graph.nodes.filter((x) => x.terminal && !x.pruned);
    expect(terminals.length).toBeGreaterThan(0);
    for (const t of terminals) {
      expect(t.meta.verifierOverwrite).toBe(true);
      expect(t.q).toBe(t.answer === '7' ? 1 : -1);
    }
    expect(r.trace!.usedGroundTruth).toBe(true);
  });

  it('at evaluation, uses a rule verifier (no answer key) at terminals, widens exhausted nodes and stops once solved', async () => {
    const rules = makeTreeTask(false);
    // Root moves a, b, c; only c wins. Two children per expansion: a seeded rotation gives (a,b),
    // (b,c) or (c,a), so a search that first draws (a,b) can only win by widening the root.
    const problem: TreeProblem = {
      id: 'w',
      question: 'w',
      answer: '7',
      data: { tree: { '': ['a', 'b', 'c'] }, leaves: { a: '1', b: '2', c: '7' } },
    };
    let widenedAndSolved = 0;
    for (let seed = 0; seed < 24; seed++) {
      const r = await solve(problem, {
        task: rules,
        strategy: 'mcts',
        seed,
        settings: { simulations: 20, children: 2 },
        models: { policy: new ScriptedPolicy(problemsMap(problem)) },
      });
      expect(r.trace!.usedGroundTruth).toBe(false);
      expect(r.trace!.checksUsed).toContain('rule-verifier');
      for (const t of r.graph.nodes.filter((x) => x.terminal && !x.pruned)) expect(t.q).toBe(t.answer === '7' ? 1 : -1);
      const root = r.graph.root;
      if (r.answer === '7') {
        // stopWhenSolved: no simulation after the expansion that produced the win
        expect(root.visits).toBeLessThan(20);
        if ((root.meta.widened as number | undefined) ?? 0) widenedAndSolved++;
      } else {
        // only when a widening drew nothing new: the root is then a dead end
        expect(root.meta.widened).toBeGreaterThanOrEqual(1);
        expect(root.meta.dead).toBe(true);
        expect(root.children.map((c) => c.steps[0]).sort()).toEqual(['a', 'b']);
      }
    }
    expect(widenedAndSolved).toBeGreaterThan(0);
    // x1's single expansion (widen 0) never adds children to an expanded node.
    for (let seed = 0; seed < 8; seed++) {
      const r = await solve(problem, {
        task: rules,
        strategy: 'mcts',
        seed,
        settings: { simulations: 20, children: 2, widen: 0 },
        models: { policy: new ScriptedPolicy(problemsMap(problem)) },
      });
      expect(r.graph.root.children.length).toBeLessThanOrEqual(2);
    }
  });

  it('refuses an answer-key verifier at terminals during evaluation', async () => {
    const { problem, values } = trapWorld();
    await expect(
      solve(problem, {
        task,
        strategy: 'mcts',
        settings: { simulations: 4, terminal_check: 'verifier' },
        models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(values) },
      }),
    ).rejects.toThrow(/terminal_check=verifier needs the reference answer/);
  });

  it('keeps its invariants on random trees (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.constantFrom(1, 1, 3, 8),
        async (seed, sims, m, gamma, alpha, parallel) => {
          const rng = new Rng(seed);
          const problem = randomWorld(rng, `w${seed}`);
          const r = await solve(problem, {
            task,
            strategy: 'mcts',
            seed,
            settings: { simulations: sims, children: m, gamma, alpha, parallel },
            models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(randomValues(rng, problem)) },
          });
          const ends = endsAt(r.trace!);
          const g = r.graph;
          const ran = r.trace!.operators.filter((o) => o.op === 'backpropagate').length;
          expect(g.root.visits).toBe(ran);
          expect(ran).toBeLessThanOrEqual(sims);
          for (const node of g.nodes) {
            const childVisits = node.children.reduce((s, c) => s + c.visits, 0);
            expect(node.visits).toBe(childVisits + (ends.get(node.id) ?? 0));
            if (node.q !== null) {
              expect(node.q).toBeGreaterThanOrEqual(-1);
              expect(node.q).toBeLessThanOrEqual(1);
            }
          }
          if (r.answer !== null) expect(Object.values(problem.data.leaves)).toContain(r.answer);
        },
      ),
      { numRuns: 60 },
    );
  });
});
