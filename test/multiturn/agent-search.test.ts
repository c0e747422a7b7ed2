/**
 * Search over multi-turn environments (src/reasoning/agent-env.ts) with tool calls as steps: a
 * policy that makes a slip half the time (it copies an operand wrong) reaches the right answer far
 * more often with best-of-N, beam search or MCTS than with one episode, none of them using the
 * answer key; with the answer key allowed (data generation) MCTS picks the rewarded episode.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';
import { agentSearch } from '../../src/reasoning/agent-env.js';
import { calcToolTask, type CalcProblem } from '../../src/tasks/multiturn/calculator-task.js';

/**
 * Acts like a calc-tool solver that slips: reads the transcript, and for its next action writes the
 * solver's action, except that with probability `slip` a tool call gets one digit wrong (any digit). Answers
 * copy the last calculator result, as a trained policy does. Log-probs: -0.1 per character when
 * right, -1 when it slipped (a confident policy is less sure of its slips).
 */
class SlippingPolicy implements Policy {
  readonly id = 'slipping-solver';
  readonly capabilities = { logprobs: true, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 64 };
  constructor(
    private readonly problems: CalcProblem[],
    private readonly slip: number,
  ) {}
  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    const rng = new Rng(o.seed ?? 0);
    return requests.map((r) => {
      const prompt = r.prompt!;
      const p = this.problems.find((x) => prompt.startsWith(`${x.question}|`))!;
      const lines = prompt
        .slice(p.question.length + 1)
        .split('\n')
        .filter(Boolean);
      const acts = lines.filter((l) => !l.startsWith('> '));
      const lastResult = [...lines]
        .reverse()
        .find((l) => l.startsWith('> '))
        ?.slice(2);
      return Array.from({ length: o.n ?? 1 }, () => {
        let text = calcToolTask.solveTurns!(p)![acts.length] ?? 'answer: ?';
        let lp = -0.1;
        if (text.startsWith('answer:') && lastResult) text = `answer: ${lastResult}`;
        else if (text.startsWith('calculator:') && rng.next() < this.slip) {
          const digits = [...text.matchAll(/\d/g)].map((m) => m.index!);
          const at = digits[Math.floor(rng.next() * digits.length)];
          text = text.slice(0, at) + String((Number(text[at]) + 1 + Math.floor(rng.next() * 9)) % 10) + text.slice(at + 1);
          lp = -1;
        }
        return {
          text,
          logprobs: [...text].map(() => lp),
          finishReason: 'stop' as const,
          usage: { promptTokens: prompt.length, completionTokens: text.length },
        };
      });
    });
  }
}

describe('agent search over tool-using episodes', () => {
  it('best-of-N, beam and MCTS beat a single episode without the answer key', async () => {
    const problems = (await calcToolTask.problems({ split: 'test', limit: 12 })) as CalcProblem[];
    const policy = new SlippingPolicy(problems, 0.5);
    const solved: Record<string, number> = { single: 0, 'best-of-n': 0, beam: 0, mcts: 0 };
    for (const [i, p] of problems.entries()) {
      solved.single += (await agentSearch(calcToolTask, p, policy, { strategy: 'best-of-n', n: 1, seed: i })).correct ? 1 : 0;
      solved['best-of-n'] += (await agentSearch(calcToolTask, p, policy, { strategy: 'best-of-n', n: 8, seed: i })).correct ? 1 : 0;
      const beam = await agentSearch(calcToolTask, p, policy, { strategy: 'beam', width: 2, expand: 3, seed: i });
      solved.beam += beam.correct ? 1 : 0;
      expect(beam.envSteps).toBeGreaterThan(0);
      const mcts = await agentSearch(calcToolTask, p, policy, { strategy: 'mcts', simulations: 10, expand: 2, seed: i });
      solved.mcts += mcts.correct ? 1 : 0;
      expect(mcts.usedGroundTruth).toBe(false);
      expect(mcts.episodes).toBe(10);
    }
    // one episode survives two 50% slips a quarter of the time
    expect(solved.single).toBeLessThanOrEqual(7);
    expect(solved.beam).toBeGreaterThanOrEqual(solved.single + 3); // slips carry lower log-probs: the beam keeps the sure actions
    expect(solved['best-of-n']).toBeGreaterThanOrEqual(solved.single + 3);
    expect(solved.mcts).toBeGreaterThanOrEqual(solved.single + 3);
  }, 120_000);

  it('with the answer key (data generation) MCTS returns a rewarded episode whenever it found one', async () => {
    const problems = (await calcToolTask.problems({ split: 'test', limit: 4 })) as CalcProblem[];
    const policy = new SlippingPolicy(problems, 0.7);
    for (const [i, p] of problems.entries()) {
      const r = await agentSearch(calcToolTask, p, policy, {
        strategy: 'mcts',
        simulations: 12,
        expand: 2,
        seed: i,
        allowGroundTruth: true,
      });
      expect(r.usedGroundTruth).toBe(true);
      expect(r.correct).toBe(r.best!.reward === 1);
      expect(r.best!.transcript.startsWith(`${p.question}|calculator: `)).toBe(true);
    }
  });
});
