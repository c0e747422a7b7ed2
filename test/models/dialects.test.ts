/**
 * The dialect layer's pure parts: reading every log-prob shape servers send (OpenAI legacy,
 * llama-server's `content[]` on /v1/completions, vLLM's "token_id:N"), recognising servers from
 * /v1/models, and the request bodies each dialect gets (neutral samplers, stop limits reported as
 * warnings, log-probs asked for to count tokens when a server's usage undercounts n > 1).
 * The bodies below are the documented response shapes of each server.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS, detectDialect, readModelsInfo } from '../../src/models/dialects/dialect.js';
import { parseChoices, parseUsage, readLogprobs } from '../../src/models/dialects/parse.js';
import { buildBody } from '../../src/models/dialects/request.js';
import { parseModelSpec } from '../../src/models/spec.js';

describe('log-prob shapes', () => {
  it('reads OpenAI legacy completions log-probs', () => {
    expect(
      readLogprobs({ tokens: ['1', '+', '2'], token_logprobs: [-0.1, -0.2, -0.3], top_logprobs: null, text_offset: [0, 1, 2] }),
    ).toEqual({ logprobs: [-0.1, -0.2, -0.3], tokens: ['1', '+', '2'] });
  });

  it("reads llama-server's content[] (on /v1/completions too), with token ids", () => {
    const lp = {
      content: [
        { id: 13, token: '1', bytes: [49], logprob: -0.5, top_logprobs: [] },
        { id: 8, token: '+', bytes: [43], logprob: -1.25, top_logprobs: [] },
      ],
    };
    expect(readLogprobs(lp)).toEqual({ logprobs: [-0.5, -1.25], tokens: ['1', '+'], tokenIds: [13, 8] });
    const [c] = parseChoices({ choices: [{ index: 0, text: '1+', finish_reason: 'length', logprobs: lp }] }, false);
    expect(c).toMatchObject({ text: '1+', finish: 'length', logprobs: [-0.5, -1.25], tokenIds: [13, 8] });
    expect(c.stopReason).toBeUndefined();
  });

  it("reads vLLM's token_id:N tokens, token_ids and stop_reason", () => {
    expect(readLogprobs({ tokens: ['token_id:5', 'token_id:7'], token_logprobs: [-1, -2] })).toEqual({
      logprobs: [-1, -2],
      tokens: ['token_id:5', 'token_id:7'],
      tokenIds: [5, 7],
    });
    const cs = parseChoices(
      {
        choices: [
          { index: 1, text: 'b', finish_reason: 'stop', stop_reason: '\n', token_ids: [9] },
          { index: 0, text: 'a', finish_reason: 'stop', stop_reason: null },
        ],
      },
      false,
    );
    expect(cs.map((c) => [c.index, c.stopReason, c.tokenIds])).toEqual([
      [1, '\n', [9]],
      [0, null, undefined],
    ]);
  });

  it('reads chat choices and usage', () => {
    const body = {
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hi' },
          finish_reason: 'stop',
          logprobs: { content: [{ token: 'hi', logprob: -0.1 }] },
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 1 },
    };
    expect(parseChoices(body, true)[0]).toMatchObject({ text: 'hi', logprobs: [-0.1], tokens: ['hi'] });
    expect(parseUsage(body)).toEqual({ promptTokens: 5, completionTokens: 1 });
    expect(parseUsage({})).toEqual({});
  });
});

describe('server recognition', () => {
  it('tells servers apart from /v1/models', () => {
    const url = 'http://127.0.0.1:8000/v1';
    const listing = (owned_by: string, extra: Record<string, unknown> = {}) => ({
      object: 'list',
      data: [{ id: 'm', object: 'model', owned_by, ...extra }],
    });
    expect(detectDialect(url, readModelsInfo(listing('vllm', { max_model_len: 4096 }), 'm'))).toBe('vllm');
    expect(readModelsInfo(listing('vllm', { max_model_len: 4096 }), 'm').contextTokens).toBe(4096);
    expect(detectDialect(url, readModelsInfo(listing('sglang'), 'm'))).toBe('sglang');
    const llamaServer = {
      models: [{ name: 'm' }],
      object: 'list',
      data: [{ id: 'm', object: 'model', owned_by: 'llamacpp', meta: { n_ctx_train: 80 } }],
    };
    expect(detectDialect(url, readModelsInfo(llamaServer, 'm'))).toBe('llama.cpp');
    expect(readModelsInfo(llamaServer, 'm').contextTokens).toBe(80);
    expect(detectDialect(url, readModelsInfo(listing('me'), 'm'))).toBe('llama-cpp-python');
    expect(detectDialect(url, readModelsInfo(listing('library'), 'm'))).toBe('ollama');
    expect(detectDialect(url, readModelsInfo(listing('rlmkit:embedded'), 'm'))).toBe('rlmkit');
    expect(detectDialect('https://api.openai.com/v1', null)).toBe('openai');
    expect(detectDialect(url, readModelsInfo(listing('someone'), 'm'))).toBe('generic');
    expect(detectDialect(url, null)).toBe('generic');
  });
});

describe('request bodies per dialect', () => {
  const stops = ['\n', 'a', 'b', 'c', 'd', 'e'];

  it('OpenAI: at most 4 stops, top_k dropped, both said in warnings', () => {
    const b = buildBody(DIALECTS.openai, 'm', { stop: stops, topK: 5, temperature: 0 }, 1, false, DIALECTS.openai.maxStops);
    expect(b.body.stop).toEqual(stops.slice(0, 4));
    expect(b.body.top_k).toBeUndefined();
    expect(b.warnings.join('\n')).toMatch(/at most 4 stop sequences.*\["d","e"\] applied to the text afterwards/);
    expect(b.warnings.join('\n')).toMatch(/top_k=5 dropped/);
  });

  it('llama.cpp family: every stop, neutral samplers, explicit temperature and top_p', () => {
    const b = buildBody(DIALECTS['llama-cpp-python'], 'm', { stop: stops }, 1, false, null);
    expect(b.body).toMatchObject({ stop: stops, temperature: 1, top_p: 1, top_k: 0, min_p: 0, repeat_penalty: 1 });
    expect(b.warnings).toEqual([]);
    expect(buildBody(DIALECTS.vllm, 'm', { topK: 20 }, 1, true, null).body).toMatchObject({ top_k: 20, min_p: 0, repetition_penalty: 1 });
  });

  it('asks for log-probs to count tokens when the server undercounts n > 1', () => {
    expect(buildBody(DIALECTS['llama.cpp'], 'm', {}, 4, false, null)).toMatchObject({ countOnly: true, body: { logprobs: 1, n: 4 } });
    expect(buildBody(DIALECTS['llama.cpp'], 'm', {}, 4, true, null)).toMatchObject({
      countOnly: true,
      body: { logprobs: true, top_logprobs: 1 },
    });
    expect(buildBody(DIALECTS.vllm, 'm', {}, 4, false, null).countOnly).toBe(false);
    expect(buildBody(DIALECTS['llama.cpp'], 'm', {}, 1, false, null).body.logprobs).toBeUndefined();
  });

  it('spec options declare dialect, chat format, template and tokenizer', () => {
    expect(
      parseModelSpec('http://127.0.0.1:8080/v1#g24?dialect=llama.cpp&chat=false&template=/m/tokenizer_config.json&tokenizer=/m'),
    ).toEqual({
      kind: 'http',
      model: 'g24',
      baseURL: 'http://127.0.0.1:8080/v1',
      options: { dialect: 'llama.cpp', chat: false, template: '/m/tokenizer_config.json', tokenizer: '/m' },
    });
    expect(() => parseModelSpec('http://127.0.0.1:8080/v1#g24?dialect=tgi')).toThrow(/option dialect must be one of/);
    expect(() => parseModelSpec('http://127.0.0.1:8080/v1#g24?chat=maybe')).toThrow(/option chat must be true or false/);
  });
});
