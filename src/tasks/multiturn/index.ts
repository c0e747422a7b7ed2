/** Multi-turn environments and tasks (README.md). */
export * from './types.js';
export { parseAction, renderToolCall, describeTools, shorthandParameter, type ParsedAction } from './protocol.js';
export { ToolEnv, observationOf, observationText, type ToolEnvOptions } from './env.js';
export { extractAnswerLine, renderPlainTranscript } from './base.js';
export { calcToolTask, calcSolverTurns, type CalcProblem } from './calculator-task.js';
export { masksearchTask, type MaskProblem } from './masksearch-task.js';
export { generateTownCorpus, type TownFact } from './corpus.js';
export { sweRepairTask, sweRepairSimTask, applyPatch, type SweProblem } from './swe-task.js';
export { sequenceRatio } from './similarity.js';
export { calcDuoTask, duoSolverTurns } from './duo-task.js';
export { multiTurnTasks } from './tasks.js';
