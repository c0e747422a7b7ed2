import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { isRlmkitError } from '../../src/core/errors.js';
import { solve } from '../../src/reasoning/solve.js';
import { strategies } from '../../src/reasoning/strategies/index.js';
import { readTrace, validateTrace, writeTrace } from '../../src/reasoning/tracer.js';
import { renderTrace, renderFinalPath } from '../../src/reasoning/render.js';
import { TraceSchema } from '../../src/reasoning/trace.js';
import { linearise } from '../../src/reasoning/operators/restructure.js';
import { makeTreeTask, problemsMap, randomValues, randomWorld, ScriptedPolicy, ScriptedValue, trapWorld } from './fixtures.js';

const task = makeTreeTask();

describe('budgets', () => {
  it('are never exceeded, and every strategy returns its best answer so far (property)', async () => {
    const names = strategies.map((s) => s.name);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom(...names),
        fc.record(
          {
            tokens: fc.integer({ min: 1, max: 400 }),
            calls: fc.integer({ min: 1, max: 12 }),
            expansions: fc.integer({ min: 1, max: 10 }),
            evalCalls: fc.integer({ min: 1, max: 6 }),
            completionTokens: fc.integer({ min: 1, max: 60 }),
          },
          { requiredKeys: [] },
        ),
        async (seed, name, budget) => {
          const rng = new Rng(seed);
          const problem = randomWorld(rng, `b${seed}`);
          const r = await solve(problem, {
            task,
            strategy: name,
            seed,
            budget,
            allowGroundTruth: true,
            models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(randomValues(rng, problem)) },
          });
          const u = r.usage;
          if (budget.tokens !== undefined) expect(u.promptTokens + u.completionTokens).toBeLessThanOrEqual(budget.tokens);
          if (budget.completionTokens !== undefined) expect(u.completionTokens).toBeLessThanOrEqual(budget.completionTokens);
          if (budget.calls !== undefined) expect(u.calls).toBeLessThanOrEqual(budget.calls);
          if (budget.expansions !== undefined) expect(u.expansions).toBeLessThanOrEqual(budget.expansions);
          if (budget.evalCalls !== undefined) expect(u.evalCalls).toBeLessThanOrEqual(budget.evalCalls);
          expect(r.stopReason).toMatch(/^(done|budget:(tokens|completionTokens|calls|expansions|evalCalls))$/);
          // Anytime: an answer, when given, is one the search really reached.
          if (r.answer !== null)
            expect(
              r.graph.nodes.some((n) => n.answer === r.answer) ||
                r.graph.nodes.some((n) => n.nested?.nodes.some((m) => m.answer === r.answer)),
            ).toBe(true);
          validateTrace(JSON.parse(JSON.stringify(r.trace)));
        },
      ),
      { numRuns: 120 },
    );
  });

  it('a time budget stops a slow search and still answers from what it found', async () => {
    const rng = new Rng(5);
    const problem = randomWorld(rng, 'deep', 10, 3);
    const policy = new ScriptedPolicy(problemsMap(problem), {}, { delayMs: 30 });
    const t0 = performance.now();
    const r = await solve(problem, {
      task,
      strategy: 'mcts',
      settings: { simulations: 1000, children: 3 },
      budget: { wallMs: 200 },
      models: { policy, value: new ScriptedValue(randomValues(rng, problem)) },
    });
    const took = performance.now() - t0;
    expect(r.stopReason).toBe('budget:time');
    expect(took).toBeLessThan(200 + 150);
    expect(r.usage.modelMs).toBeLessThanOrEqual(r.usage.wallMs + 1);
    const reached = r.graph.nodes.filter((n) => n.terminal && n.answer !== null && !n.pruned);
    if (reached.length > 0) expect(r.answer).not.toBeNull();
  });

  it('counts time inside model calls apart from the framework time', async () => {
    const { problem } = trapWorld();
    const r = await solve(problem, {
      task,
      strategy: 'cot',
      models: { policy: new ScriptedPolicy(problemsMap(problem), {}, { delayMs: 25 }) },
    });
    expect(r.usage.calls).toBe(2);
    expect(r.usage.modelMs).toBeGreaterThanOrEqual(45);
    expect(r.usage.modelMs).toBeLessThanOrEqual(r.usage.wallMs);
  });

  it('rejects a malformed budget as a usage error', async () => {
    const { problem } = trapWorld();
    const e = await solve(problem, {
      task,
      strategy: 'cot',
      budget: { tokens: -5 },
      models: { policy: new ScriptedPolicy(problemsMap(problem)) },
    }).catch((x) => x);
    expect(isRlmkitError(e)).toBe(true);
  });
});

describe('traces', () => {
  it('validate against the schema and round-trip through a file', async () => {
    const { problem, values } = trapWorld();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-trace-'));
    for (const s of strategies) {
      const r = await solve(problem, {
        task,
        strategy: s.name,
        allowGroundTruth: true,
        journey: true,
        models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(values) },
      });
      const trace = r.trace!;
      expect(TraceSchema.safeParse(trace).success, s.name).toBe(true);
      const file = path.join(dir, `${s.name}.json`);
      writeTrace(file, trace);
      expect(readTrace(file)).toEqual(trace);
      expect(trace.final.answer).toBe(r.answer);
      if (trace.final.nodeId) expect(trace.final.path[trace.final.path.length - 1]).toBe(trace.final.nodeId);
      expect(trace.usage.calls).toBe(r.usage.calls);
      const text = renderTrace(trace);
      expect(text.split('\n')[0]).toContain('(root)');
      if (r.answer) expect(renderFinalPath(trace).length).toBeGreaterThan(0);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reading a broken trace is an input error naming the problem', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-trace-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ version: 1, nodes: [] }));
    const e = (() => {
      try {
        readTrace(file);
      } catch (x) {
        return x as Error;
      }
    })();
    expect(isRlmkitError(e)).toBe(true);
    expect(e!.message).toMatch(/not a valid rlmkit trace/);
    fs.writeFileSync(file, '{"truncated');
    expect(() => readTrace(file)).toThrow(/not JSON/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('renders graphs with multi-parent nodes once, referenced from other parents', async () => {
    const { problem } = {
      problem: {
        id: 'vote',
        question: 'v',
        answer: '0.5',
        data: { tree: { '': ['x', 'y', 'z'] }, leaves: { x: '1/2', y: '0.5', z: '3' } },
      },
    };
    const r = await solve(problem, {
      task,
      strategy: 'self-consistency',
      settings: { n: 3 },
      models: { policy: new ScriptedPolicy(problemsMap(problem)) },
    });
    const text = renderTrace(r.trace!);
    expect(text).toMatch(/→ n\d+/);
  });

  it('Journey-Learning linearisation walks dead ends and backtracks before the final path', async () => {
    const { problem } = trapWorld();
    const r = await solve(problem, {
      task,
      strategy: 'tot-dfs',
      settings: { k: 2, scorer: 'none', temperature: 0.5 },
      allowGroundTruth: true,
      journey: true,
      models: { policy: new ScriptedPolicy(problemsMap(problem), {}, { rotate: false }) },
    });
    const j = r.journey!;
    expect(j.map((s) => s.kind)).toEqual(['dead-end', 'dead-end', 'backtrack', 'step', 'step']);
    expect(j.filter((s) => s.kind === 'step').map((s) => s.text)).toEqual(['b', 'b1']);
    expect(r.trace!.operators.some((o) => o.op === 'restructure')).toBe(true);
    expect(linearise(r.graph.pathTo(r.node!)).length).toBe(j.length);
  });
});
