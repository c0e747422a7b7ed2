export * from './passk.js';
export * from './stats.js';
export * from './report.js';
export * from './runner.js';
export { evalRender, compareRender, type RenderEvalResult, type RenderComparison } from './render.js';
