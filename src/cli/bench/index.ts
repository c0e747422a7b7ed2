/** Every benchmark `rlmkit bench` knows. A capability adds one import and one entry here. */
import type { BenchModule } from './types.js';

export const benchModules: BenchModule[] = [
];
