/**
 * Every command module the CLI registers, in the order `rlmkit --help` lists them.
 * A new capability adds one import and one entry here.
 */
import type { CommandModule } from '../registry.js';
import { demoCommand } from './demo.js';
import { configCommand } from './config.js';
import { doctorCommand } from './doctor.js';
import { benchCommand } from './bench.js';
import { dataCommand } from './data.js';
import { trainCommand } from './train.js';
import { lmCommand } from './lm.js';
import { serveCommand } from './serve.js';
import { exportCommand } from './export.js';
import { solveCommand } from './solve.js';
import { strategiesCommand } from './strategies.js';
import { gradeCommand } from './grade.js';
import { evalCommand } from './eval.js';

export const commandModules: CommandModule[] = [
  demoCommand,
  configCommand,
  benchCommand,
  dataCommand,
  trainCommand,
  lmCommand,
  serveCommand,
  exportCommand,
  solveCommand,
  strategiesCommand,
  gradeCommand,
  evalCommand,
  doctorCommand,
];
