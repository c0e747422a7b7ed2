/** Multi-turn environments and tasks (README.md). */
export * from './types.js';
export { parseAction, renderToolCall, describeTools, shorthandParameter, type ParsedAction } from './protocol.js';
export { ToolEnv, observationOf, type ToolEnvOptions } from './env.js';
export { extractAnswerLine, renderPlainTranscript } from './base.js';
export { calcToolTask, calcSolverTurns, type CalcProblem } from './calculator-task.js';
