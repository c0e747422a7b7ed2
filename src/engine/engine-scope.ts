/**
 * The training engine a whole job asks for (recipes' `model.engine`), without threading an option
 * through every place that builds a Trainer: `withTrainEngine(engine, fn)` runs `fn` with that
 * engine as the default of every Trainer it creates, across awaits (Node's AsyncLocalStorage), and
 * only there. A Trainer's own `engine` option still wins.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { usageError } from '../core/errors.js';

export type TrainEngine = 'onnx' | 'jax';
export const TRAIN_ENGINES: readonly TrainEngine[] = ['onnx', 'jax'];

const scope = new AsyncLocalStorage<TrainEngine>();

/** Validates an engine name from a user (CLI flag, config): a usage error naming the choices otherwise. */
export function parseTrainEngine(value: unknown, where = 'engine'): TrainEngine {
  if (value === 'onnx' || value === 'jax') return value;
  throw usageError(
    `${where} must be "onnx" or "jax", got ${JSON.stringify(value)}`,
    'onnx: native kernels (default for float32 models); jax: jax-js WebAssembly (float64, reference)',
  );
}

/** Runs `fn` with `engine` as the default training engine of the Trainers it creates (none: unchanged). */
export function withTrainEngine<T>(engine: TrainEngine | null | undefined, fn: () => T): T {
  if (engine === null || engine === undefined) return fn();
  return scope.run(parseTrainEngine(engine), fn);
}

/** The engine of the innermost `withTrainEngine`, if any. */
export function scopedTrainEngine(): TrainEngine | undefined {
  return scope.getStore();
}
