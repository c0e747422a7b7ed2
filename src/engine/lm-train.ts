/**
 * `rlmkit lm train`: supervised training of a language model on a JSONL file, in a run directory
 * (runs/<name>/: config.yaml, metrics.jsonl, checkpoints/step-N.safetensors + optimiser sidecars,
 * checkpoints/latest.json). Resuming loads the latest checkpoint and continues bit-identically:
 * weights and AdamW moments round-trip exactly, the schedule depends only on the step, and the
 * data order is a pure function of (seed, step).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inputError, usageError } from '../core/errors.js';
import { readJson, readText, writeJsonAtomic } from '../core/fs.js';
import { Progress } from '../core/progress.js';
import { RunDir, runObject, runPathInside } from '../core/rundir.js';
import { type ModelConfig, parameterCount, presetConfig } from './config.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { batchIndices, encodeExamples, makeBatch, readTextDataset } from './lm-data.js';
import { maskedCrossEntropy } from './losses.js';
import { LlamaModel } from './model.js';
import { ensureRuntime } from './runtime.js';
import { CharTokenizer, tokenizerFromSpec } from './tokenizer.js';
import { type TrainEngine, parseTrainEngine } from './engine-scope.js';
import { Trainer } from './train.js';

export interface LmTrainOptions {
  data: string;
  preset: string;
  /** Model config overrides (e.g. from --set d_model=64), by ModelConfig field. */
  model: Partial<ModelConfig>;
  steps: number;
  batchSize: number;
  /** Micro-batches per optimiser step (gradient accumulation). */
  gradAccum: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  clipNorm: number;
  seed: number;
  /** Save a checkpoint every N steps (and at the end). */
  saveEvery: number;
  run: string;
  runsRoot?: string;
  resume: boolean;
  overwrite?: boolean;
  progress?: 'bar' | 'log' | 'silent';
  /** Training engine (default: onnx for float32 models). */
  engine?: TrainEngine;
}

export interface LmTrainResult {
  runDir: string;
  checkpoint: string;
  step: number;
  loss: number;
  tokensPerSecond: number;
  parameters: number;
}

export async function trainLanguageModel(o: LmTrainOptions): Promise<LmTrainResult> {
  for (const [k, v] of [
    ['steps', o.steps],
    ['batchSize', o.batchSize],
    ['gradAccum', o.gradAccum],
    ['saveEvery', o.saveEvery],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw usageError(`${k} must be a positive integer, got ${v}`);
  }
  const dataPath = path.resolve(o.data);
  const examples = readTextDataset(dataPath);
  const dataHash = createHash('sha256').update(readText(dataPath)).digest('hex').slice(0, 16);
  const runConfig = {
    command: 'lm train',
    data: dataPath,
    preset: o.preset,
    model: o.model,
    train: {
      steps: o.steps,
      batchSize: o.batchSize,
      gradAccum: o.gradAccum,
      lr: o.lr,
      warmup: o.warmup,
      weightDecay: o.weightDecay,
      clipNorm: o.clipNorm,
      seed: o.seed,
      saveEvery: o.saveEvery,
      ...(o.engine ? { engine: parseTrainEngine(o.engine, '--engine') } : {}),
    },
  };
  const run = RunDir.open(o.run, { root: o.runsRoot, mode: o.resume ? 'resume' : o.overwrite ? 'overwrite' : 'new', config: runConfig });
  await ensureRuntime();

  const pointer = path.join(run.checkpointsDir, 'latest.json');
  // The pointer's file name must stay inside the run's checkpoints folder (core/rundir.ts).
  const resumeFrom =
    run.resumed && fs.existsSync(pointer)
      ? runPathInside(run.checkpointsDir, runObject(readJson(pointer), pointer).file, pointer, 'file')
      : undefined;
  const ckpt = resumeFrom ? loadCheckpoint(resumeFrom, { withOptimizer: true }) : undefined;
  const tokenizer = ckpt ? tokenizerFromSpec(ckpt.tokenizer) : CharTokenizer.fromTexts(examples.flatMap((e) => [e.prompt, e.response]));
  const config = ckpt ? ckpt.config : presetConfig(o.preset, { vocabSize: tokenizer.vocabSize, ...o.model });
  if (config.vocabSize < tokenizer.vocabSize)
    throw usageError(
      `vocabSize ${config.vocabSize} is smaller than the ${tokenizer.vocabSize} tokens the data needs`,
      'drop the vocabSize override',
    );
  const encoded = encodeExamples(examples, tokenizer, config.maxSeqLen, dataPath);
  const seqLen = Math.max(...encoded.map((e) => e.ids.length - 1));

  const model = ckpt ? LlamaModel.fromHostWeights(ckpt.weights, config) : LlamaModel.init(config, o.seed);
  const trainer = new Trainer(model, {
    miniBatchRows: o.batchSize,
    seqLen,
    lossFn: maskedCrossEntropy,
    engine: o.engine,
    optimizer: { lr: o.lr, weightDecay: o.weightDecay, clipNorm: o.clipNorm },
    schedule: { warmupSteps: o.warmup, totalSteps: o.steps, minLrRatio: 0.1 },
  });
  if (ckpt?.optimizer) trainer.loadOptimizerState(ckpt.optimizer);
  const startStep = trainer.step;
  run.truncateMetricsAfter(startStep);

  const save = (): string => {
    const file = path.join(run.checkpointsDir, `step-${trainer.step}.safetensors`);
    saveCheckpoint(
      file,
      { kind: 'lm', config, tokenizer: tokenizer.spec(), step: trainer.step, extra: { data: dataPath, dataHash, seqLen, run: o.run } },
      model.hostWeights(),
      {
        ...trainer.optimizerState(),
        extra: { adam: trainer.adam, schedule: trainer.schedule, seed: o.seed, batchSize: o.batchSize, gradAccum: o.gradAccum },
      },
    );
    writeJsonAtomic(pointer, { file: path.basename(file), step: trainer.step });
    return file;
  };

  const progress = new Progress({ label: 'lm train', total: o.steps, unit: 'steps', mode: o.progress });
  progress.update(startStep);
  let lastLoss = NaN;
  let lastFile = resumeFrom ?? '';
  const t0 = Date.now();
  let tokens = 0;
  try {
    for (let step = startStep; step < o.steps; step++) {
      const micro = [];
      for (let k = 0; k < o.gradAccum; k++) {
        const idx = batchIndices(encoded.length, o.batchSize, step * o.gradAccum + k, o.seed);
        micro.push(makeBatch(idx.map((i) => encoded[i])));
        tokens += idx.reduce((n, i) => n + encoded[i].ids.length - 1, 0);
      }
      const r = await trainer.trainStep(micro);
      lastLoss = r.loss;
      const tps = tokens / Math.max(1e-3, (Date.now() - t0) / 1000);
      run.appendMetrics({
        step: r.step,
        loss: r.loss,
        lr: r.lr,
        grad_norm: r.gradNorm,
        entropy: r.metrics.entropy,
        tokens_per_s: Math.round(tps),
      });
      progress.update(r.step, { loss: r.loss });
      if (!Number.isFinite(r.loss))
        throw inputError(`training diverged at step ${r.step} (loss ${r.loss})`, 'lower the learning rate (--lr) or raise warmup');
      if (r.step % o.saveEvery === 0 || r.step === o.steps) lastFile = save();
    }
  } finally {
    progress.stop();
  }
  if (!lastFile) lastFile = save();
  const tokensPerSecond = tokens / Math.max(1e-3, (Date.now() - t0) / 1000);
  const result = {
    runDir: run.dir,
    checkpoint: lastFile,
    step: trainer.step,
    loss: lastLoss,
    tokensPerSecond,
    parameters: parameterCount(config),
  };
  trainer.dispose();
  model.dispose();
  return result;
}
