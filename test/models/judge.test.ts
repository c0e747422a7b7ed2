import { describe, expect, it } from 'vitest';
import { LlmJudge, parseJudgeScore } from '../../src/models/judge.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';

describe('parseJudgeScore', () => {
  const cases: [string, number | null][] = [
    ['The reasoning is sound.\nScore: 8/10', 0.8],
    ['**Score:** 7 / 10', 0.7],
    ['I would give it 3 out of 10.', 0.3],
    ['Rating: 4/5', 0.8],
    ['score = 0.25', 0.25],
    ['Final verdict: \\boxed{9}', 0.9],
    ['Score: 6/10 at first, but after checking step 2, Score: 2/10', 0.2],
    ['The answer is incorrect.', 0],
    ['The answer is not correct.', 0],
    ['Yes, this step is correct.', 1],
    ['7', 0.7],
    ['Score: 85', 0.85],
    ['Score: 12/10', 1],
    ['I cannot tell.', null],
    ['', null],
  ];
  for (const [text, want] of cases) {
    it(`reads ${JSON.stringify(text)}`, () => {
      const got = parseJudgeScore(text);
      if (want === null) expect(got).toBeNull();
      else expect(got).toBeCloseTo(want, 6);
    });
  }
});

/** A judge policy that answers from a script keyed by what the prompt asks about. */
class ScriptedJudge implements Policy {
  readonly id = 'scripted';
  readonly capabilities = { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: true, maxBatch: 64 };
  seen: GenerateRequest[] = [];
  constructor(private readonly answer: (prompt: string, j: number) => string) {}
  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    this.seen.push(...requests);
    return requests.map((r) => {
      const text = r.messages ? r.messages[0].content : r.prompt!;
      return Array.from({ length: o.n ?? 1 }, (_, j) => ({
        text: this.answer(text, j),
        finishReason: 'eos' as const,
        usage: { promptTokens: 1, completionTokens: 1 },
      }));
    });
  }
}

describe('LlmJudge', () => {
  const sol = { prompt: 'What is 2+3?', steps: ['2+3=5', 'so the answer is 5'], answer: '5' };
  const wrong = { prompt: 'What is 2+3?', steps: ['2+3=6'], answer: '6' };

  it('scores outcomes from the verdicts, in order, as chat when the policy has chat', async () => {
    const p = new ScriptedJudge((t) => (t.includes('Final answer: 5') ? 'Looks right. Score: 9/10' : 'Wrong sum. Score: 1/10'));
    const judge = new LlmJudge(p);
    expect(await judge.outcome([sol, wrong])).toEqual([0.9, 0.1]);
    expect(p.seen[0].messages?.[0].role).toBe('user');
  });

  it('scores each step given the steps before it and aggregates process scores by the minimum', async () => {
    const p = new ScriptedJudge((t) =>
      /judge this one\): 2\+3=6/.test(t) ? 'Score: 0/10' : /judge this one\): 2\+3=5/.test(t) ? 'Score: 10/10' : 'Score: 6/10',
    );
    const judge = new LlmJudge(p, { kind: 'process' });
    expect(await judge.process([sol, wrong])).toEqual([[1, 0.6], [0]]);
    expect(await judge.outcome([sol, wrong])).toEqual([0.6, 0]);
  });

  it('averages several verdicts and counts unparseable ones at the fallback', async () => {
    const p = new ScriptedJudge((_t, j) => (j === 0 ? 'Score: 10/10' : j === 1 ? 'no idea' : 'Score: 4/10'));
    const judge = new LlmJudge(p, { samples: 3, fallback: 0.5 });
    const [s] = await judge.outcome([sol]);
    expect(s).toBeCloseTo((1 + 0.5 + 0.4) / 3, 9);
    expect(judge.unparsed).toBe(1);
  });
});
