/** The built-in multi-turn tasks, in the order `rlmkit tasks` lists them (registered by ../registry.ts). */
import { calcToolTask } from './calculator-task.js';
import { calcDuoTask } from './duo-task.js';
import { masksearchTask } from './masksearch-task.js';
import { sweRepairSimTask, sweRepairTask } from './swe-task.js';
import type { MultiTurnTask } from './types.js';

export const multiTurnTasks: MultiTurnTask<any>[] = [calcToolTask, masksearchTask, sweRepairTask, sweRepairSimTask, calcDuoTask];
