/** The procedural task families (each at levels easy / medium / hard: `sat`, `sat:easy`, `sat:hard`). */
import { arithmeticChainSpec, letterCountingSpec, miniSudokuSpec, wordSortingSpec } from './classics.js';
import { prontoqaSpec, zebraSpec } from './logic.js';
import { type ProceduralSpec, proceduralFamily } from './make.js';
import { knapsackSpec, satSpec } from './sat-knapsack.js';

export const PROCEDURAL_SPECS: ReadonlyArray<ProceduralSpec<any>> = [
  satSpec,
  knapsackSpec,
  zebraSpec,
  prontoqaSpec,
  wordSortingSpec,
  letterCountingSpec,
  arithmeticChainSpec,
  miniSudokuSpec,
];
export const PROCEDURAL_FAMILIES = new Map(PROCEDURAL_SPECS.map((s) => [s.name, proceduralFamily(s)]));

export * from './make.js';
export { satSpec, knapsackSpec, dpll, knapsack } from './sat-knapsack.js';
export { zebraSpec, prontoqaSpec } from './logic.js';
export { wordSortingSpec, letterCountingSpec, arithmeticChainSpec, miniSudokuSpec } from './classics.js';
