/**
 * Issue 13, item 10: run-directory files are validated before use. A latest.json with
 * `"step": 1e400` (Infinity once parsed) or a checkpoint name that leaves the run directory
 * (`../../etc/passwd`, a symbolic link out) is refused with exit code 2 and a hint, and --resume of
 * a run that was never created refuses instead of starting a new one. Before the fix the first
 * finished with exit 0 and `loss: null`, the second resolved outside the run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInteger, runPathInside } from '../../src/core/index.js';
import { resolveCheckpoint } from '../../src/training/models.js';
import { runCliAsync } from '../helpers/cli.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-runfiles-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TINY = ['model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64', 'model.max_seq_len=64'];
const SETS = [...TINY, 'sft.steps=2', 'sft.batch_size=4', 'checkpoint_every=1', 'log_every=1'];

function args(run: string, extra: string[] = [], sets = SETS): string[] {
  return [
    'train',
    '--config',
    'recipes/game24-sft.yaml',
    '--run',
    run,
    '--quiet',
    ...[...sets, `run.root=${root}`].flatMap((s) => ['--set', s]),
    ...extra,
  ];
}

function expectRefused(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).toMatch(/\nhint: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('run-directory files are validated', () => {
  it('unit: integers must be finite and paths must stay inside', () => {
    expect(runInteger(3, 'f', 'step')).toBe(3);
    for (const bad of [JSON.parse('1e400'), -1, 1.5, '3', null, Number.NaN])
      expect(() => runInteger(bad, 'f', 'step')).toThrow(/non-negative integer/);
    const dir = fs.mkdtempSync(path.join(root, 'unit-'));
    expect(runPathInside(dir, 'a.safetensors', 'f', 'k')).toBe(path.join(dir, 'a.safetensors'));
    for (const bad of ['../../../../etc/passwd', '/etc/passwd', '', 'a/../../x', 7, '.'])
      expect(() => runPathInside(dir, bad, 'f', 'k')).toThrow();
    fs.symlinkSync('/etc/passwd', path.join(dir, 'link.safetensors'));
    expect(() => runPathInside(dir, 'link.safetensors', 'f', 'k')).toThrow(/outside the run directory/);
  });

  it('a tampered latest.json or final.json stops the run with exit 2', async () => {
    const done = await runCliAsync(args('t'));
    expect(done.code, done.stderr).toBe(0);
    const phaseDir = path.join(root, 't', 'checkpoints', 'sft');
    const pointerFile = path.join(phaseDir, 'latest.json');
    const pointer = JSON.parse(fs.readFileSync(pointerFile, 'utf8'));
    // Make the phase unfinished so that --resume reads its pointer.
    fs.rmSync(path.join(phaseDir, 'done.json'));
    fs.writeFileSync(pointerFile, JSON.stringify(pointer).replace(/"step":\s*\d+/, '"step": 1e400'));
    expectRefused(await runCliAsync(args('t', ['--resume'])), /latest\.json: step must be a non-negative integer, got Infinity/);

    fs.writeFileSync(pointerFile, JSON.stringify({ ...pointer, files: { policy: '../../../../etc/passwd' } }));
    expectRefused(await runCliAsync(args('t', ['--resume'])), /files\.policy "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" points outside/);

    fs.symlinkSync('/etc/passwd', path.join(phaseDir, 'evil.safetensors'));
    fs.writeFileSync(pointerFile, JSON.stringify({ ...pointer, files: { policy: 'evil.safetensors' } }));
    expectRefused(await runCliAsync(args('t', ['--resume'])), /links to .*outside the run directory/);

    // final.json, read by `model.init: <run dir>`.
    expect(resolveCheckpoint(path.join(root, 't'))).toMatch(/policy-step-2\.safetensors$/);
    fs.writeFileSync(path.join(root, 't', 'checkpoints', 'final.json'), JSON.stringify({ policy: '../../../../etc/passwd' }));
    expect(() => resolveCheckpoint(path.join(root, 't'))).toThrow(/final\.json: policy .* points outside/);
  }, 180_000);

  it('--resume of a run that does not exist refuses with a hint (train, lm train, demo)', async () => {
    const data = path.join(root, 'd.jsonl');
    fs.writeFileSync(data, '{"text": "4 4 6 8|"}\n');
    const rs = await Promise.all([
      runCliAsync(args('never', ['--resume'])),
      runCliAsync(['lm', 'train', '--data', data, '--runs-root', root, '--run', 'never-lm', '--resume', '--steps', '1']),
      runCliAsync(['demo', '--quick', '--run', 'never-demo', '--resume', '--set', `run.root=${root}`]),
    ]);
    for (const r of rs) expectRefused(r, /cannot resume run "never[^"]*": .* holds no run/);
    for (const name of ['never', 'never-lm', 'never-demo']) expect(fs.existsSync(path.join(root, name, 'config.yaml'))).toBe(false);
  }, 180_000);
});
