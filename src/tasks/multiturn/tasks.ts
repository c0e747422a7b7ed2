/** The built-in multi-turn tasks, in the order `rlmkit tasks` lists them (registered by ../registry.ts). */
import { calcToolTask } from './calculator-task.js';
import type { MultiTurnTask } from './types.js';

export const multiTurnTasks: MultiTurnTask<any>[] = [calcToolTask];
