/**
 * The types the training step and its helpers share (the trainer, the gradient workers, the loss
 * registry of ./loss-info.ts, the native engine), in a file that imports no module of theirs, so
 * the engine's imports form a line: train.ts -> grad-pool.ts -> grad-worker.ts -> train-types.ts.
 */
import type { HostWeights } from './host-weights.js';
import type { ModelOutputs } from './outputs.js';
import type { Tensor } from './tensor.js';

/** One (micro-)batch on the host. Rows shorter than the trainer's seqLen are padded. */
export interface TrainBatch {
  /** Input token ids per row. */
  tokens: number[][];
  /** Target ids per row (usually tokens shifted by one), same lengths as `tokens`. */
  targets: number[][];
  /**
   * Extra float inputs for the loss builder, by name: per-token [B][T] (padded with 0) or per-row
   * [B]. Missing rows (fewer rows than batchSize) are 0, so a loss must weight tokens by a mask.
   */
  floats?: Record<string, number[][] | number[]>;
}

/** A loss builder: runs traced inside the jitted step; use `ops` (src/engine/tensor.ts). */
export type LossFn = (out: ModelOutputs, batch: Record<string, Tensor>) => { loss: Tensor; metrics?: Record<string, Tensor> };

/** AdamW state saved with a checkpoint (the moments by weight name). */
export interface OptimizerState {
  step: number;
  moments: HostWeights;
}
