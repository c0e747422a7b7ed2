import { describe, expect, it } from 'vitest';
import { solve, solveMany } from '../../src/reasoning/solve.js';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { Lockstep } from '../../src/reasoning/lockstep.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';
import { makeTreeTask, problemsMap, ScriptedPolicy, ScriptedValue, trapWorld } from './fixtures.js';

const task = makeTreeTask();
const problems = Array.from({ length: 6 }, (_, i) => trapWorld(`t${i}`).problem);
const { values } = trapWorld();

describe('solveMany', () => {
  it('lockstep merges calls across problems and gives the same results as one after another (greedy)', async () => {
    for (const [strategy, settings] of [
      ['cot', {}],
      ['beam', { beam_width: 2, k: 2, temperature: 0 }],
      ['tot-bfs', { breadth: 2, k: 1, temperature: 0 }],
    ] as const) {
      const seqPolicy = new ScriptedPolicy(problemsMap(...problems));
      const seq = await solveMany(problems, {
        task,
        strategy,
        settings,
        batching: 'sequential',
        models: { policy: seqPolicy, value: new ScriptedValue(values) },
      });
      const lockPolicy = new ScriptedPolicy(problemsMap(...problems));
      const value = new ScriptedValue(values);
      const lock = await solveMany(problems, { task, strategy, settings, batching: 'lockstep', models: { policy: lockPolicy, value } });
      expect(
        lock.results.map((r) => r.answer),
        strategy,
      ).toEqual(seq.results.map((r) => r.answer));
      expect(lock.results.map((r) => r.usage.calls)).toEqual(seq.results.map((r) => r.usage.calls));
      expect(lock.results.map((r) => r.usage.completionTokens)).toEqual(seq.results.map((r) => r.usage.completionTokens));
      // One backend call carries the requests of all six problems.
      expect(lockPolicy.calls).toBe(seqPolicy.calls / problems.length);
      expect(Math.max(...lockPolicy.batchSizes)).toBeGreaterThanOrEqual(problems.length);
      expect(lock.lockstep!.mergedCalls.generate).toBeLessThan(lock.lockstep!.laneCalls.generate);
    }
  });

  it('lockstep is deterministic with seeded sampling (MCTS)', async () => {
    const run = async () => {
      const policy = new ScriptedPolicy(problemsMap(...problems));
      const r = await solveMany(problems, {
        task,
        strategy: 'mcts',
        settings: { simulations: 6, children: 2 },
        seed: 9,
        models: { policy, value: new ScriptedValue(values) },
      });
      return { answers: r.results.map((x) => x.answer), visits: r.results.map((x) => x.graph.root.visits), batches: policy.batchSizes };
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.answers.every((x) => x === '7')).toBe(true);
  });

  it('merges calls that differ only in seed, caller or option order, and keeps other options apart', async () => {
    const calls: { prompts: string[]; options: GenerateOptions }[] = [];
    const echo: Policy = {
      id: 'echo',
      capabilities: { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 64 },
      generate: async (requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> => {
        calls.push({ prompts: requests.map((r) => r.prompt ?? ''), options });
        return requests.map((r) => [
          { text: `${r.prompt}!`, finishReason: 'stop' as const, usage: { promptTokens: 1, completionTokens: 1 } },
        ]);
      },
    };
    const lockstep = new Lockstep({ policy: echo });
    const lanes = Array.from({ length: 4 }, () => lockstep.join());
    const options: GenerateOptions[] = [
      { temperature: 0, maxTokens: 8, stop: ['\n'], seed: 1, caller: 'a' },
      { stop: ['\n'], maxTokens: 8, temperature: 0, seed: 2 },
      { temperature: 0.5, maxTokens: 8, stop: ['\n'] },
      { temperature: 0, maxTokens: 8, stop: [';'] },
    ];
    const out = await Promise.all(lanes.map((l, i) => l.models.policy.generate([{ prompt: `p${i}` }], options[i])));
    lanes.forEach((l) => l.leave());
    expect(out.map((c) => c[0][0].text)).toEqual(['p0!', 'p1!', 'p2!', 'p3!']);
    expect(calls.map((c) => c.prompts).sort()).toEqual([['p0', 'p1'], ['p2'], ['p3']]);
    expect(calls.find((c) => c.prompts.length === 2)!.options.seed).toBe(1); // the first lane's seed
  });

  it('concurrent mode runs problems at once and keeps input order', async () => {
    const policy = new ScriptedPolicy(problemsMap(...problems));
    const r = await solveMany(problems, { task, strategy: 'cot', batching: 'concurrent', concurrency: 3, models: { policy } });
    expect(r.results.map((x) => x.problemId)).toEqual(problems.map((p) => p.id));
  });

  it('a failing problem fails the whole call with its error (no hang)', async () => {
    const broken = { ...problems[0], id: 'unknown-to-policy' };
    const policy = new LegalUniformPolicy(0);
    // attach() runs for every problem, so this works; a task without legalSteps does not.
    const noLegal = { ...task, legalSteps: undefined };
    await expect(solveMany([broken], { task: noLegal, strategy: 'cot', models: { policy } })).rejects.toThrow(/legalSteps/);
  });
});

describe('the legal-uniform policy', () => {
  it('proposes only legal steps, reads prompts back for plain and chat, and is reproducible', async () => {
    const { problem } = trapWorld();
    const p = new LegalUniformPolicy(1);
    p.attach(task, problem);
    const [cs] = await p.generate([{ prompt: task.renderPlain(problem, ['b']) }], { n: 16, temperature: 1, seed: 4 });
    for (const c of cs) expect(['b1', 'b2']).toContain(c.text);
    expect(new Set(cs.map((c) => c.text)).size).toBe(2);
    expect(cs.every((c) => c.finishReason === 'eos')).toBe(true);
    const [chat] = await p.generate([{ messages: task.renderChat(problem, ['a']) }], { n: 4, seed: 4 });
    for (const c of chat) expect(['a1', 'a2']).toContain(c.text);
    const [again] = await p.generate([{ prompt: task.renderPlain(problem, ['b']) }], { n: 16, temperature: 1, seed: 4 });
    expect(again.map((c) => c.text)).toEqual(cs.map((c) => c.text));
    await expect(p.generate([{ prompt: 'Qnobody|' }])).rejects.toThrow(/not given/);
  });

  it('drives every strategy as a model-free baseline (rule verifier, no answer key)', async () => {
    const rules = makeTreeTask(false);
    const { problem } = trapWorld();
    for (const strategy of ['tot-dfs', 'mcts', 'best-of-n', 'beam']) {
      const r = await solve(problem, {
        task: rules,
        strategy,
        settings: strategy === 'mcts' ? { simulations: 16, qModel: 'verifier' } : strategy === 'beam' ? { scorer: 'verifier' } : {},
        models: { policy: new LegalUniformPolicy(3) },
        seed: 5,
        allowGroundTruth: false,
      });
      expect(r.answer, strategy).toBe('7');
      expect(r.trace!.usedGroundTruth).toBe(false);
    }
  });
});
