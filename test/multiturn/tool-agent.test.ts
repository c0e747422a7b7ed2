/**
 * The multi-turn environments driven through an OpenAI-compatible server with native tool calls
 * (src/reasoning/tool-agent.ts) — here `rlmkit serve` on the shipped calc-tool policy: the episodes
 * collected over HTTP (tools declared, tool_calls back, role "tool" results) reach the same
 * outcome per problem as the in-process greedy rollout of the same weights, and the conversation
 * kept as the trajectory is well formed (each tool message answers the call before it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, tokenizerFromSpec } from '../../src/engine/index.js';
import { collectToolEpisodes, openAiToolChat } from '../../src/reasoning/tool-agent.js';
import { buildRegistry } from '../../src/serve/build.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { calcToolTask } from '../../src/tasks/multiturn/calculator-task.js';
import { evaluateEpisodes } from '../../src/training/multiturn/eval.js';
import { CALC_POLICY } from '../serve/serve-process.js';

let server: RunningServer;
beforeAll(async () => {
  const { registry } = await buildRegistry([`calc=embedded:${CALC_POLICY}`]);
  server = await startServer({ registry, port: 0, apiKey: 'k' });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe('environments against an OpenAI-compatible server with tool calls', () => {
  it('collects calc-tool episodes over HTTP with the same per-problem outcomes as the in-process rollout', async () => {
    const problems = await calcToolTask.problems({ split: 'test', limit: 24 });
    const client = openAiToolChat({ baseUrl: `${server.url}/v1`, model: 'calc', apiKey: 'k', maxTokens: 32 });
    const eps = await collectToolEpisodes(calcToolTask, problems, client, { concurrency: 6 });
    const ck = loadCheckpoint(CALC_POLICY);
    const local = await evaluateEpisodes(calcToolTask, problems, [{ weights: ck.weights, config: ck.config }], {
      tok: tokenizerFromSpec(ck.tokenizer),
      maxTurnTokens: 32,
      maxSeqLen: ck.config.maxSeqLen,
      temperature: 0,
    });
    expect(eps.map((e) => (e.correct ? 1 : 0))).toEqual(local.perProblem);
    const solved = eps.filter((e) => e.correct).length;
    expect(solved).toBeGreaterThan(0); // the policy uses the tool to solve some
    for (const e of eps) {
      expect(e.messages[0]).toEqual({ role: 'user', content: problems[eps.indexOf(e)].question });
      expect(e.turns.reduce((n, t) => n + t.toolCalls, 0)).toBeGreaterThanOrEqual(1);
      e.messages.forEach((m, i) => {
        if (m.role !== 'tool') return;
        const prev = e.messages[i - 1];
        expect(prev.role).toBe('assistant');
        expect((prev as { tool_calls?: { id: string }[] }).tool_calls?.map((c) => c.id)).toContain(m.tool_call_id);
        expect(m.content).toMatch(/^-?\d+$/); // the calculator's result, not an error
      });
      if (e.correct) expect(e.messages.at(-1)).toMatchObject({ role: 'assistant', content: `answer: ${e.answer}` });
      expect(e.usage.completionTokens).toBeGreaterThan(0);
    }
  }, 180_000);

  it("a server error reaches the caller with the server's message", async () => {
    const problems = await calcToolTask.problems({ split: 'test', limit: 1 });
    const client = openAiToolChat({ baseUrl: `${server.url}/v1`, model: 'no-such-model', apiKey: 'k' });
    await expect(collectToolEpisodes(calcToolTask, problems, client)).rejects.toThrow(/HTTP 404.*no-such-model/);
    expect(() => openAiToolChat({ baseUrl: 'localhost:1', model: 'm' })).toThrow(/not an http/);
  });
});
