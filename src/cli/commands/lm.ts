/**
 * `rlmkit lm train` and `rlmkit lm sample`: train rlmkit's own small language model on a JSONL file
 * and sample from a checkpoint. The work lives in src/engine (lm-train.ts); this file parses flags.
 */
import { type Command, Option } from 'commander';
import * as path from 'node:path';
import { usageError } from '../../core/errors.js';
import type { ModelConfig } from '../../engine/config.js';
import { logger } from '../../core/log.js';
import type { CommandModule } from '../registry.js';
import { collect, floatOption, intOption } from '../options.js';

/**
 * Model settings `--set` takes, by their user-facing snake_case names (the recipes' `model`
 * section spells them alike) -> the ModelConfig field. The camelCase field names are accepted too,
 * for compatibility; help and errors show the snake_case names.
 */
const MODEL_SETTINGS: Record<string, keyof ModelConfig> = {
  vocab_size: 'vocabSize',
  d_model: 'dModel',
  n_layers: 'nLayers',
  n_heads: 'nHeads',
  d_ff: 'dFF',
  max_seq_len: 'maxSeqLen',
  rope_theta: 'ropeTheta',
  norm_eps: 'normEps',
  tie_embeddings: 'tieEmbeddings',
  value_head: 'valueHead',
};

/** Parses repeated `--set key=value` into model-config overrides (numbers and booleans). */
export function parseModelSets(sets: string[]): Record<string, number | boolean> {
  const names = Object.keys(MODEL_SETTINGS);
  const byField = new Map(Object.entries(MODEL_SETTINGS).map(([name, field]) => [field as string, name]));
  const out: Record<string, number | boolean> = {};
  const writtenAs = new Map<string, string>();
  for (const s of sets) {
    const m = /^([A-Za-z_]+)=(.+)$/.exec(s.trim());
    if (!m) throw usageError(`--set ${s}: expected key=value`, `keys: ${names.join(', ')}`);
    const [, key, raw] = m;
    const name = Object.hasOwn(MODEL_SETTINGS, key) ? key : byField.get(key);
    if (name === undefined) throw usageError(`--set ${s}: unknown model setting "${key}"`, `keys: ${names.join(', ')}`);
    const before = writtenAs.get(name);
    if (before !== undefined && before !== key)
      throw usageError(`--set ${s}: model setting ${name} is given twice (as ${before} and as ${key})`, `write it once, as ${name}`);
    writtenAs.set(name, key);
    const field = MODEL_SETTINGS[name];
    if (name === 'tie_embeddings' || name === 'value_head') {
      if (raw !== 'true' && raw !== 'false') throw usageError(`--set ${s}: ${name} must be true or false`);
      out[field] = raw === 'true';
    } else {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw usageError(`--set ${s}: ${name} must be a number`);
      out[field] = n;
    }
  }
  return out;
}

function registerTrain(lm: Command): void {
  lm.command('train')
    .description('train a language model on JSONL lines {"text": ...} or {"prompt": ..., "response": ...} (loss on the response)')
    .requiredOption('--data <file>', 'JSONL training data')
    .addOption(new Option('--preset <name>', 'model size').choices(['tiny', 'small', 'reference']).default('tiny'))
    .option('--steps <n>', 'optimiser steps', intOption(1), 1000)
    .option('--batch-size <n>', 'sequences per micro-batch', intOption(1, 4096), 32)
    .option('--grad-accum <n>', 'micro-batches per optimiser step', intOption(1, 1024), 1)
    .option('--lr <x>', 'peak learning rate', floatOption(0), 3e-3)
    .option('--warmup <n>', 'linear warmup steps', intOption(0), 50)
    .option('--weight-decay <x>', 'AdamW decoupled weight decay', floatOption(0), 0.1)
    .option('--clip-norm <x>', 'global gradient-norm clip (0: off)', floatOption(0), 1)
    .option('--seed <n>', 'seed for initialisation and data order', intOption(0), 0)
    .option('--save-every <n>', 'checkpoint every N steps (and at the end)', intOption(1), 200)
    .option('--run <name>', 'run directory name under runs/ (default lm-<data file name>)')
    .option('--runs-root <dir>', 'folder that holds runs', 'runs')
    .option('--resume', 'continue the run from its latest checkpoint', false)
    .option('--overwrite', 'start the run over (the old one is moved aside)', false)
    .option('--set <key=value>', 'model setting, snake_case as in recipes, e.g. --set d_model=64 (repeatable)', collect, [])
    .addOption(
      new Option('--engine <engine>', 'training engine: onnx (native kernels; the default) or jax (jax-js WebAssembly)').choices([
        'onnx',
        'jax',
      ]),
    )
    .option('--json', 'print the result as one JSON object', false)
    .action(async (opts) => {
      const { trainLanguageModel } = await import('../../engine/lm-train.js');
      const data = String(opts.data);
      const run =
        (opts.run as string | undefined) ??
        `lm-${
          path
            .basename(data)
            .replace(/\.[^.]*$/, '')
            .replace(/[^A-Za-z0-9._-]/g, '_') || 'data'
        }`;
      const r = await trainLanguageModel({
        data,
        preset: opts.preset,
        model: parseModelSets(opts.set),
        steps: opts.steps,
        batchSize: opts.batchSize,
        gradAccum: opts.gradAccum,
        lr: opts.lr,
        warmup: opts.warmup,
        weightDecay: opts.weightDecay,
        clipNorm: opts.clipNorm,
        seed: opts.seed,
        saveEvery: opts.saveEvery,
        run,
        runsRoot: opts.runsRoot,
        resume: opts.resume,
        overwrite: opts.overwrite,
        engine: opts.engine,
      });
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        logger.info('training done', {
          step: r.step,
          loss: +r.loss.toFixed(4),
          tokens_per_s: Math.round(r.tokensPerSecond),
          parameters: r.parameters,
        });
        process.stdout.write(`${r.checkpoint}\n`);
      }
    });
}

function registerSample(lm: Command): void {
  lm.command('sample')
    .description('sample completions of a prompt from a checkpoint')
    .requiredOption('--model <ckpt>', 'checkpoint (.safetensors) written by rlmkit lm train')
    .requiredOption('--prompt <text>', 'prompt text (use "\\n" inside it for a step break)')
    .option('--n <n>', 'number of samples', intOption(1, 4096), 1)
    .option('--temperature <x>', 'softmax temperature (0: greedy)', floatOption(0), 1)
    .option('--top-k <n>', 'keep the k most likely tokens (0: all)', intOption(0), 0)
    .option('--top-p <x>', 'nucleus sampling threshold', floatOption(0, 1), 1)
    .option('--max-tokens <n>', 'new tokens at most', intOption(0), 64)
    .option('--seed <n>', 'sampling seed', intOption(0), 0)
    .option('--stop-at-step', 'stop after one reasoning step (at <eos_step>, i.e. a newline)', false)
    .addOption(new Option('--engine <engine>', 'sampling engine').choices(['jax', 'onnx']).default('onnx'))
    .option('--json', 'print one JSON object per sample', false)
    .action(async (opts) => {
      const { sampleFromCheckpoint } = await import('../../engine/lm-sample.js');
      if (opts.topP <= 0) throw usageError('--top-p must be in (0, 1]');
      const samples = await sampleFromCheckpoint({
        model: opts.model,
        prompt: String(opts.prompt).replace(/\\n/g, '\n'),
        n: opts.n,
        engine: opts.engine,
        options: {
          maxNewTokens: opts.maxTokens,
          temperature: opts.temperature,
          topK: opts.topK,
          topP: opts.topP,
          seed: opts.seed,
          stopTokens: opts.stopAtStep ? [3] : [],
        },
      });
      for (const [i, s] of samples.entries()) {
        if (opts.json) process.stdout.write(JSON.stringify(s) + '\n');
        else {
          const lp = s.logprobs.reduce((a, b) => a + b, 0);
          process.stdout.write(`--- sample ${i + 1}: ${s.finishReason}, ${s.tokens.length} tokens, logprob ${lp.toFixed(3)}\n${s.text}\n`);
        }
      }
    });
}

export const lmCommand: CommandModule = {
  name: 'lm',
  summary: "train and sample rlmkit's own small language models",
  register(program: Command) {
    const lm = program.command('lm').description("train and sample rlmkit's own small language models (embedded engine)");
    registerTrain(lm);
    registerSample(lm);
  },
};
