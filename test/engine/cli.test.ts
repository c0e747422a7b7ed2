/** `rlmkit lm train` / `rlmkit lm sample` as subprocesses on a tiny dataset. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-lm-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tinyModel = ['--set', 'd_model=16', '--set', 'n_layers=1', '--set', 'n_heads=2', '--set', 'd_ff=32', '--set', 'max_seq_len=16'];

function writeData(name: string, lines: string[]): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

describe('rlmkit lm', () => {
  const data = writeData(
    'pairs.jsonl',
    Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, response: `${i + 1}` })).concat([
      JSON.stringify({ text: 'ab\ncd' }),
    ]),
  );

  /** `lm train` on `data`: 4 steps of 4 rows, a checkpoint every 2, the tiny model; `extra` before the model settings. */
  const trainArgs = (run: string, ...extra: string[]) => [
    'lm',
    'train',
    '--data',
    data,
    '--steps',
    '4',
    '--batch-size',
    '4',
    '--save-every',
    '2',
    '--run',
    run,
    '--runs-root',
    dir,
    ...extra,
    ...tinyModel,
  ];

  it('trains with metrics and checkpoints, resumes, and samples with both engines', async () => {
    const train = await runCliAsync(trainArgs('r1'), { cwd: dir });
    expect(train.code, train.stderr).toBe(0);
    const ckpt = train.stdout.trim().split('\n').pop()!;
    expect(ckpt).toBe(path.join(dir, 'r1', 'checkpoints', 'step-4.safetensors'));
    const metrics = fs
      .readFileSync(path.join(dir, 'r1', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(metrics.every((m) => Number.isFinite(m.loss) && m.loss > 0)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'r1', 'checkpoints', 'step-2.optim.safetensors'))).toBe(true);

    // an existing run is not overwritten silently; --resume with the same settings finds nothing to do
    const again = await runCliAsync(trainArgs('r1'), { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const resumed = await runCliAsync([...trainArgs('r1'), '--resume', '--json'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).step).toBe(4);

    for (const engine of ['jax', 'onnx']) {
      const s = await runCliAsync(
        ['lm', 'sample', '--model', ckpt, '--prompt', '3+1=', '--n', '3', '--max-tokens', '5', '--seed', '1', '--engine', engine, '--json'],
        { cwd: dir },
      );
      expect(s.code, s.stderr).toBe(0);
      const rows = s.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows).toHaveLength(3);
      for (const r of rows) {
        expect(['eos', 'stop', 'length']).toContain(r.finishReason);
        expect(r.logprobs).toHaveLength(r.tokens.length);
        expect(typeof r.text).toBe('string');
      }
    }
  }, 120_000);

  it('resumes an interrupted run bit-identically', async () => {
    const args = (run: string) => trainArgs(run, '--seed', '3');
    const full = await runCliAsync(args('full'), { cwd: dir });
    expect(full.code, full.stderr).toBe(0);
    // Simulate a crash after step 2: copy the run up to its step-2 checkpoint, then resume.
    const src = path.join(dir, 'full');
    const cut = path.join(dir, 'cut');
    fs.mkdirSync(path.join(cut, 'checkpoints'), { recursive: true });
    fs.copyFileSync(path.join(src, 'config.yaml'), path.join(cut, 'config.yaml'));
    for (const f of ['step-2.safetensors', 'step-2.optim.safetensors'])
      fs.copyFileSync(path.join(src, 'checkpoints', f), path.join(cut, 'checkpoints', f));
    fs.writeFileSync(path.join(cut, 'checkpoints', 'latest.json'), JSON.stringify({ file: 'step-2.safetensors', step: 2 }));
    const lines = fs.readFileSync(path.join(src, 'metrics.jsonl'), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(cut, 'metrics.jsonl'), lines.slice(0, 3).join('\n') + '\n'); // one step past the checkpoint
    const resumed = await runCliAsync([...args('cut'), '--resume'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const weights = (run: string) => {
      const buf = fs.readFileSync(path.join(dir, run, 'checkpoints', 'step-4.safetensors'));
      const n = Number(buf.readBigUInt64LE(0));
      return buf.subarray(8 + n); // tensor data (the header holds a random checkpoint id)
    };
    expect(weights('cut').equals(weights('full'))).toBe(true);
    const losses = (run: string) =>
      fs
        .readFileSync(path.join(dir, run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).loss);
    expect(losses('cut')).toEqual(losses('full'));
  }, 120_000);

  it('gives clear errors and exit codes for bad inputs', async () => {
    const missing = await runCliAsync(['lm', 'train', '--data', path.join(dir, 'nope.jsonl'), '--run', 'x'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: no such file/);
    const bad = await runCliAsync(['lm', 'train', '--data', writeData('bad.jsonl', ['{"text": "ok"}', '{oops']), '--run', 'x'], {
      cwd: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.jsonl:2: not valid JSON/);
    const empty = await runCliAsync(['lm', 'train', '--data', writeData('empty.jsonl', []), '--run', 'x'], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/holds no examples/);
    const long = await runCliAsync(
      [
        'lm',
        'train',
        '--data',
        writeData('long.jsonl', [JSON.stringify({ text: 'x'.repeat(40) })]),
        '--run',
        'y',
        '--runs-root',
        dir,
        ...tinyModel,
      ],
      { cwd: dir },
    );
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/example 1 is 42 tokens long.*context of 16/);
    expect(long.stderr).not.toMatch(/\n\s+at /);
    const ckpt = path.join(dir, 'r1', 'checkpoints', 'step-4.safetensors');
    const oov = await runCliAsync(['lm', 'sample', '--model', ckpt, '--prompt', 'Zz', '--engine', 'jax'], { cwd: dir });
    expect(oov.code).toBe(2);
    expect(oov.stderr).toMatch(/character "Z" .* is not in the tokenizer's vocabulary/);
    const broken = path.join(dir, 'broken.safetensors');
    fs.writeFileSync(broken, fs.readFileSync(ckpt).subarray(0, 300));
    const trunc = await runCliAsync(['lm', 'sample', '--model', broken, '--prompt', '1', '--engine', 'jax'], { cwd: dir });
    expect(trunc.code).toBe(2);
    expect(trunc.stderr).toMatch(/not a valid safetensors checkpoint/);
    const badSet = await runCliAsync(['lm', 'train', '--data', data, '--set', 'depth=3', '--run', 'z'], { cwd: dir });
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toMatch(/unknown model setting "depth"/);
  }, 120_000);
});
