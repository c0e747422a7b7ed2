export * from './passk.js';
export * from './stats.js';
export * from './report.js';
export * from './runner.js';
