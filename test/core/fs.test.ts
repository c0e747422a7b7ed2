import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendJsonl, cleanTempFiles, readJsonl, writeFileAtomic, writeJsonAtomic, readJson, RlmkitError } from '../../src/core/index.js';
import { repoRoot } from '../helpers/cli.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-fs-'));
}

describe('atomic writes', () => {
  it('writes and replaces files, creating parent folders', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'a/b/c.json');
    writeJsonAtomic(f, { x: 1 });
    expect(readJson(f)).toEqual({ x: 1 });
    writeJsonAtomic(f, { x: 2 });
    expect(readJson(f)).toEqual({ x: 2 });
    expect(fs.readdirSync(path.dirname(f))).toEqual(['c.json']);
  });

  it('leaves nothing half-written when the writer is killed mid-write', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'big.bin');
    writeFileAtomic(file, Buffer.alloc(8 * 1024 * 1024, 0));
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/atomic-writer.ts'), file], {
        cwd: repoRoot,
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + round * 170));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const data = fs.readFileSync(file);
      expect(data.length).toBe(8 * 1024 * 1024);
      const first = data[0];
      // Every byte is the same value: the file is one complete version, never a mix.
      expect(data.every((b) => b === first)).toBe(true);
    }
    // Killed writes may leave temp files behind; they are recognisable and cleaned up.
    cleanTempFiles(dir);
    expect(fs.readdirSync(dir)).toEqual(['big.bin']);
  });

  it('gives readable errors for unwritable and missing paths', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    expect(() => writeFileAtomic(path.join(dir, 'file', 'sub.txt'), 'x')).toThrow(RlmkitError);
    expect(() => readJson(path.join(dir, 'missing.json'))).toThrow(/no such file/);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"a":');
    expect(() => readJson(path.join(dir, 'bad.json'))).toThrow(/not valid JSON/);
  });
});

describe('JSONL', () => {
  it('appends and reads lines, ignoring a truncated last line from a crash', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'm.jsonl');
    appendJsonl(f, { step: 1 });
    appendJsonl(f, { step: 2 });
    fs.appendFileSync(f, '{"step": 3, "lo');
    expect(readJsonl(f)).toEqual([{ step: 1 }, { step: 2 }]);
    fs.writeFileSync(f, '{"a":1}\nnot json\n{"a":2}\n');
    expect(() => readJsonl(f)).toThrow(/m\.jsonl:2: not valid JSON/);
  });
});
