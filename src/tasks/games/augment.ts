/**
 * Training-data augmentation for the number games (Game of 24, Countdown-like rules): more varied
 * supervised examples of the same game, so a small model learns the arithmetic rather than a
 * fixed list of puzzles (docs/calibration.md: beyond ~8M tokens a 0.8M model memorises the 1,262
 * training puzzles of 24.csv while test accuracy stays flat).
 *
 * - Number order: the prompt lists the puzzle's numbers in a random order (the solver's paths
 *   depend on the order, so the steps change with it).
 * - Auxiliary puzzles: the same game with other numbers (a wider range) and other targets. Each is
 *   drawn at random and kept only if the exact-rational solver (combine.ts) finds a solution, so
 *   every example is verified; a puzzle whose numbers are those of a held-out (test) puzzle is
 *   never produced, whatever its target.
 */
import type { AugmentOptions } from '../types.js';
import { allSolutions, type GameRules } from './combine.js';
import { countPaths } from './path-sampler.js';
import { rat } from './rational.js';

interface Draw {
  next(): number;
}

/** Order-free key of a puzzle's numbers (held-out sets compare these). */
export const numbersKey = (numbers: readonly number[]): string => [...numbers].sort((a, b) => a - b).join(' ');

/** A puzzle's numbers and target (number-game.ts's PuzzleData; declared here so imports stay one-way). */
export interface PuzzleData {
  numbers: number[];
  target: number;
}

const uniformInt = (rng: Draw, lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));

function shuffled<T>(xs: readonly T[], rng: Draw): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Tries at most this many random puzzles before giving up on an auxiliary one. */
const AUX_TRIES = 64;

/**
 * A solvable puzzle with as many numbers as `like`, numbers uniform in `numberRange`, and the same
 * target as `like` (share `ownTarget`) or one uniform in `targetRange`; null when none was found.
 */
export function auxiliaryPuzzle(
  like: PuzzleData,
  rules: Omit<GameRules, 'target'>,
  rng: Draw,
  options: AugmentOptions,
  heldOut: ReadonlySet<string>,
): PuzzleData | null {
  const [nLo, nHi] = options.numberRange;
  const [tLo, tHi] = options.targetRange;
  for (let t = 0; t < AUX_TRIES; t++) {
    const numbers = like.numbers.map(() => uniformInt(rng, nLo, nHi));
    if (heldOut.has(numbersKey(numbers))) continue;
    const target = rng.next() < options.ownTarget ? like.target : uniformInt(rng, tLo, tHi);
    const fast = countPaths(numbers, { ...rules, target });
    const solvable =
      fast !== undefined
        ? fast > 0
        : allSolutions(
            numbers.map((n) => rat(n)),
            { ...rules, target: rat(target) },
            1,
          ).length > 0;
    if (!solvable) continue;
    return { numbers, target };
  }
  return null;
}

/**
 * The `augment` hook of a number-game task (see Task.augment): the data and id to train on, the
 * problem's own when neither augmentation fired.
 */
export function augmentNumberGame(
  problem: { id: string; data: PuzzleData },
  rng: Draw,
  options: AugmentOptions,
  rules: Omit<GameRules, 'target'>,
  heldOut: ReadonlySet<string>,
  name: string,
): { id: string; data: PuzzleData } {
  let data: PuzzleData = problem.data;
  let id = problem.id;
  if (options.auxiliary > 0 && rng.next() < options.auxiliary) {
    const aux = auxiliaryPuzzle(data, rules, rng, options, heldOut);
    if (aux) {
      data = aux;
      id = `${name}/auxiliary/${numbersKey(aux.numbers).replace(/ /g, '-')}=${aux.target}`;
    }
  }
  if (options.shuffle > 0 && rng.next() < options.shuffle) data = { ...data, numbers: shuffled(data.numbers, rng) };
  return { id, data };
}
