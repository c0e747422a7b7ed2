import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-cli-'));
}

function write(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

/** A user-facing failure: non-zero exit, a short message, a hint, and never a stack trace. */
function expectCleanFailure(r: { code: number; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).toMatch(/^rlmkit: error: /);
  expect(r.stderr).toMatch(/\nhint: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(12);
}

describe('rlmkit CLI', () => {
  it('prints help and version with exit code 0', () => {
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['demo', 'config', 'doctor', 'bench']) expect(help.stdout).toContain(cmd);
    const version = runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('prints a resolved config with overrides', () => {
    const dir = tmpDir();
    const f = write(dir, 'ok.yaml', 'run:\n  name: exp\n');
    const r = runCli(['config', 'print', f, '--set', 'run.seed=5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('run:\n  name: exp\n  root: runs\n  seed: 5\n');
  });

  it('doctor reports every dependency', () => {
    const r = runCli(['doctor', '--json']);
    const checks = JSON.parse(r.stdout) as Array<{ name: string; ok: boolean; fix?: string }>;
    for (const name of ['node', '@jax-js/jax', 'onnxruntime-node', 'node-llama-cpp', 'bwrap', 'redis-server', 'chromium']) {
      const c = checks.find((x) => x.name === name);
      expect(c, name).toBeDefined();
      if (!c!.ok) expect(c!.fix).toBeTruthy();
    }
    expect(checks.find((c) => c.name === 'node')!.ok).toBe(true);
  });

  describe('bad input gives a one-screen message and a non-zero exit code', () => {
    const dir = tmpDir();
    const cases: Array<[string, () => string[], number, RegExp, string?]> = [
      ['unknown command', () => ['trian'], 2, /unknown command 'trian'/],
      ['unknown flag', () => ['doctor', '--frobnicate'], 2, /unknown option '--frobnicate'/],
      ['missing argument', () => ['config', 'print'], 2, /missing required argument 'file'/],
      ['bad choice for a global option', () => ['--log-format', 'xml', 'doctor'], 2, /Allowed choices are text, json/],
      ['missing config file', () => ['config', 'print', path.join(dir, 'nope.yaml')], 2, /config file not found/],
      ['malformed YAML', () => ['config', 'print', write(dir, 'bad.yaml', 'run:\n  name: [x\n')], 2, /YAML syntax error/],
      [
        'wrong type',
        () => ['config', 'print', write(dir, 'type.yaml', 'run:\n  seed: many\n')],
        2,
        /run\.seed: expected number, got string "many"/,
      ],
      ['unknown key', () => ['config', 'print', write(dir, 'key.yaml', 'run:\n  sede: 1\n')], 2, /unknown key run\.sede/],
      ['bad --set', () => ['config', 'print', write(dir, 'set.yaml', 'run: {}\n'), '--set', 'seed'], 2, /bad --set "seed"/],
      [
        'unknown config kind',
        () => ['config', 'print', write(dir, 'kind.yaml', 'kind: spaceship\n')],
        2,
        /unknown config kind "spaceship"/,
      ],
      ['config path is a directory', () => ['config', 'print', dir], 2, /is a directory/],
      [
        'bad run name',
        () => ['demo', '--run', '../escape', '--set', `checkpoint=${path.join(repoRoot, 'package.json')}`],
        2,
        /run\.name: letters, digits/,
      ],
    ];
    for (const [name, args, code, pattern] of cases) {
      it(name, () => expectCleanFailure(runCli(args()), code, pattern));
    }

    it('unwritable run directory', () => {
      const cwd = tmpDir();
      fs.writeFileSync(path.join(cwd, 'runs'), 'a file where the runs folder should be');
      const r = runCli(['demo', '--set', `checkpoint=${path.join(repoRoot, 'package.json')}`], { cwd });
      expectCleanFailure(r, 2, /cannot create run directory .*runs\/demo/);
    });
  });
});
