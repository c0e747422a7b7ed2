/**
 * Choosing the training engine: `model.engine` in recipes and `rlmkit lm train --engine`. Both
 * engines train the same step up to float32 rounding, so a run on each ends close but not bitwise
 * equal, which shows the choice reached the trainer; a bad value is a usage error (exit 2).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/index.js';
import {
  LlamaModel,
  Trainer,
  initEngine,
  maskedCrossEntropy,
  parseTrainEngine,
  presetConfig,
  readSafetensors,
  scopedTrainEngine,
  withTrainEngine,
} from '../../src/engine/index.js';
import { runCliAsync } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-engine-option-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function maxAbsDiff(a: string, b: string): { max: number; identical: boolean } {
  const x = readSafetensors(a).tensors;
  const y = readSafetensors(b).tensors;
  let max = 0;
  let identical = true;
  expect([...x.keys()].sort()).toEqual([...y.keys()].sort());
  expect(x.size).toBeGreaterThan(0);
  for (const [name, t] of x) {
    const u = y.get(name)!.data;
    t.data.forEach((v, i) => {
      max = Math.max(max, Math.abs(v - u[i]));
      if (v !== u[i]) identical = false;
    });
  }
  return { max, identical };
}

describe('training engine option', () => {
  it('withTrainEngine sets the default of the Trainers created inside it, only there', async () => {
    await initEngine();
    const cfg = presetConfig('tiny', { vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 8 });
    const make = (engine?: 'onnx' | 'jax') =>
      new Trainer(LlamaModel.init(cfg, 0), { miniBatchRows: 2, batchSize: 2, seqLen: 4, lossFn: maskedCrossEntropy, engine } as never);
    const outside = make();
    expect(outside.engine).toBe('onnx');
    const inside = await withTrainEngine('jax', async () => {
      await Promise.resolve();
      expect(scopedTrainEngine()).toBe('jax');
      return [make(), make('onnx')];
    });
    expect(inside.map((t) => t.engine)).toEqual(['jax', 'onnx']);
    expect(scopedTrainEngine()).toBeUndefined();
    for (const t of [outside, ...inside]) t.dispose();
    let message = '';
    try {
      parseTrainEngine('tpu', 'model.engine');
    } catch (e) {
      if (isRlmkitError(e)) message = e.message;
    }
    expect(message).toBe('model.engine must be "onnx" or "jax", got "tpu"');
  }, 120_000);

  it('recipes: model.engine picks the engine of the run, and a bad value is a usage error', async () => {
    const small = ['sft.steps=3', 'sft.batch_size=4', 'model.d_model=16', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=32'];
    const run = async (engine: string) =>
      runCliAsync([
        'train',
        '--config',
        'recipes/game24-sft.yaml',
        '--quiet',
        ...[...small, `run.root=${path.join(dir, engine)}`, `model.engine=${engine}`].flatMap((s) => ['--set', s]),
      ]);
    const [onnx, jax] = [await run('onnx'), await run('jax')];
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(jax.code, jax.stderr).toBe(0);
    const policy = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').pop()!).checkpoints.policy as string;
    const d = maxAbsDiff(policy(onnx), policy(jax));
    expect(d.identical).toBe(false);
    expect(d.max).toBeLessThan(1e-3);

    const bad = await run('tpu');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model\.engine/);
    expect(bad.stderr).toMatch(/onnx/);
  }, 300_000);

  it('lm train --engine onnx|jax trains with that engine; anything else is refused', async () => {
    const data = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(
      data,
      Array.from({ length: 8 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, response: `${i + 1}` })).join('\n') + '\n',
    );
    const tiny = ['--set', 'd_model=16', '--set', 'n_layers=1', '--set', 'n_heads=2', '--set', 'd_ff=32', '--set', 'max_seq_len=16'];
    const train = (engine: string) =>
      runCliAsync(
        ['lm', 'train', '--data', data, '--steps', '3', '--batch-size', '4', '--run', engine, '--engine', engine, '--json', ...tiny],
        {
          cwd: dir,
        },
      );
    const onnx = await train('onnx');
    const jax = await train('jax');
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(jax.code, jax.stderr).toBe(0);
    const file = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').pop()!).checkpoint as string;
    const d = maxAbsDiff(file(onnx), file(jax));
    expect(d.identical).toBe(false);
    expect(d.max).toBeLessThan(1e-3);
    expect(fs.readFileSync(path.join(dir, 'runs', 'jax', 'config.yaml'), 'utf8')).toMatch(/engine: jax/);

    const bad = await train('tpu');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--engine/);
    expect(bad.stderr).toMatch(/onnx, jax|onnx.*jax/);
  }, 300_000);
});
