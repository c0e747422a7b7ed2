/**
 * The benchmark files shipped in data/ are there, unchanged in row count (data/SOURCES.md), and the
 * loaders read them by default without anything outside the repository.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { dataDir, dataFile, packagedDataDir } from '../../src/tasks/data.js';

const rows = (rel: string) => {
  const buf = readFileSync(path.join(packagedDataDir(), rel));
  const text = rel.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
  return text.split('\n').filter((l) => l.trim()).length;
};

describe('shipped data', () => {
  const saved = process.env.RLMKIT_DATA_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.RLMKIT_DATA_DIR;
    else process.env.RLMKIT_DATA_DIR = saved;
  });

  it('holds every file SOURCES.md lists, with its row count', () => {
    const sources = readFileSync(path.join(packagedDataDir(), 'SOURCES.md'), 'utf8');
    const table = [...sources.matchAll(/^\| `([^`]+)` \|[^|]*\| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(table.length).toBe(7);
    for (const [file, n] of table) {
      // 24.csv has a header line above its 1362 puzzles.
      expect(rows(file) - (file.endsWith('.csv') ? 1 : 0), file).toBe(n);
    }
  });

  it('is the default data folder, inside the package', () => {
    delete process.env.RLMKIT_DATA_DIR;
    expect(dataDir()).toBe(packagedDataDir());
    expect(path.relative(path.resolve('.'), packagedDataDir())).toBe('data');
    expect(dataFile('game24/24.csv')).toBe(path.join(packagedDataDir(), 'game24', '24.csv'));
  });

  it('RLMKIT_DATA_DIR points elsewhere, and a missing file there says so', () => {
    process.env.RLMKIT_DATA_DIR = '/nonexistent-rlmkit-data';
    expect(dataDir()).toBe('/nonexistent-rlmkit-data');
    let err: unknown;
    try {
      dataFile('game24/24.csv');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/data file not found: \/nonexistent-rlmkit-data/);
    expect((err as { hint?: string }).hint).toMatch(/RLMKIT_DATA_DIR is set/);
  });
});
