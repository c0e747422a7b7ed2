/**
 * Builds the registry `rlmkit serve` serves from `--model` arguments: each spec is opened, wrapped
 * in a batching Scheduler (so concurrent HTTP requests share backend batches) and registered under
 * its name. `name=spec` sets the name; otherwise it is derived from the spec. The reasoning proxy
 * provider also resolves `<strategy>@<name>` (e.g. `mcts@tiny`) to a strategy running on a model.
 */
import * as path from 'node:path';
import { usageError } from '../core/errors.js';
import { Scheduler, type SchedulerOptions } from '../models/scheduler.js';
import { loadPolicy, parseModelSpec, type ModelSpec } from '../models/spec.js';
import { WorkerPolicy } from '../models/worker-policy.js';
import type { Policy } from '../models/types.js';
import { reasoningProvider } from '../reasoning/proxy.js';
import { ModelRegistry, staticProvider } from './providers.js';

/** Splits "name=spec" (the name has no ":" so spec options like ?engine=jax are not mistaken for it). */
export function splitNamedSpec(arg: string): { name?: string; spec: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$/.exec(arg);
  return m ? { name: m[1], spec: m[2] } : { spec: arg };
}

export function defaultModelName(spec: ModelSpec): string {
  if (spec.kind === 'http') return spec.model;
  return path.basename(spec.path).replace(/\.(safetensors|gguf)$/i, '');
}

export async function buildRegistry(
  modelArgs: string[],
  scheduling: SchedulerOptions = {},
): Promise<{ registry: ModelRegistry; names: string[] }> {
  if (modelArgs.length === 0)
    throw usageError('no model to serve', 'pass --model <spec>, e.g. --model runs/demo/checkpoints/final.safetensors');
  const named: { name: string; spec: ModelSpec }[] = modelArgs.map((arg) => {
    const { name, spec } = splitNamedSpec(arg);
    const parsed = parseModelSpec(spec);
    return { name: name ?? defaultModelName(parsed), spec: parsed };
  });
  const dup = named.find((m, i) => named.findIndex((x) => x.name === m.name) !== i);
  if (dup) throw usageError(`two models are named "${dup.name}"`, 'name them with --model <name>=<spec>');
  const table: Record<string, Policy> = {};
  try {
    for (const m of named) {
      // Embedded models run in a worker thread unless ?worker=false: onnxruntime-node computes
      // synchronously on its calling thread, which would stall HTTP handling.
      const backend =
        m.spec.kind === 'embedded' && m.spec.options.worker !== false
          ? await WorkerPolicy.start({ file: m.spec.path }, m.spec.options)
          : await loadPolicy(m.spec);
      // Remote servers batch on their side: send them many requests at once. In-process models
      // run two batches at once, so one batch's host work (token choice, HTTP) overlaps the other's
      // native compute; embedded batches of 16 rows kept that overlap best (bench serve).
      const concurrency = scheduling.concurrency ?? (m.spec.kind === 'http' ? 16 : 2);
      const maxBatch = scheduling.maxBatch ?? (m.spec.kind === 'embedded' ? 16 : undefined);
      // Rows per call as many as requests per call: a request with a large n (a search's children)
      // is split into turns of that size, so other clients' requests wait one short call at most.
      const maxRows = scheduling.maxRows ?? maxBatch;
      table[m.name] = new Scheduler(backend, {
        ...scheduling,
        concurrency,
        ...(maxBatch ? { maxBatch } : {}),
        ...(maxRows ? { maxRows } : {}),
        id: m.name,
      });
    }
  } catch (e) {
    for (const p of Object.values(table)) await p.close?.();
    throw e;
  }
  const names = named.map((m) => m.name);
  // Every strategy is served as a model too: "<strategy>@<name>" (src/reasoning/proxy.ts); these
  // names resolve on request but are not listed in /v1/models.
  const registry = new ModelRegistry().register(staticProvider(table)).register(reasoningProvider());
  return { registry, names };
}
