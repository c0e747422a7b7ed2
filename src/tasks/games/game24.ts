/**
 * Game of 24 (Yao et al. 2023, Tree of Thoughts): combine four numbers with + - * / into 24, each
 * number used exactly once; fractions are allowed along the way (e.g. 1 5 5 5: 5-1/5 ... ).
 *
 * Sources: `24.csv` from the Tree-of-Thoughts repository (1362 puzzles ranked by human solve time;
 * test = ranks 901–1000 as in the paper, train = the other 1262), or a seeded generator.
 */
import { inputError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { dataFile, readDataText } from '../data.js';
import { checkSplit, selectProblems } from '../splits.js';
import type { LoadOptions } from '../types.js';
import { numbersKey } from './augment.js';
import { bruteForceSolvable } from './combine.js';
import { type NumberGameData, type NumberGameProblem, makeNumberGameTask } from './number-game.js';
import { rat } from './rational.js';

const RULES = { useAll: true, integerOnly: false } as const;
const SPLITS = ['train', 'test', 'all', 'generated'] as const;
export const GAME24_TEST_RANKS = { first: 901, last: 1000 } as const;

export interface Game24Row {
  rank: number;
  numbers: number[];
}

/** Parses 24.csv ("Rank,Puzzles,..." with puzzles like "1 1 4 6"). */
export function parseGame24Csv(text: string, file: string): Game24Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0]?.split(',').map((h) => h.trim().toLowerCase()) ?? [];
  const rankCol = header.indexOf('rank');
  const puzzleCol = header.indexOf('puzzles');
  if (rankCol < 0 || puzzleCol < 0)
    throw inputError(`${file}: expected a header with "Rank" and "Puzzles"`, 'give the 24.csv file from the Tree-of-Thoughts repository');
  return lines.slice(1).map((line, i) => {
    const cols = line.split(',');
    const rank = Number(cols[rankCol]);
    const numbers = (cols[puzzleCol] ?? '').trim().split(/\s+/).map(Number);
    if (!Number.isInteger(rank) || numbers.length !== 4 || numbers.some((n) => !Number.isInteger(n) || n < 0)) {
      throw inputError(`${file}:${i + 2}: cannot read "${line}"`, 'each row needs a rank and four whole numbers');
    }
    return { rank, numbers };
  });
}

const toProblem = (id: string, data: NumberGameData): NumberGameProblem => ({
  id,
  question: `Use ${data.numbers.join(' ')} and + - * / to make ${data.target}, each number exactly once.`,
  data,
});

/** Prompt text: the numbers, and " =T" only for a target other than 24 (auxiliary training puzzles). */
const plainPrompt = (d: NumberGameData): string => (d.target === 24 ? d.numbers.join(' ') : `${d.numbers.join(' ')} =${d.target}`);

let testKeys: Set<string> | undefined;
/** The numbers of the ToT test puzzles (ranks 901-1000 of the shipped 24.csv), which augmentation never produces. */
function heldOutKeys(): ReadonlySet<string> {
  if (!testKeys) {
    const file = dataFile('game24/24.csv');
    const rows = parseGame24Csv(readDataText(file), file);
    testKeys = new Set(
      rows.filter((r) => r.rank >= GAME24_TEST_RANKS.first && r.rank <= GAME24_TEST_RANKS.last).map((r) => numbersKey(r.numbers)),
    );
  }
  return testKeys;
}

/** Solvable random puzzles of four numbers in 1..13, reproducible from `seed`. */
export function generateGame24(count: number, seed: number): NumberGameProblem[] {
  const rng = new Rng(seed).fork('game24-generator');
  const out: NumberGameProblem[] = [];
  while (out.length < count) {
    const numbers = [0, 0, 0, 0].map(() => rng.int(1, 13)).sort((a, b) => a - b);
    if (
      !bruteForceSolvable(
        numbers.map((n) => rat(n)),
        { ...RULES, target: rat(24) },
      )
    )
      continue;
    out.push(toProblem(`game24/generated/${seed}/${out.length}`, { numbers, target: 24 }));
  }
  return out;
}

async function load(options: LoadOptions): Promise<NumberGameProblem[]> {
  checkSplit('game24', SPLITS, options.split);
  if (options.split === 'generated') return generateGame24(options.limit ?? 1000, options.seed ?? 0);
  const file = dataFile('game24/24.csv', options.path);
  const rows = parseGame24Csv(readDataText(file), file);
  const inTest = (r: Game24Row) => r.rank >= GAME24_TEST_RANKS.first && r.rank <= GAME24_TEST_RANKS.last;
  const picked = rows.filter((r) => (options.split === 'test' ? inTest(r) : options.split === 'train' ? !inTest(r) : true));
  return selectProblems(
    picked.map((r) => toProblem(`game24/${options.split}/${r.rank}`, { numbers: r.numbers, target: 24 })),
    options,
  );
}

export const game24Task = makeNumberGameTask({
  name: 'game24',
  description: 'Game of 24: make 24 from four numbers with + - * / (ToT test split: ranks 901-1000)',
  splits: SPLITS,
  rules: RULES,
  plainPrompt,
  chatPrompt: (d) =>
    [
      `Use the numbers ${d.numbers.join(' ')} and basic arithmetic (+ - * /) to obtain ${d.target}. Each number must be used exactly once.`,
      'Each step combines two of the remaining numbers and lists the numbers left, e.g. for 4 4 6 8:',
      '4+8=12 (4 6 12)',
      '6-4=2 (12 2)',
      '12*2=24 (24)',
    ].join('\n'),
  load,
  augmentation: { heldOut: heldOutKeys, toProblem },
});
