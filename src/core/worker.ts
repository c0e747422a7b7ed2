/**
 * Starts a worker thread on a module that sits next to the caller, from the compiled JavaScript
 * (dist/) or from the TypeScript sources (tsx, vitest). For sources, the worker gets a small
 * bootstrap that registers tsx's loader in the worker and then imports the .ts module: workers do
 * not inherit a loader registered through tsx's API or vitest's transform.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * `from` is the caller's import.meta.url and `name` the worker module's base name without an
 * extension (e.g. 'grad-worker'); it must live in the caller's folder.
 */
export function spawnSiblingWorker(from: string, name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), { workerData, resourceLimits });
  const require = createRequire(from);
  // The ESM build of tsx's API (require.resolve finds the CJS one, which registers by a bad path).
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL(`./${name}.ts`, from).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}
