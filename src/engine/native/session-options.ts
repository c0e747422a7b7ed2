/** onnxruntime session options of the native engine (shared by the main thread and its workers). */
import type * as ort from 'onnxruntime-node';

/** Sequential graph, all graph optimisations, no spinning threads (they burn a shared core). */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}
