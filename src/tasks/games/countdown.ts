/**
 * Countdown as in TinyZero (Pan et al. 2025): reach a target with the given numbers and + - * /.
 * TinyZero's reward uses every number exactly once and evaluates the equation exactly, so fractions
 * may appear along the way. `countdown-classic` follows the TV rules instead: numbers may be left
 * unused, and every intermediate result must be a positive integer.
 *
 * Problems are generated: 3 or 4 numbers in 1..99 and a target in 10..100 reached by a random
 * sequence of legal steps, so every problem is solvable. Train and test use independent seeds and
 * the test puzzles are removed from train.
 */
import { Rng } from '../../core/rng.js';
import { checkSplit } from '../splits.js';
import type { LoadOptions } from '../types.js';
import { type GameRules, legalMoves, randomMove } from './combine.js';
import { type NumberGameData, type NumberGameProblem, makeNumberGameTask } from './number-game.js';
import { type Rational, isInteger, rat } from './rational.js';

const SPLITS = ['train', 'test'] as const;
const DEFAULT_SIZE = { train: 10000, test: 500 } as const;

const key = (d: NumberGameData) => `${[...d.numbers].sort((a, b) => a - b).join(',')}>${d.target}`;

/**
 * One solvable puzzle: random numbers, a random walk of legal steps, and a last step chosen among
 * those whose result is a whole number in 10..100 (the target).
 */
function samplePuzzle(rng: Rng, rules: Omit<GameRules, 'target'>): NumberGameData | null {
  const count = rng.int(3, 4);
  const numbers = Array.from({ length: count }, () => rng.int(1, 99));
  let state: Rational[] | null = numbers.map((n) => rat(n));
  const stepsWanted = rules.useAll ? count - 1 : rng.int(1, count - 1);
  for (let i = 0; i < stepsWanted - 1 && state; i++) state = randomMove(state, rules, rng);
  if (!state) return null;
  const finals = legalMoves(state, { ...rules, target: rat(-1) })
    .map((m) => m.state[m.state.length - 1])
    .filter((r) => isInteger(r) && r.n >= 10n && r.n <= 100n && !numbers.includes(Number(r.n)));
  if (finals.length === 0) return null;
  return { numbers, target: Number(rng.pick(finals).n) };
}

function generate(split: string, count: number, seed: number, rules: Omit<GameRules, 'target'>, name: string): NumberGameProblem[] {
  const make = (s: string, n: number, exclude: Set<string>): NumberGameData[] => {
    const rng = new Rng(seed).fork(`${name}/${s}`);
    const out: NumberGameData[] = [];
    const seen = new Set<string>();
    while (out.length < n) {
      const d = samplePuzzle(rng, rules);
      if (!d || seen.has(key(d)) || exclude.has(key(d))) continue;
      seen.add(key(d));
      out.push(d);
    }
    return out;
  };
  const test = make('test', split === 'test' ? count : DEFAULT_SIZE.test, new Set());
  const data = split === 'test' ? test : make('train', count, new Set(test.map(key)));
  return data.map((d, i) => ({
    id: `${name}/${split}/${seed}/${i}`,
    question: `Using the numbers ${d.numbers.join(', ')}, create an equation that equals ${d.target} with + - * /.`,
    data: d,
  }));
}

function makeCountdown(name: string, rules: Omit<GameRules, 'target'>, description: string) {
  return makeNumberGameTask({
    name,
    description,
    splits: SPLITS,
    rules,
    plainPrompt: (d) => `${d.numbers.join(' ')} =${d.target}`,
    chatPrompt: (d) =>
      [
        `Using the numbers [${d.numbers.join(', ')}], create an equation that equals ${d.target}. You can use + - * / and ${
          rules.useAll ? 'each number must be used exactly once' : 'each number at most once'
        }${rules.integerOnly ? '; every intermediate result must be a positive integer' : ''}.`,
        'Each step combines two of the remaining numbers and lists the numbers left, e.g. for 3 5 7 =22: "3*5=15 (7 15)" then "7+15=22 (22)".',
        'Alternatively give the final equation as <answer>(3*5)+7</answer>.',
      ].join('\n'),
    load: async (options: LoadOptions) => {
      checkSplit(name, SPLITS, options.split);
      const split = options.split as keyof typeof DEFAULT_SIZE;
      return generate(split, options.limit ?? DEFAULT_SIZE[split], options.seed ?? 0, rules, name);
    },
  });
}

export const countdownTask = makeCountdown(
  'countdown',
  { useAll: true, integerOnly: false },
  'Countdown (TinyZero rules): reach the target using every number exactly once with + - * /',
);

export const countdownClassicTask = makeCountdown(
  'countdown-classic',
  { useAll: false, integerOnly: true },
  'Countdown (TV rules): reach the target with numbers used at most once, positive integer steps only',
);
