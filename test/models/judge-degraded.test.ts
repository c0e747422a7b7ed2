/**
 * Issue 13, item 12: the judge used inside searches never falls back to a quiet 0.5. A judge call
 * that fails is an error; a search in which no candidate could be scored is an error; a search in
 * which some could not be scored says so in `degraded` (result) and in the trace notes. Before
 * the fix every failure scored 0.5 and best-of-n returned an unranked pick.
 */
import { describe, expect, it } from 'vitest';
import { inputError } from '../../src/core/errors.js';
import { LlmJudge } from '../../src/models/judge.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../../src/models/types.js';
import { solve } from '../../src/reasoning/solve.js';
import { ScriptedPolicy, makeTreeTask, problemsMap, trapWorld } from '../reasoning/fixtures.js';

/** The scripted tree policy, whose answers to judge prompts come from `verdict` (or it throws). */
class JudgedPolicy implements Policy {
  readonly id = 'judged';
  readonly capabilities: Policy['capabilities'];
  private judged = 0;
  constructor(
    private readonly inner: ScriptedPolicy,
    private readonly verdict: (i: number) => string | Error,
  ) {
    this.capabilities = inner.capabilities;
  }
  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    if (!(requests[0].prompt ?? '').includes('Rate from 0 to 10')) return this.inner.generate(requests, o);
    return requests.map(() => {
      const v = this.verdict(this.judged++);
      if (v instanceof Error) throw v;
      return [{ text: v, finishReason: 'stop' as const, usage: { promptTokens: 1, completionTokens: 1 } }];
    });
  }
}

const { problem } = trapWorld();
const task = makeTreeTask();

function run(verdict: (i: number) => string | Error) {
  const policy = new JudgedPolicy(new ScriptedPolicy(problemsMap(problem)), verdict);
  return solve(problem, { task, strategy: 'best-of-n', settings: { n: 4, scorer: 'judge' }, models: { policy }, seed: 1 });
}

describe('no silent judge fallback inside searches', () => {
  it('a judge that cannot read its prompt is an error naming the scorer (an input error: exit 2 / HTTP 400)', async () => {
    const err = (await run(() => inputError('character "P" is not in the vocabulary')).then(
      () => new Error('expected the search to fail'),
      (e: unknown) => e,
    )) as Error & { kind?: string; hint?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/scorer "judge" failed/);
    expect(err.kind).toBe('input');
    expect(err.hint).toMatch(/value or reward model/);
  });

  it('no candidate scored at all is an error, not an unranked pick', async () => {
    await expect(run(() => 'no idea')).rejects.toThrow(/gave no score for any of the \d+ node/);
  });

  it('some candidates unscored: the search goes on and says so in the result and the trace', async () => {
    const r = await run((i) => (i % 2 === 0 ? '7' : 'hmm'));
    expect(r.degraded).toEqual([{ scorer: 'judge', unscored: expect.any(Number), of: expect.any(Number) }]);
    expect(r.degraded![0].unscored).toBeGreaterThan(0);
    expect(r.degraded![0].unscored).toBeLessThan(r.degraded![0].of);
    expect((r.trace!.notes as { degraded?: unknown }).degraded).toEqual(r.degraded);
    // The pick is a scored node; unscored ones rank below it.
    expect(Number.isNaN(r.node!.scores.judge!)).toBe(false);
  });

  it('fully scored searches carry no degraded flag', async () => {
    const r = await run(() => '7');
    expect(r.degraded).toBeUndefined();
  });

  it('LlmJudge: an unparsed verdict is NaN (not scored) unless a fallback is configured', async () => {
    const policy: Policy = {
      id: 'mute',
      capabilities: { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: true, maxBatch: 8 },
      async generate(requests, o = {}) {
        return requests.map(() =>
          Array.from({ length: o.n ?? 1 }, () => ({
            text: 'I cannot tell.',
            finishReason: 'eos' as const,
            usage: { promptTokens: 1, completionTokens: 1 },
          })),
        );
      },
    };
    const sol = { prompt: 'What is 2+3?', steps: ['2+3=5'], answer: '5' };
    const [s] = await new LlmJudge(policy).outcome([sol]);
    expect(Number.isNaN(s)).toBe(true);
    const [p] = await new LlmJudge(policy, { kind: 'process' }).outcome([sol]);
    expect(Number.isNaN(p)).toBe(true);
    expect((await new LlmJudge(policy, { fallback: 0.5 }).outcome([sol]))[0]).toBe(0.5);
  });
});
