/** The embedded backend over a real (random-init) checkpoint and the onnxruntime sampler. */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleOptions, Sampler } from '../../src/engine/sampler-types.js';
import { EmbeddedPolicy, EmbeddedValueModel, readEmbeddedCheckpoint } from '../../src/models/embedded.js';
import { Scheduler } from '../../src/models/scheduler.js';
import { loadPolicy, loadValueModel } from '../../src/models/spec.js';
import { writeTinyCheckpoint } from './embedded-fixture.js';

let policy: EmbeddedPolicy;
let dir: string;
let file: string;
const seen: SampleOptions[] = [];

beforeAll(async () => {
  ({ file, dir } = writeTinyCheckpoint({ seed: 3 }));
  const src = readEmbeddedCheckpoint(file);
  const inner = ((await loadPolicy(`embedded:${file}`)) as EmbeddedPolicy).sampler;
  // A spying sampler: records the options the backend asks for, then delegates.
  const spy: Sampler = {
    kind: inner.kind,
    sample: (p, o) => (seen.push(o), inner.sample(p, o)),
    scoreLogprobs: (s, l) => inner.scoreLogprobs(s, l),
    dispose: () => inner.dispose(),
  };
  policy = new EmbeddedPolicy(spy, src);
});
afterAll(async () => {
  await policy.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('EmbeddedPolicy', () => {
  it('decodes greedily, the same alone or batched with other prompts', async () => {
    const [alone] = await policy.generate([{ prompt: '4 4 6 8|' }], { temperature: 0, maxTokens: 20 });
    const batched = await policy.generate([{ prompt: 'abc' }, { prompt: '4 4 6 8|' }, { prompt: '1+2=' }], {
      temperature: 0,
      maxTokens: 20,
    });
    expect(batched[1][0].text).toBe(alone[0].text);
    expect(batched[1][0].tokenIds).toEqual(alone[0].tokenIds);
    const c = alone[0];
    expect(c.usage).toEqual({ promptTokens: 8, completionTokens: c.tokenIds!.length });
    expect(policy.tokenizer.decode(c.tokenIds!)).toBe(
      c.finishReason === 'eos' || c.finishReason === 'stop' ? c.text + (c.finishReason === 'stop' ? '\n' : '') : c.text,
    );
  });

  it('maps "\\n" (end of step) and other one-token stops onto sampler stop tokens', async () => {
    await policy.generate([{ prompt: 'x' }], { stop: ['\n', '='], maxTokens: 4 });
    const last = seen[seen.length - 1];
    expect(last.stopTokens).toEqual([3, policy.tokenizer.encode('=')[0]]);
  });

  it('ends before a stop sequence, reports it, and keeps the stop tokens in tokenIds', async () => {
    const [[free]] = await policy.generate([{ prompt: 'hello world' }], { temperature: 0, maxTokens: 30 });
    expect(free.text.length).toBeGreaterThan(4);
    const single = free.text[2];
    const [[s1]] = await policy.generate([{ prompt: 'hello world' }], { temperature: 0, maxTokens: 30, stop: [single] });
    expect(s1.text).toBe(free.text.slice(0, free.text.indexOf(single)));
    expect(s1.finishReason).toBe('stop');
    expect(s1.stopSequence).toBe(single);
    expect(s1.tokenIds!.length).toBe(s1.text.length + 1);
    const multi = free.text.slice(3, 5);
    const [[s2]] = await policy.generate([{ prompt: 'hello world' }], { temperature: 0, maxTokens: 30, stop: [multi] });
    expect(s2.text).toBe(free.text.slice(0, free.text.indexOf(multi)));
    expect(s2.stopSequence).toBe(multi);
    expect(s2.tokenIds!.length).toBe(s2.text.length + 2);
  });

  it('returns log-probs that match the sampler scoring the same tokens', async () => {
    const [[c]] = await policy.generate([{ prompt: '12+7=' }], { temperature: 0.8, seed: 5, maxTokens: 12, logprobs: true });
    const prompt = policy.encodePrompt('12+7=');
    const [scored] = await policy.sampler.scoreLogprobs([[...prompt, ...c.tokenIds!]], [prompt.length]);
    expect(c.logprobs).toHaveLength(c.tokenIds!.length);
    c.logprobs!.forEach((lp, i) => expect(lp).toBeCloseTo(scored[i], 3));
  });

  it('samples n completions reproducibly from a seed', async () => {
    const a = await policy.generate([{ prompt: 'ab' }], { n: 4, temperature: 1, seed: 7, maxTokens: 10 });
    const b = await policy.generate([{ prompt: 'ab' }], { n: 4, temperature: 1, seed: 7, maxTokens: 10 });
    expect(a).toEqual(b);
    expect(new Set(a[0].map((c) => c.text)).size).toBeGreaterThan(1);
  });

  it('rejects prompts it cannot encode or that exceed the context with input errors', async () => {
    await expect(policy.generate([{ prompt: 'héllo' }])).rejects.toThrow(/not in the tokenizer's vocabulary/);
    await expect(policy.generate([{ prompt: '1'.repeat(80) }])).rejects.toThrow(/context is 64/);
  });

  it('shares batches across concurrent callers through the scheduler', async () => {
    const s = new Scheduler(policy, { maxWaitMs: 20 });
    const before = seen.length;
    const outs = await Promise.all(
      ['1', '2', '3', '4', '5', '6'].map((p) => s.generate([{ prompt: p }], { temperature: 0, maxTokens: 6, caller: `solver-${p}` })),
    );
    expect(seen.length - before).toBe(1);
    for (const [i, o] of outs.entries())
      expect(o[0][0].text).toBe((await policy.generate([{ prompt: String(i + 1) }], { temperature: 0, maxTokens: 6 }))[0][0].text);
  });
});

describe('engine choice', () => {
  it('gives the same greedy tokens on the jax-js sampler as on the default engine', async () => {
    const jax = (await loadPolicy(`embedded:${file}?engine=jax`)) as EmbeddedPolicy;
    try {
      expect(jax.sampler.kind).toBe('jax');
      const req = [{ prompt: '4 4 6 8|' }, { prompt: 'abc' }, { prompt: '12+7=' }];
      const [a, b] = [
        await jax.generate(req, { temperature: 0, maxTokens: 12 }),
        await policy.generate(req, { temperature: 0, maxTokens: 12 }),
      ];
      expect(a.map((c) => c[0].tokenIds)).toEqual(b.map((c) => c[0].tokenIds));
    } finally {
      await jax.close();
    }
  });
});

describe('EmbeddedValueModel', () => {
  it('returns one value in [-1, 1] per state and refuses checkpoints without a value head', async () => {
    const v = writeTinyCheckpoint({ seed: 4, valueHead: true, dir });
    const vm = (await loadValueModel(v.file)) as EmbeddedValueModel;
    const values = await vm.value(['4 4 6 8|', '4 4 6 8|4+4=8 (6 8 8)', 'a'.repeat(100)]);
    expect(values).toHaveLength(3);
    for (const x of values) expect(Math.abs(x)).toBeLessThanOrEqual(1);
    expect(values[0]).not.toBe(values[1]);
    await vm.close();
    await expect(loadValueModel(file)).rejects.toThrow(/has no value head/);
  });
});
