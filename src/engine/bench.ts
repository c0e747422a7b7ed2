/**
 * The engine benchmark (issues 3, 17): on the reference model (vocab 64, d128, 4 layers, 4 heads,
 * context 64) at batch 32, in one process, measure training tokens/s (./bench-train.ts: onnx and
 * jax-js engines and optionally the PyTorch/JAX peers, in interleaved rounds), batched KV-cache sampling
 * tokens/s for the jax-js and onnxruntime samplers, the largest |log-prob| difference between the
 * two engines over random sequences, and peak RSS. Compile/warm-up calls are not timed.
 */
import * as os from 'node:os';
import { Rng } from '../core/rng.js';
import { presetConfig } from './config.js';
import { LlamaModel } from './model.js';
import { BENCH_ROWS, trainBench } from './bench-train.js';
import { ensureRuntime } from './runtime.js';
import type { HostWeights, Sampler } from './sampler-types.js';
import { JaxSampler } from './jax-sampler.js';

export interface EngineBenchOptions {
  /** Timed training steps per configuration and round (after 2 warm-up steps). */
  trainSteps?: number;
  /** Interleaved training rounds (medians reported). Default 3. */
  trainRounds?: number;
  /** Also run the PyTorch and JAX peers of bench/peers/ in every round. */
  peers?: boolean;
  /** New tokens per sampled sequence (prompt is <bos> + one token). */
  newTokens?: number;
  /** Timed sampling rounds per engine (after one warm-up round). */
  sampleRounds?: number;
  seed?: number;
  /** Progress lines go here (stderr in the CLI). */
  log?: (msg: string) => void;
}

export interface EngineBenchResult extends Record<string, unknown> {
  model: string;
  parameters: number;
  batch: number;
  /** Training fields (./bench-train.ts), medians over interleaved rounds: the faster of one thread and one per core. */
  train_tokens_per_s: number;
  train_workers: number;
  train_tokens_per_s_one_thread: number;
  train_parallel_speedup: number;
  /** One thread's tokens per second of CPU time. */
  train_tokens_per_cpu_s: number;
  sample_tokens_per_s_jax: number;
  sample_tokens_per_s_onnx: number | null;
  onnx_speedup: number | null;
  logprob_parity_max_abs: number | null;
  peak_rss_mb: number;
  onnx_error?: string;
  /** Machine load while measuring: wall-clock rates are only comparable at similar load. */
  load_average_1m: number;
  cpus: number;
}

async function samplingRate(s: Sampler, prompts: number[][], newTokens: number, rounds: number, seed: number): Promise<number> {
  await s.sample(prompts, { maxNewTokens: newTokens, seed }); // warm-up: compiles / creates sessions
  let tokens = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const res = await s.sample(prompts, { maxNewTokens: newTokens, seed: seed + r + 1 });
    tokens += res.reduce((n, x) => n + x.tokens.length, 0);
  }
  return tokens / ((performance.now() - t0) / 1000);
}

export async function runEngineBench(o: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const log = o.log ?? (() => undefined);
  const seed = o.seed ?? 0;
  const trainSteps = o.trainSteps ?? 10;
  const rounds = o.sampleRounds ?? 3;
  await ensureRuntime();
  const cfg = presetConfig('reference');
  const newTokens = Math.min(o.newTokens ?? cfg.maxSeqLen - 2, cfg.maxSeqLen - 2);
  const rng = new Rng(seed).fork('bench.engine');
  const model = LlamaModel.init(cfg, seed);
  const result: Partial<EngineBenchResult> = { model: 'reference (vocab 64, d128, 4 layers, 4 heads, ctx 64)', batch: BENCH_ROWS };

  Object.assign(
    result,
    await trainBench(model, cfg, { steps: trainSteps, rounds: o.trainRounds ?? 3, peers: o.peers ?? false, seed, log }),
  );
  log(`train: rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);
  result.parameters = [...model.hostWeights().values()].reduce((n, w) => n + w.data.length, 0);

  // Sampling with both engines on the same (trained-for-a-few-steps) weights.
  const weights: HostWeights = model.hostWeights();
  const prompts = Array.from({ length: BENCH_ROWS }, () => [1, rng.int(4, cfg.vocabSize - 1)]);
  log(`sample (jax): ${rounds} rounds of ${BENCH_ROWS} x ${newTokens} new tokens`);
  const jax = new JaxSampler(model);
  result.sample_tokens_per_s_jax = Math.round(await samplingRate(jax, prompts, newTokens, rounds, seed));
  log(`sample (jax): rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);

  let onnx: Sampler | undefined;
  try {
    const mod = (await import('./onnx/sampler.js')) as { createOnnxSampler: (w: HostWeights, c: typeof cfg) => Promise<Sampler> };
    onnx = await mod.createOnnxSampler(weights, cfg);
  } catch (e) {
    result.onnx_error = (e as Error).message.split('\n')[0];
  }
  if (onnx) {
    log(`sample (onnx): ${rounds} rounds of ${BENCH_ROWS} x ${newTokens} new tokens`);
    result.sample_tokens_per_s_onnx = Math.round(await samplingRate(onnx, prompts, newTokens, rounds, seed));
    result.onnx_speedup = +(result.sample_tokens_per_s_onnx / result.sample_tokens_per_s_jax).toFixed(2);
    // Parity: random full-context sequences and sequences the onnx sampler generated, scored by both.
    log('parity: scoring random and sampled sequences with both engines');
    const randomSeqs = Array.from({ length: BENCH_ROWS }, () => [
      1,
      ...Array.from({ length: cfg.maxSeqLen - 1 }, () => rng.int(0, cfg.vocabSize - 1)),
    ]);
    const sampled = await onnx.sample(prompts, { maxNewTokens: newTokens, seed: seed + 99 });
    const sampledSeqs = prompts.map((p, i) => [...p, ...sampled[i].tokens]);
    let maxAbs = 0;
    for (const [seqs, lens] of [
      [randomSeqs, randomSeqs.map(() => 1)],
      [sampledSeqs, prompts.map((p) => p.length)],
    ] as const) {
      const a = await jax.scoreLogprobs(seqs as number[][], lens as number[]);
      const b = await onnx.scoreLogprobs(seqs as number[][], lens as number[]);
      a.forEach((row, i) =>
        row.forEach((x, j) => {
          maxAbs = Math.max(maxAbs, Math.abs(x - b[i][j]));
        }),
      );
    }
    // The onnx sampler's own KV-cache log-probs against the jax-js full forward.
    const jaxScores = await jax.scoreLogprobs(
      sampledSeqs,
      prompts.map((p) => p.length),
    );
    sampled.forEach((r, i) =>
      r.logprobs.forEach((x, j) => {
        maxAbs = Math.max(maxAbs, Math.abs(x - jaxScores[i][j]));
      }),
    );
    result.logprob_parity_max_abs = maxAbs;
    onnx.dispose();
  } else {
    result.sample_tokens_per_s_onnx = null;
    result.onnx_speedup = null;
    result.logprob_parity_max_abs = null;
  }
  jax.dispose();
  model.dispose();
  result.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  result.load_average_1m = +os.loadavg()[0].toFixed(2);
  result.cpus = os.cpus().length;
  return result as EngineBenchResult;
}
