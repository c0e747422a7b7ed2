/** Importing the engine does not load onnxruntime-node; creating an ONNX sampler does. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('onnxruntime-node is loaded lazily', () => {
  it('is absent after importing the engine index and present after createOnnxSampler', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((p) => p.includes('onnxruntime-node'));
      const engine = await import('./src/engine/index.ts');
      const before = loaded();
      const cfg = engine.validateModelConfig({ vocabSize: 8, dModel: 16, nLayers: 1, nHeads: 2, dFF: 16, maxSeqLen: 8 });
      const s = await engine.createOnnxSampler(engine.initHostWeights(cfg, 1), cfg, { threads: 1 });
      const [r] = await s.sample([[1, 2]], { maxNewTokens: 2, temperature: 0 });
      s.dispose();
      console.log(JSON.stringify({ before, after: loaded(), tokens: r.tokens.length }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
    });
    const res = JSON.parse(out.trim().split('\n').pop()!);
    expect(res).toEqual({ before: false, after: true, tokens: 2 });
  });
});
