import { describe, expect, it } from 'vitest';
import { RlmkitError } from '../../src/core/errors.js';
import { parseModelSpec } from '../../src/models/spec.js';

describe('--model spec parser', () => {
  it('reads every documented form', () => {
    expect(parseModelSpec('embedded:runs/x/ck.safetensors?engine=jax&threads=1')).toEqual({
      kind: 'embedded',
      path: 'runs/x/ck.safetensors',
      options: { engine: 'jax', threads: 1 },
    });
    expect(parseModelSpec('runs/x/ck.safetensors')).toMatchObject({ kind: 'embedded', path: 'runs/x/ck.safetensors' });
    expect(parseModelSpec('gguf:m.gguf?threads=2&parallel=3&context=128')).toEqual({
      kind: 'gguf',
      path: 'm.gguf',
      options: { threads: 2, parallel: 3, contextSize: 128 },
    });
    expect(parseModelSpec('/models/q.gguf')).toMatchObject({ kind: 'gguf', path: '/models/q.gguf' });
    expect(parseModelSpec('http://127.0.0.1:8000/v1#qwen2.5-0.5b?api=chat')).toEqual({
      kind: 'http',
      model: 'qwen2.5-0.5b',
      baseURL: 'http://127.0.0.1:8000/v1',
      options: { api: 'chat' },
    });
    expect(parseModelSpec('openai:gpt-4o-mini')).toEqual({ kind: 'http', model: 'gpt-4o-mini', options: {} });
    expect(parseModelSpec('openai:meta/llama@http://10.0.0.1:8000/v1?retries=4')).toEqual({
      kind: 'http',
      model: 'meta/llama',
      baseURL: 'http://10.0.0.1:8000/v1',
      options: { maxRetries: 4 },
    });
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['http://127.0.0.1:8000/v1', /needs the model name after "#"/],
    ['http://127.0.0.1:8000/v1#', /model name after "#" is empty/],
    ['openai:', /model name is empty/],
    ['embedded:', /checkpoint path is empty/],
    ['embedded:x.safetensors?engine=tpu', /engine must be one of onnx, jax/],
    ['gguf:x.gguf?threads=zero', /threads must be a positive integer/],
    ['gguf:x.gguf?color=red', /unknown option "color"/],
    ['vllm:foo', /unknown kind "vllm:"/],
    ['model.bin', /cannot tell which backend/],
    ['.', /it is a directory/],
  ];
  for (const [spec, why] of bad) {
    it(`rejects ${JSON.stringify(spec)} with a usage error`, () => {
      let err: unknown;
      try {
        parseModelSpec(spec);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RlmkitError);
      expect((err as RlmkitError).kind).toBe('usage');
      expect((err as RlmkitError).message).toMatch(why);
      expect((err as RlmkitError).hint).toMatch(/embedded:<ckpt.safetensors>/);
    });
  }
});
