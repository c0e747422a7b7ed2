/**
 * SFT data augmentation of the number games (src/tasks/games/augment.ts) and the fast path sampler
 * behind `solve` (path-sampler.ts): every example is a solvable puzzle of the same game, checked
 * by the independent brute force and the step checker; auxiliary puzzles never have the numbers of
 * a test puzzle; the sampler draws from exactly allSolutions' paths, uniformly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRlmkitError, loadConfig } from '../../src/core/index.js';
import { Rng } from '../../src/core/rng.js';
import { numbersKey } from '../../src/tasks/games/augment.js';
import { allSolutions, bruteForceSolvable } from '../../src/tasks/games/combine.js';
import { countdownTask } from '../../src/tasks/games/countdown.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { NumberGameProblem } from '../../src/tasks/games/number-game.js';
import { allPaths, countPaths, samplePath } from '../../src/tasks/games/path-sampler.js';
import { rat } from '../../src/tasks/games/rational.js';
import type { AugmentOptions } from '../../src/tasks/types.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { repoRoot, runCliAsync } from '../helpers/cli.js';

const OPTS: AugmentOptions = { shuffle: 0.5, auxiliary: 0.5, numberRange: [1, 20], ownTarget: 0.5, targetRange: [1, 100] };

describe('path sampler', () => {
  it('finds exactly the paths of allSolutions (Game of 24 and classic Countdown rules)', () => {
    const rng = new Rng(11);
    for (let i = 0; i < 150; i++) {
      const numbers = Array.from({ length: rng.int(2, 4) }, () => rng.int(1, 15));
      const target = rng.int(1, 50);
      for (const [useAll, integerOnly] of [
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const exact = allSolutions(
          numbers.map((n) => rat(n)),
          { target: rat(target), useAll, integerOnly },
        ).map((p) => p.join('|'));
        const fast = allPaths(numbers, { target, useAll, integerOnly })!.map((p) => p.join('|'));
        expect(fast.sort(), `${numbers} -> ${target}`).toEqual([...exact].sort());
        expect(countPaths(numbers, { target, useAll, integerOnly })).toBe(exact.length);
        const s = samplePath(numbers, { target, useAll, integerOnly }, rng);
        if (exact.length === 0) expect(s).toBeNull();
        else expect(exact).toContain(s!.join('|'));
      }
    }
  });

  it('picks the same path as indexing allSolutions with the same random number', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 100; i++) {
      const numbers = Array.from({ length: 4 }, () => rng.int(1, 13));
      const exact = allSolutions(
        numbers.map((n) => rat(n)),
        { target: rat(24), useAll: true, integerOnly: false },
      );
      const u = rng.next();
      const s = samplePath(numbers, { target: 24, useAll: true, integerOnly: false }, { next: () => u });
      expect(s).toEqual(exact.length ? exact[Math.floor(u * exact.length)] : null);
    }
  });

  it('draws paths uniformly', () => {
    const numbers = [1, 2, 3, 4];
    const paths = allPaths(numbers, { target: 24, useAll: true, integerOnly: false })!.map((p) => p.join('|'));
    const counts = new Map<string, number>(paths.map((p) => [p, 0]));
    const rng = new Rng(3);
    const n = paths.length * 200;
    for (let i = 0; i < n; i++) {
      const key = samplePath(numbers, { target: 24, useAll: true, integerOnly: false }, rng)!.join('|');
      counts.set(key, counts.get(key)! + 1);
    }
    // chi-square with k = paths-1 degrees of freedom (mean k, sd sqrt(2k)): six sd above the mean
    const chi = [...counts.values()].reduce((s, c) => s + (c - 200) ** 2 / 200, 0);
    expect(paths.length).toBeGreaterThan(10);
    const k = paths.length - 1;
    expect(chi).toBeLessThan(k + 6 * Math.sqrt(2 * k));
  });

  it('leaves numbers beyond exact double arithmetic to the bigint search', () => {
    expect(samplePath([2 ** 40, 3, 5, 7], { target: 24, useAll: true, integerOnly: false }, new Rng(1))).toBeUndefined();
    const p = game24Task.solve!({ id: 'big', question: '', data: { numbers: [2 ** 30, 2 ** 30, 12, 12], target: 24 } }, new Rng(1));
    expect(p).not.toBeNull();
    expect(game24Task.checkStep!({ id: 'big', question: '', data: { numbers: [2 ** 30, 2 ** 30, 12, 12], target: 24 } }, p!).terminal).toBe(
      true,
    );
  });
});

describe('Game of 24 augmentation', () => {
  it('gives solvable puzzles of the same game, never with the numbers of a test puzzle', async () => {
    const train = await game24Task.problems({ split: 'train' });
    const test = await game24Task.problems({ split: 'test' });
    const testKeys = new Set(test.map((p) => numbersKey(p.data.numbers)));
    const rng = new Rng(7);
    let aux = 0;
    let otherTarget = 0;
    let reordered = 0;
    for (let i = 0; i < 600; i++) {
      const drawn = rng.pick(train);
      const p = game24Task.augment!(drawn, rng, OPTS) as NumberGameProblem;
      expect(p.data.numbers.length).toBe(4);
      if (p.id.includes('/auxiliary/')) {
        aux++;
        expect(testKeys.has(numbersKey(p.data.numbers))).toBe(false);
        for (const n of p.data.numbers) expect(n >= 1 && n <= 20).toBe(true);
        if (p.data.target !== 24) {
          otherTarget++;
          expect(p.data.target >= 1 && p.data.target <= 100).toBe(true);
          expect(game24Task.renderPlain(p)).toBe(`${p.data.numbers.join(' ')} =${p.data.target}|`);
        }
      } else {
        expect(p.id).toBe(drawn.id);
        expect(numbersKey(p.data.numbers)).toBe(numbersKey(drawn.data.numbers));
        if (p.data.numbers.join(' ') !== drawn.data.numbers.join(' ')) reordered++;
      }
      // independent check: brute force says solvable, and a solver path replays to the target
      expect(
        bruteForceSolvable(
          p.data.numbers.map((n) => rat(n)),
          { useAll: true, integerOnly: false, target: rat(p.data.target) },
        ),
      ).toBe(true);
      const steps = game24Task.solve!(p, rng)!;
      const end = game24Task.checkStep!(p, steps);
      expect(end.valid && end.terminal && end.reason).toBe('reached the target');
    }
    expect(aux).toBeGreaterThan(230);
    expect(aux).toBeLessThan(370);
    expect(otherTarget).toBeGreaterThan(aux / 4);
    expect(reordered).toBeGreaterThan(60);
  });

  it('changes nothing with zero probabilities, and the test numbers stay out even in a tiny range', async () => {
    const [first] = await game24Task.problems({ split: 'train', limit: 1 });
    const rng = new Rng(1);
    expect(game24Task.augment!(first, rng, { ...OPTS, shuffle: 0, auxiliary: 0 })).toBe(first);
    const test = await game24Task.problems({ split: 'test' });
    const testKeys = new Set(test.map((p) => numbersKey(p.data.numbers)));
    for (let i = 0; i < 200; i++) {
      const p = game24Task.augment!(first, rng, {
        ...OPTS,
        shuffle: 0,
        auxiliary: 1,
        numberRange: [1, 13],
        ownTarget: 1,
      }) as NumberGameProblem;
      expect(testKeys.has(numbersKey(p.data.numbers))).toBe(false);
    }
  });

  it('only number games with held-out data offer it', () => {
    expect(typeof game24Task.augment).toBe('function');
    expect(countdownTask.augment).toBeUndefined();
  });
});

describe('sft.augment in recipes', () => {
  const recipe = path.join(repoRoot, 'recipes', 'game24-sft.yaml');
  const message = (overrides: string[]): string => {
    try {
      loadConfig(RecipeSchema, recipe, overrides);
    } catch (e) {
      if (isRlmkitError(e)) return e.message;
      throw e;
    }
    throw new Error('expected a config error');
  };

  it('the shipped recipe trains on augmented data', () => {
    const r = loadConfig(RecipeSchema, recipe, []);
    expect(r.sft!.augment.shuffle).toBeGreaterThan(0);
    expect(r.sft!.augment.auxiliary).toBeGreaterThan(0);
  });

  it('names conflicts and bad values', () => {
    expect(message(['sft.data=jsonl', 'sft.path=x.jsonl'])).toMatch(/sft\.augment makes solver examples but sft\.data is "jsonl"/);
    expect(message(['sft.augment.number_range=[20, 1]'])).toMatch(/sft\.augment\.number_range \[20, 1\] is empty/);
    expect(message(['sft.augment.shuffle=2'])).toMatch(/shuffle/);
  });

  it('a task without augmentation is a usage error naming the key', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-augment-'));
    const r = await runCliAsync([
      'train',
      '--config',
      'recipes/countdown-sft.yaml',
      '--quiet',
      ...['sft.steps=1', 'sft.augment.shuffle=0.5', `run.root=${root}`].flatMap((s) => ['--set', s]),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/task countdown has no augmentation, so sft\.augment cannot vary its examples/);
    fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);
});
