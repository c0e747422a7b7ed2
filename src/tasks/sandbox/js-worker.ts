/**
 * Worker thread of the JavaScript sandbox: runs one program at a time in QuickJS (js-engine.ts)
 * and posts back its ExecutionResult. The parent (javascript.ts) terminates the thread when a run
 * outlives its deadline by a grace period, or when the thread's own heap limit is reached.
 */
import { parentPort } from 'node:worker_threads';
import { runInQuickJS, type JavaScriptProgram } from './js-engine.js';
import type { SandboxLimits } from './limits.js';

parentPort!.on('message', (job: { id: number; js: JavaScriptProgram; limits: SandboxLimits }) => {
  runInQuickJS(job.js, job.limits).then(
    (result) => parentPort!.postMessage({ id: job.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: job.id, failure: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
  );
});
parentPort!.postMessage({ ready: true });
