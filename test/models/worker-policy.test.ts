/** WorkerPolicy: an embedded model in a worker thread answers exactly as the in-process one. */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPolicy } from '../../src/models/embedded.js';
import { Scheduler } from '../../src/models/scheduler.js';
import { WorkerPolicy } from '../../src/models/worker-policy.js';
import { writeTinyCheckpoint } from './embedded-fixture.js';

let dir: string;
let file: string;
let worker: WorkerPolicy;
let local: EmbeddedPolicy;

beforeAll(async () => {
  ({ file, dir } = writeTinyCheckpoint({ seed: 8 }));
  worker = await WorkerPolicy.start({ file });
  local = await EmbeddedPolicy.load(file);
});
afterAll(async () => {
  await worker?.close();
  await local?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('WorkerPolicy', () => {
  it('returns the same completions as the in-process model, seeded sampling included', async () => {
    const req = [{ prompt: '4 4 6 8|' }, { prompt: 'abc' }];
    for (const o of [
      { temperature: 0, maxTokens: 12 },
      { temperature: 1, seed: 5, n: 3, maxTokens: 12, logprobs: true, stop: ['\n'] },
    ]) {
      expect(await worker.generate(req, o)).toEqual(await local.generate(req, o));
    }
    expect(worker.id).toBe(local.id);
    expect(worker.countTokens('abc')).toBe(3);
  });

  it('carries input errors back across the thread as RlmkitErrors', async () => {
    await expect(worker.generate([{ prompt: 'ünï' }])).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(/not in the tokenizer's vocabulary/),
    });
    await expect(WorkerPolicy.start({ file: `${dir}/missing.safetensors` })).rejects.toThrow(/does not exist/);
  });

  it('serves concurrent callers through a scheduler', async () => {
    const s = new Scheduler(worker, { concurrency: 2, maxBatch: 4 });
    const outs = await Promise.all(
      ['1', '2', '3', '4', '5', '6', '7', '8'].map((p) => s.generate([{ prompt: p }], { temperature: 0, maxTokens: 6 })),
    );
    const direct = await local.generate(
      ['1', '2', '3', '4', '5', '6', '7', '8'].map((prompt) => ({ prompt })),
      { temperature: 0, maxTokens: 6 },
    );
    expect(outs.map((o) => o[0][0].text)).toEqual(direct.map((c) => c[0].text));
  });
});
