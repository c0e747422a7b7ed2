/**
 * The same-weights row of `rlmkit bench engine`: the shipped checkpoint
 * (checkpoints/game24-sft/policy.safetensors) sampled at temperature 1 by rlmkit's onnxruntime
 * sampler and by llama.cpp (node-llama-cpp 3.22.1, CPU) on its GGUF export, at batch 1 and batch 32.
 *
 * Both sides get the same prompts (Game of 24 test puzzles, <bos> first as the checkpoint wants),
 * sample until <eos> or the context (80 tokens) is full, and count the tokens they generated. A
 * timed round at batch 1 is 8 calls of each engine, alternating call by call; at batch 32, 2 calls.
 * llama.cpp runs through rlmkit's GGUF backend (no stop sequences, so no per-token text work): its
 * batch is parallel sequences of one context, which llama.cpp evaluates together. Both engines get
 * one thread (`threads`, default 1): equal resources, and the setting llama.cpp runs a model this
 * small fastest with on a shared machine (its threads spin-wait for each other after every op; at 2
 * threads on a loaded 2-core machine a batch of 32 took minutes). Calls alternate between the
 * engines so machine load hits both; medians over rounds are reported and the ratio is
 * onnx / llama.cpp (above 1: rlmkit faster).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEmbeddedCheckpoint } from '../../models/embedded.js';
import { writeGguf } from '../../models/gguf-export.js';
import { median } from './stats.js';

export const SHIPPED_CHECKPOINT = 'checkpoints/game24-sft/policy.safetensors';

export interface SameWeightsRow {
  checkpoint: string;
  engines: string;
  batches: Record<
    string,
    {
      onnx_tokens_per_s: number;
      llamacpp_tokens_per_s: number;
      threads: number;
      onnx_over_llamacpp: number;
      tokens_per_round: { onnx: number; llamacpp: number };
      calls_per_round: number;
    }
  >;
  rounds: number;
  error?: string;
}

interface Engine {
  run(prompts: number[][], seed: number): Promise<number>;
  dispose(): Promise<void>;
}

async function onnxEngine(file: string, threads: number): Promise<Engine> {
  const src = readEmbeddedCheckpoint(file);
  const { createOnnxSampler } = await import('../../engine/onnx/sampler.js');
  const s = await createOnnxSampler(src.weights, src.config, { threads });
  const maxNew = src.config.maxSeqLen;
  return {
    async run(prompts, seed) {
      const res = await s.sample(prompts, { maxNewTokens: maxNew - Math.max(...prompts.map((p) => p.length)), temperature: 1, seed });
      return res.reduce((n, r) => n + r.tokens.length, 0);
    },
    dispose: async () => s.dispose(),
  };
}

/** llama.cpp through rlmkit's GGUF backend: `batch` sequences of one context, evaluated together. */
async function llamaEngine(gguf: string, batch: number, threads: number, prompts: string[]): Promise<Engine> {
  const { GgufPolicy } = await import('../../models/gguf.js');
  const g = await GgufPolicy.load(gguf, { threads, parallel: batch });
  const ctx = g.capabilities.contextTokens ?? 80;
  return {
    async run(_ids, seed) {
      const maxTokens = ctx - Math.max(...prompts.map((p) => g.countTokens(p) + 1));
      const out = await g.generate(
        prompts.map((prompt) => ({ prompt })),
        { temperature: 1, topK: 0, topP: 1, maxTokens, seed: seed * 1000 },
      );
      return out.reduce((n, c) => n + c[0].usage.completionTokens, 0);
    },
    dispose: () => g.close(),
  };
}

/**
 * One timed round: `reps` calls of each engine, alternating call by call so that the load of a
 * shared machine falls on both alike (a batch-1 call is too short to time alone).
 */
async function timedPair(
  a: Engine,
  b: Engine,
  prompts: number[][],
  seed: number,
  reps: number,
): Promise<[{ tokens: number; ms: number }, { tokens: number; ms: number }]> {
  const out: [{ tokens: number; ms: number }, { tokens: number; ms: number }] = [
    { tokens: 0, ms: 0 },
    { tokens: 0, ms: 0 },
  ];
  for (let k = 0; k < reps; k++) {
    for (const [i, e] of (k % 2 === 0
      ? [
          [0, a],
          [1, b],
        ]
      : [
          [1, b],
          [0, a],
        ]) as [number, Engine][]) {
      const t0 = performance.now();
      out[i].tokens += await e.run(prompts, seed * 100 + k);
      out[i].ms += performance.now() - t0;
    }
  }
  return out;
}

export async function runSameWeights(
  o: { rounds?: number; batches?: number[]; threads?: number; log?: (m: string) => void } = {},
): Promise<SameWeightsRow> {
  const rounds = o.rounds ?? 3;
  const threads = o.threads ?? 1;
  const batches = o.batches ?? [1, 32];
  const log = o.log ?? (() => undefined);
  const row: SameWeightsRow = {
    checkpoint: SHIPPED_CHECKPOINT,
    engines: 'onnxruntime sampler vs llama.cpp (node-llama-cpp, CPU, F32 GGUF export)',
    batches: {},
    rounds,
  };
  const file = path.resolve(SHIPPED_CHECKPOINT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-bench-sw-'));
  try {
    const src = readEmbeddedCheckpoint(file);
    const gguf = path.join(dir, 'model.gguf');
    writeGguf(gguf, src.config, src.weights, src.tokenizer, { addBos: src.bos ?? false });
    const { game24Task } = await import('../../tasks/index.js');
    const problems = await game24Task.problems({ split: 'test' });
    const bos = src.bos ? [src.tokenizer.bos] : [];
    const onnx = await onnxEngine(file, threads);
    try {
      for (const batch of batches) {
        const texts = Array.from({ length: batch }, (_, i) => game24Task.renderPlain(problems[i % problems.length], []));
        const prompts = texts.map((t) => [...bos, ...src.tokenizer.encode(t)]);
        const reps = Math.max(2, Math.round(8 / batch));
        const best = { threads, engine: await llamaEngine(gguf, batch, threads, texts) };
        await best.engine.run(prompts, 0);
        await onnx.run(prompts, 0);
        const onnxRates: number[] = [];
        const llamaRates: number[] = [];
        const tokens = { onnx: 0, llamacpp: 0 };
        for (let r = 0; r < rounds; r++) {
          const [a, b] = await timedPair(onnx, best.engine, prompts, 10 + r, reps);
          onnxRates.push(a.tokens / (a.ms / 1000));
          llamaRates.push(b.tokens / (b.ms / 1000));
          tokens.onnx += a.tokens;
          tokens.llamacpp += b.tokens;
          log(
            `same weights, batch ${batch}, round ${r + 1}/${rounds}: onnx ${Math.round(onnxRates[r])} tok/s, llama.cpp ${Math.round(llamaRates[r])} tok/s (${best.threads} thread${best.threads > 1 ? 's' : ''})`,
          );
        }
        await best.engine.dispose();
        const [on, ll] = [median(onnxRates), median(llamaRates)];
        row.batches[String(batch)] = {
          onnx_tokens_per_s: Math.round(on),
          llamacpp_tokens_per_s: Math.round(ll),
          threads,
          onnx_over_llamacpp: +(on / ll).toFixed(2),
          tokens_per_round: { onnx: Math.round(tokens.onnx / rounds), llamacpp: Math.round(tokens.llamacpp / rounds) },
          calls_per_round: reps,
        };
      }
    } finally {
      await onnx.dispose();
    }
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}
