import { describe, expect, it } from 'vitest';
import { solve } from '../../src/reasoning/solve.js';
import { strategies } from '../../src/reasoning/strategies/index.js';
import { validateShape } from '../../src/reasoning/structure.js';
import { isRlmkitError } from '../../src/core/errors.js';
import { makeTreeTask, problemsMap, ScriptedPolicy, ScriptedReward, ScriptedValue, trapWorld, voteWorld } from './fixtures.js';

const task = makeTreeTask();
const { problem: trap, values } = trapWorld();

function models(extra: { value?: boolean; orm?: boolean; prm?: boolean } = {}) {
  const policy = new ScriptedPolicy(problemsMap(trap, voteWorld()));
  return {
    policy,
    ...(extra.value ? { value: new ScriptedValue(values) } : {}),
    ...(extra.orm ? { reward: new ScriptedReward('outcome', values) } : {}),
    ...(extra.prm ? { prm: new ScriptedReward('process', values) } : {}),
  };
}

describe('strategies on the greedy-trap world', () => {
  it('greedy CoT follows the policy into the trap', async () => {
    const r = await solve(trap, { task, strategy: 'cot', models: models() });
    expect(r.answer).toBe('1');
    expect(r.correct).toBe(false);
    expect(r.graph.kind).toBe('chain');
    expect(r.usage.calls).toBe(2);
  });

  it('runs the same search with a chat policy (renderChat prompts, steps in the assistant turn)', async () => {
    const policy = new ScriptedPolicy(problemsMap(trap), {}, { chat: true });
    const r = await solve(trap, {
      task,
      strategy: 'beam',
      settings: { beam_width: 1, k: 2, scorer: 'value' },
      models: { policy, value: new ScriptedValue(values) },
    });
    expect(r.answer).toBe('7');
    const greedy = await solve(trap, { task, strategy: 'cot', style: 'chat', models: { policy } });
    expect(greedy.answer).toBe('1');
  });

  it('beam search with a value model finds what greedy misses', async () => {
    const r = await solve(trap, {
      task,
      strategy: 'beam',
      settings: { beam_width: 1, k: 2, scorer: 'value' },
      models: models({ value: true }),
    });
    expect(r.answer).toBe('7');
    expect(r.correct).toBe(true);
  });

  it('beam search with a PRM finds it too, and lookahead sees past a tempting first step', async () => {
    const r = await solve(trap, {
      task,
      strategy: 'beam',
      settings: { beam_width: 1, k: 2, scorer: 'prm' },
      models: models({ prm: true }),
    });
    expect(r.answer).toBe('7');
    // A value table that likes "a" at depth 1 but knows its leaves are bad: only lookahead escapes.
    const v = new ScriptedValue({ ...values, a: 0.9, b: 0.1 });
    const noLook = await solve(trap, {
      task,
      strategy: 'beam',
      settings: { beam_width: 1, k: 2, scorer: 'value' },
      models: { policy: models().policy, value: v },
    });
    expect(noLook.answer).not.toBe('7');
    const look = await solve(trap, {
      task,
      strategy: 'beam',
      settings: { beam_width: 1, k: 2, scorer: 'value', lookahead: 1 },
      models: { policy: new ScriptedPolicy(problemsMap(trap), { a: ['a1'], b: ['b1', 'b2'] }), value: v },
    });
    expect(look.answer).toBe('7');
  });

  it('best-of-N picks the verified, the ORM-best or the value-best chain', async () => {
    for (const [scorer, m, gt] of [
      ['verifier', models(), true],
      ['orm', models({ orm: true }), false],
      ['value', models({ value: true }), false],
    ] as const) {
      const r = await solve(trap, { task, strategy: 'best-of-n', settings: { n: 8, scorer }, models: m, allowGroundTruth: gt, seed: 3 });
      expect(r.answer, scorer).toBe('7');
    }
  });

  it('refuses the ground-truth verifier in evaluation', async () => {
    const e = await solve(trap, { task, strategy: 'best-of-n', settings: { n: 4, scorer: 'verifier' }, models: models() }).catch((x) => x);
    expect(isRlmkitError(e)).toBe(true);
    expect(String(e.message)).toMatch(/reference answer/);
  });

  it('self-consistency clusters answers by task equivalence, and weighted votes follow the scores', async () => {
    const vw = voteWorld();
    const maj = await solve(vw, { task, strategy: 'self-consistency', settings: { n: 3 }, models: models() });
    expect(task.sameAnswer(maj.answer!, '0.5')).toBe(true);
    expect(maj.node!.parents.length).toBe(2); // the merged node of "1/2" and "0.5"
    expect(maj.trace!.notes!.votes).toBeDefined();
    const value = new ScriptedValue({ x: -1, y: -1, z: 1 });
    const w = await solve(vw, {
      task,
      strategy: 'self-consistency',
      settings: { n: 3, vote: 'weighted', scorer: 'value' },
      models: { policy: models().policy, value },
    });
    expect(w.answer).toBe('3');
    validateShape(w.graph);
  });

  it('DVTS finds the answer in one of its subtrees', async () => {
    const r = await solve(trap, { task, strategy: 'dvts', settings: { n: 4, m: 2, scorer: 'value' }, models: models({ value: true }) });
    expect(r.answer).toBe('7');
  });

  it('MCTS finds it by highest terminal value and by most visits', async () => {
    for (const bestPath of ['highest-terminal-value', 'most-visited'] as const) {
      const r = await solve(trap, {
        task,
        strategy: 'mcts',
        settings: { simulations: 8, children: 2, bestPath },
        models: models({ value: true }),
      });
      expect(r.answer, bestPath).toBe('7');
    }
  });

  it('ToT BFS prunes below the threshold and finds the answer', async () => {
    const r = await solve(trap, {
      task,
      strategy: 'tot-bfs',
      settings: { breadth: 2, k: 2, scorer: 'value', threshold: 0 },
      models: models({ value: true }),
    });
    expect(r.answer).toBe('7');
    const a = r.graph.nodes.find((n) => n.step === 'a')!;
    expect(a.pruned).toBe(true);
    expect(a.children.length).toBe(0);
  });

  it('ToT DFS backtracks out of the trap and stops at the first accepted solution', async () => {
    const r = await solve(trap, {
      task,
      strategy: 'tot-dfs',
      settings: { k: 2, scorer: 'none', temperature: 0.5 },
      models: { policy: new ScriptedPolicy(problemsMap(trap), {}, { rotate: false }) },
      allowGroundTruth: true,
    });
    expect(r.answer).toBe('7');
    expect(r.trace!.operators.some((o) => o.op === 'backtrack')).toBe(true);
    // b/b2 was never needed.
    expect(r.graph.nodes.find((n) => n.steps.join('/') === 'b/b2')?.visits ?? 0).toBe(0);
  });

  it('ToT DFS with a value model goes straight to the answer', async () => {
    const m = models({ value: true });
    const r = await solve(trap, {
      task,
      strategy: 'tot-dfs',
      settings: { k: 2, scorer: 'value', accept: 'threshold', accept_threshold: 0.5 },
      models: m,
    });
    expect(r.answer).toBe('7');
    expect(r.trace!.operators.some((o) => o.op === 'backtrack')).toBe(false);
  });

  it('Graph of Thoughts runs its operation DAG and keeps the best validated thought', async () => {
    const r = await solve(trap, { task, strategy: 'got', settings: {}, models: models({ value: true }), seed: 1 });
    expect(r.answer).toBe('7');
    expect(r.graph.kind).toBe('graph');
    const ops = new Set(r.trace!.operators.map((o) => o.op));
    for (const op of ['generate', 'evaluate', 'prune', 'refine']) expect(ops.has(op as never), op).toBe(true);
    expect(r.graph.nodes.some((n) => n.nested)).toBe(true);
    validateShape(r.graph);
  });

  it('Graph of Thoughts merges the calls of operations on the same level into one policy call', async () => {
    const policy = new ScriptedPolicy(problemsMap(trap));
    const graph = [
      { id: 'g1', op: 'generate', k: 2 },
      { id: 'g2', op: 'generate', k: 3 },
      { id: 'best', op: 'keep-best', from: ['g1', 'g2'], n: 1, scorer: 'value' },
    ];
    const r = await solve(trap, { task, strategy: 'got', settings: { graph }, models: { policy, value: new ScriptedValue(values) } });
    expect(r.answer).toBe('7');
    // Each step of the 5 chains is one call for both generate operations (2 steps deep): 2 calls, not 4.
    expect(policy.calls).toBe(2);
    expect(r.trace!.notes!.gotOperationCalls).toBe(4);
  });

  it('Graph of Thoughts rejects a graph that reads a later operation', async () => {
    const e = await solve(trap, {
      task,
      strategy: 'got',
      settings: {
        graph: [
          { id: 's', op: 'score', from: ['g'] },
          { id: 'g', op: 'generate', k: 2 },
        ],
      },
      models: models({ value: true }),
    }).catch((x) => x);
    expect(isRlmkitError(e)).toBe(true);
  });

  it('LLaMA-Berry refines whole solutions and ranks them by pairwise preference', async () => {
    const r = await solve(trap, {
      task,
      strategy: 'llama-berry',
      settings: { initial: 2, rollouts: 4, preference: 'value' },
      models: models({ value: true }),
      seed: 2,
    });
    expect(r.answer).toBe('7');
    expect(r.graph.kind).toBe('nested');
    expect(r.trace!.operators.some((o) => o.op === 'refine')).toBe(true);
    expect(r.node!.scores.preference).toBe(
      Math.max(...r.graph.nodes.filter((n) => n.scores.preference !== undefined).map((n) => n.scores.preference)),
    );
  });

  it('every registered strategy runs with the model-free defaults and produces a valid trace', async () => {
    expect(strategies.length).toBe(10);
    for (const s of strategies) {
      const r = await solve(trap, { task, strategy: s.name, models: models({ value: true }), allowGroundTruth: true });
      expect(r.trace, s.name).toBeDefined();
      expect(r.trace!.strategy.name).toBe(s.name);
      validateShape(r.graph);
    }
  });

  it('invalid settings are usage errors naming the field', async () => {
    const e = await solve(trap, { task, strategy: 'mcts', settings: { simulations: -1 }, models: models() }).catch((x) => x);
    expect(isRlmkitError(e)).toBe(true);
    expect(e.message).toMatch(/simulations/);
    const u = await solve(trap, { task, strategy: 'nope', models: models() }).catch((x) => x);
    expect(u.message).toMatch(/unknown strategy/);
  });
});
