/** Public API of the tasks layer. */
export * from './types.js';
export * from './registry.js';
export * from './verdict.js';
export * from './formats/rows.js';
export { makeFileTask, parseFileTaskSpec, extractTaggedAnswer, VERIFIER_KINDS, type VerifierKind } from './formats/file-task.js';
export { dataDir, packagedDataDir, dataFile } from './data.js';
export * from './grader/index.js';
export { runPython, pythonSandboxAvailable, type PythonProgram, type PythonSandboxOptions } from './sandbox/python.js';
export { runJavaScript, type JavaScriptProgram } from './sandbox/javascript.js';
export * from './sandbox/limits.js';
export { game24Task, generateGame24, parseGame24Csv, GAME24_TEST_RANKS } from './games/game24.js';
export { countdownTask, countdownClassicTask } from './games/countdown.js';
export { type GameRules, allSolutions, bruteForceSolvable, legalMoves, evaluateExpression } from './games/combine.js';
export { type NumberGameProblem, type NumberGameData } from './games/number-game.js';
export { arithmeticTask, makeArithmeticTask, type ArithmeticProblem } from './synthetic/arithmetic.js';
export { sortingTask, sorting64Task, sorting128Task, makeSortingTask, sortingErrors, type SortingProblem } from './synthetic/sorting.js';
export { gsm8kTask, math500Task, aime24Task, amc23Task, makeMathTask, type MathProblem } from './math/math-task.js';
export { humanevalTask, runHumanEval, extractCode, programFor, type CodeProblem } from './code/humaneval.js';
