/**
 * Strategies on the real Game of 24 task (src/tasks): a scripted policy that greedily walks into a
 * losing first move, a value model that knows which states can still reach 24, and the model-free
 * legal-uniform baseline.
 */
import { describe, expect, it } from 'vitest';
import { hashString, Rng } from '../../src/core/rng.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, ValueModel } from '../../src/models/types.js';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { solve, solveMany } from '../../src/reasoning/solve.js';
import { generateGame24, game24Task } from '../../src/tasks/games/game24.js';
import type { NumberGameProblem } from '../../src/tasks/games/number-game.js';

const task = game24Task;
const puzzle: NumberGameProblem = { id: 'game24/t/4468', question: '4 4 6 8', data: { numbers: [4, 4, 6, 8], target: 24 } };

/** Whether 24 can still be reached from (problem, steps), by exhaustive search over legal moves. */
function solvable(p: NumberGameProblem, steps: string[], memo: Map<string, boolean>): boolean {
  const key = `${p.id}|${steps.join(';')}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  let out: boolean;
  const chk = steps.length > 0 ? task.checkStep!(p, steps) : { valid: true, terminal: false, answer: null };
  if (!chk.valid) out = false;
  else if (chk.terminal) out = chk.reason === 'reached the target';
  else out = task.legalSteps!(p, steps).some((s) => solvable(p, [...steps, s], memo));
  memo.set(key, out);
  return out;
}

function parse(prompt: string, problems: NumberGameProblem[]): { p: NumberGameProblem; steps: string[] } {
  const p = problems.find((x) => prompt.startsWith(task.renderPlain(x, [])))!;
  return { p, steps: prompt.slice(task.renderPlain(p, []).length).split('\n').slice(0, -1) };
}

/** Greedy: the first legal move that can NOT reach 24; sampling: all legal moves, rotated. */
class TrapPolicy implements Policy {
  readonly id = 'trap24';
  readonly capabilities = { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 256 };
  private readonly memo = new Map<string, boolean>();
  constructor(private readonly problems: NumberGameProblem[]) {}
  countTokens(t: string) {
    return t.length;
  }
  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    return requests.map((r) => {
      const { p, steps } = parse(r.prompt!, this.problems);
      const legal = task.legalSteps!(p, steps);
      const losing = legal.filter((s) => !solvable(p, [...steps, s], this.memo));
      const order = (o.temperature ?? 1) <= 0 ? [losing[0] ?? legal[0]] : legal;
      const off = new Rng(((o.seed ?? 0) ^ hashString(r.prompt!)) >>> 0).int(0, Math.max(0, order.length - 1));
      return Array.from({ length: o.n ?? 1 }, (_, j) => {
        const step = order[(off + j) % order.length];
        const done = task.checkStep!(p, [...steps, step]).terminal;
        return {
          text: step,
          finishReason: done ? ('eos' as const) : ('stop' as const),
          ...(done ? {} : { stopSequence: '\n' }),
          usage: { promptTokens: r.prompt!.length, completionTokens: step.length + 1 },
        };
      });
    });
  }
}

/** +1 where 24 is still reachable, -1 where it is not. */
class OracleValue implements ValueModel {
  readonly id = 'oracle24';
  private readonly memo = new Map<string, boolean>();
  constructor(private readonly problems: NumberGameProblem[]) {}
  async value(states: string[]): Promise<number[]> {
    return states.map((s) => {
      const { p, steps } = parse(s, this.problems);
      return solvable(p, steps, this.memo) ? 1 : -1;
    });
  }
}

describe('Game of 24', () => {
  it('greedy CoT walks into a losing move; beam search with a value model finds 24', async () => {
    const models = { policy: new TrapPolicy([puzzle]), value: new OracleValue([puzzle]) };
    const greedy = await solve(puzzle, { task, strategy: 'cot', models });
    expect(greedy.correct).toBe(false);
    const beam = await solve(puzzle, { task, strategy: 'beam', settings: { beam_width: 1, k: 40, scorer: 'value' }, models });
    expect(beam.correct).toBe(true);
    expect((await task.verify(beam.answer, puzzle)).correct).toBe(true);
    expect(beam.trace!.checksUsed).toContain('rule-check');
  });

  it('MCTS with the value model as Q model solves it; ToT-BFS too', async () => {
    const models = { policy: new TrapPolicy([puzzle]), value: new OracleValue([puzzle]) };
    const m = await solve(puzzle, { task, strategy: 'mcts', settings: { simulations: 16, children: 8 }, models, seed: 1 });
    expect(m.correct).toBe(true);
    const t = await solve(puzzle, {
      task,
      strategy: 'tot-bfs',
      settings: { breadth: 3, k: 12, scorer: 'value', threshold: 0 },
      models,
      seed: 1,
    });
    expect(t.correct).toBe(true);
  });

  it('the model-free DFS baseline (legal-uniform, 8 candidates, rule checks) solves most generated puzzles', async () => {
    const problems = generateGame24(12, 7);
    const policy = new LegalUniformPolicy(11);
    const r = await solveMany(problems, { task, strategy: 'tot-dfs', settings: { k: 8, scorer: 'none' }, models: { policy }, seed: 3 });
    const solved = r.results.filter((x) => x.correct === true).length;
    // Accepted answers are checked by the rule verifier, so every answer given is right.
    for (const x of r.results) if (x.answer !== null) expect(x.correct).toBe(true);
    expect(solved).toBeGreaterThanOrEqual(6);
    expect(r.results.every((x) => x.trace!.usedGroundTruth === false)).toBe(true);
  });
});
