/**
 * Checkpoints: the weights in `<name>.safetensors` with JSON metadata (format version, kind, model
 * config, tokenizer spec, step, extra) in the safetensors `__metadata__`, and the optimiser state
 * (AdamW moments, step, optimiser settings, anything the trainer needs to resume, e.g. RNG state)
 * in a sidecar `<name>.optim.safetensors`. Both are written atomically (src/core/fs.ts); a shared
 * random id ties a sidecar to its weights, and a SHA-256 of the tensor data catches corruption.
 * Float32 values round-trip bit for bit, so a resumed run continues exactly.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { inputError, usageError } from '../core/errors.js';
import { type ModelConfig, validateModelConfig } from './config.js';
import { checkWeights } from './model.js';
import type { HostWeights } from './host-weights.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import type { TokenizerSpec } from './tokenizer.js';

export const CHECKPOINT_FORMAT = 'rlmkit-checkpoint/1';

export interface CheckpointMeta {
  /** What the model is for: 'policy', 'value', 'reward', 'lm', ... */
  kind: string;
  config: ModelConfig;
  tokenizer: TokenizerSpec;
  /** Optimiser steps taken when saved. */
  step: number;
  /** Free-form JSON (training settings, data hash, ...). */
  extra: Record<string, unknown>;
}

export interface SidecarState {
  step: number;
  /** Optimiser moments, e.g. m.<name> / v.<name>. */
  moments: HostWeights;
  /** JSON the trainer needs to resume exactly (optimiser settings, RNG state, data cursor). */
  extra: Record<string, unknown>;
}

export interface Checkpoint extends CheckpointMeta {
  weights: HostWeights;
  /** Present when loaded with `withOptimizer` and the sidecar exists. */
  optimizer?: SidecarState;
}

/** `runs/x/checkpoints/step-100.safetensors` -> `runs/x/checkpoints/step-100.optim.safetensors`. */
export function sidecarPath(file: string): string {
  return file.replace(/\.safetensors$/, '') + '.optim.safetensors';
}

/** Hash of the tensors (by sorted name: name, shape, little-endian bytes). */
function tensorsDigest(t: HostWeights): string {
  const h = createHash('sha256');
  for (const name of [...t.keys()].sort()) {
    const w = t.get(name)!;
    h.update(name);
    h.update(JSON.stringify(w.shape));
    h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  }
  return h.digest('hex');
}

/** Writes weights (+ optimiser sidecar when given) atomically. The sidecar is written first. */
export function saveCheckpoint(file: string, meta: CheckpointMeta, weights: HostWeights, optimizer?: SidecarState): void {
  if (!file.endsWith('.safetensors')) throw usageError(`checkpoint path ${file} must end in .safetensors`);
  checkWeights(weights, meta.config, file);
  const id = randomBytes(8).toString('hex');
  if (optimizer) {
    writeSafetensors(sidecarPath(file), optimizer.moments, {
      format: CHECKPOINT_FORMAT,
      checkpoint_id: id,
      step: String(optimizer.step),
      extra: JSON.stringify(optimizer.extra),
      sha256: tensorsDigest(optimizer.moments),
    });
  }
  writeSafetensors(file, weights, {
    format: CHECKPOINT_FORMAT,
    checkpoint_id: id,
    kind: meta.kind,
    step: String(meta.step),
    config: JSON.stringify(meta.config),
    tokenizer: JSON.stringify(meta.tokenizer),
    extra: JSON.stringify(meta.extra),
    sha256: tensorsDigest(weights),
  });
}

export interface LoadOptions {
  /** Also read the optimiser sidecar (an error if it is missing). */
  withOptimizer?: boolean;
  /** Fail unless the stored config equals this one (e.g. when resuming a run). */
  expectConfig?: ModelConfig;
}

export function loadCheckpoint(file: string, o: LoadOptions = {}): Checkpoint {
  if (!fs.existsSync(file)) throw inputError(`checkpoint ${file} does not exist`, 'check the path (checkpoints end in .safetensors)');
  const { tensors, metadata } = readSafetensors(file);
  const bad = (why: string) =>
    inputError(`${file} is not an rlmkit checkpoint: ${why}`, 'use a checkpoint written by rlmkit (rlmkit lm train)');
  if (metadata.format !== CHECKPOINT_FORMAT)
    throw bad(`its metadata format is ${JSON.stringify(metadata.format)}, expected ${CHECKPOINT_FORMAT}`);
  const json = (key: string): unknown => {
    if (metadata[key] === undefined) throw bad(`metadata "${key}" is missing`);
    try {
      return JSON.parse(metadata[key]);
    } catch {
      throw bad(`metadata "${key}" is not valid JSON`);
    }
  };
  if (metadata.sha256 !== tensorsDigest(tensors))
    throw inputError(
      `${file} is corrupt: its tensor data does not match the stored checksum`,
      'restore the file or use another checkpoint',
    );
  let config: ModelConfig;
  try {
    config = validateModelConfig(json('config') as Partial<ModelConfig>);
  } catch (e) {
    throw bad(`its model config is invalid (${(e as Error).message})`);
  }
  if (o.expectConfig) {
    const diff = (Object.keys(o.expectConfig) as (keyof ModelConfig)[]).filter((k) => o.expectConfig![k] !== config[k]);
    if (diff.length) {
      const shown = diff.map((k) => `${k}: checkpoint ${config[k]}, expected ${o.expectConfig![k]}`).join('; ');
      throw usageError(
        `model config mismatch with checkpoint ${file} (${shown})`,
        'use the same model settings as the checkpoint, or start a new run',
      );
    }
  }
  checkWeights(tensors, config, file);
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw bad(`metadata "step" is ${JSON.stringify(metadata.step)}`);
  const ckpt: Checkpoint = {
    kind: metadata.kind ?? 'lm',
    config,
    tokenizer: json('tokenizer') as TokenizerSpec,
    step,
    extra: json('extra') as Record<string, unknown>,
    weights: tensors,
  };
  if (o.withOptimizer) {
    const side = sidecarPath(file);
    if (!fs.existsSync(side))
      throw inputError(`optimiser state ${side} is missing`, 'resume needs both files of a checkpoint; without it, load the weights only');
    const s = readSafetensors(side);
    if (s.metadata.checkpoint_id !== metadata.checkpoint_id)
      throw inputError(
        `optimiser state ${side} belongs to a different checkpoint than ${file}`,
        'the two files were written at different times; restore a matching pair',
      );
    if (s.metadata.sha256 !== tensorsDigest(s.tensors))
      throw inputError(
        `${side} is corrupt: its tensor data does not match the stored checksum`,
        'restore the file or use another checkpoint',
      );
    let extra: Record<string, unknown>;
    try {
      extra = JSON.parse(s.metadata.extra ?? '{}') as Record<string, unknown>;
    } catch {
      throw inputError(`${side}: metadata "extra" is not valid JSON`, 'restore the file or use another checkpoint');
    }
    ckpt.optimizer = { step: Number(s.metadata.step), moments: s.tensors, extra };
  }
  return ckpt;
}
