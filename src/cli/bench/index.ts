/** Every benchmark `rlmkit bench` knows. A capability adds one import and one entry here. */
import type { BenchModule } from './types.js';
import { cliBench } from './cli.js';
import { engineBench } from './engine.js';
import { searchBench } from './search.js';
import { serveBench } from './serve.js';
import { trainBench } from './train.js';
import { tasksBench } from './tasks.js';
import { rlBench } from './rl.js';
import { rsrmBench } from './rsrm.js';
import { renderBench } from './render.js';
import { rlotBench } from './rlot.js';
import { ablationBench } from './ablation.js';
import { passkBench } from './passk.js';
import { mixtureBench } from './mixture.js';
import { coldStartBench } from './cold-start.js';
import { genrmBench } from './genrm.js';

export const benchModules: BenchModule[] = [
  engineBench,
  searchBench,
  serveBench,
  trainBench,
  tasksBench,
  cliBench,
  rlBench,
  rsrmBench,
  ablationBench,
  passkBench,
  mixtureBench,
  coldStartBench,
  renderBench,
  rlotBench,
  genrmBench,
];
