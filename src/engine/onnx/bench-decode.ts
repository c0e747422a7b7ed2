/**
 * Measures the ONNX sampler's batched decode speed on the reference model of issue 3 (vocab 64,
 * d_model 128, 4 layers, 4 heads, context 64) with random weights. Standalone:
 *
 *   npx tsx src/engine/onnx/bench-decode.ts [--batch 32] [--threads auto|1|2] [--ops onnxruntime|standard]
 *                                           [--reps 5] [--prompt 4] [--json]
 *
 * Every row generates until the context is full: the weights make <eos> vanishingly unlikely (its
 * LM-head row is zero while the other logits are spread wide), so the batch stays full and the
 * figure is the steady batched decode rate, prefill included. Reports the best and median of
 * `reps` runs, in wall time and in process CPU time (the CPU figure is steadier on a shared
 * machine), and the share of wall time spent inside onnxruntime.
 */
import { Rng } from '../../core/rng.js';
import { presetConfig, type ModelConfig } from '../config.js';
import { EOS_TOKEN, type HostWeights } from '../sampler-types.js';
import type { OpSet } from './decoder-graphs.js';
import { randomWeights } from './reference.js';
import { createOnnxSampler } from './sampler.js';

export interface DecodeBenchOptions {
  batch?: number;
  threads?: number | 'auto';
  ops?: OpSet;
  reps?: number;
  promptLength?: number;
  config?: ModelConfig;
}

export interface DecodeBenchResult {
  batch: number;
  threads: number | 'auto';
  /** Thread count the decode graph ended up using. */
  decode_threads: number;
  ops: OpSet;
  tokens_per_run: number;
  tokens_per_s_best: number;
  tokens_per_s_median: number;
  tokens_per_cpu_s_best: number;
  onnxruntime_share: number;
}

/** Random weights whose samples never end early: <eos>'s LM-head row is zero, other logits spread. */
export function benchWeights(cfg: ModelConfig, seed = 1): HostWeights {
  const w = randomWeights(cfg, new Rng(seed), 0.08);
  const head = w.get(cfg.tieEmbeddings ? 'tok_embeddings.weight' : 'output.weight')!.data;
  const rng = new Rng(seed + 1);
  for (let i = 0; i < head.length; i++) head[i] = rng.normal(0, 0.3);
  head.fill(0, EOS_TOKEN * cfg.dModel, (EOS_TOKEN + 1) * cfg.dModel);
  return w;
}

export async function benchOnnxDecode(o: DecodeBenchOptions = {}): Promise<DecodeBenchResult> {
  const cfg = o.config ?? presetConfig('reference', { tieEmbeddings: false });
  const batch = o.batch ?? 32;
  const threads = o.threads ?? 'auto';
  const ops = o.ops ?? 'onnxruntime';
  const reps = o.reps ?? 5;
  const promptLength = o.promptLength ?? 4;
  const sampler = await createOnnxSampler(benchWeights(cfg), cfg, { threads, ops });
  try {
    const rng = new Rng(7);
    const prompts = Array.from({ length: batch }, () => [
      1,
      ...Array.from({ length: promptLength - 1 }, () => rng.int(4, cfg.vocabSize - 1)),
    ]);
    const maxNewTokens = cfg.maxSeqLen - promptLength;
    await sampler.sample(prompts, { maxNewTokens: 4, seed: 0 }); // warm-up
    const wall: number[] = [];
    const cpu: number[] = [];
    let tokens = 0;
    let share = 0;
    for (let r = 0; r < reps; r++) {
      sampler.stats.runMs = 0;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await sampler.sample(prompts, { maxNewTokens, seed: r });
      const dt = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      tokens = res.reduce((n, x) => n + x.tokens.length, 0);
      wall.push(tokens / dt);
      cpu.push(tokens / ((c.user + c.system) / 1e6));
      share += sampler.stats.runMs / 1000 / dt / reps;
    }
    wall.sort((a, b) => a - b);
    return {
      batch,
      threads,
      decode_threads: sampler.decodeThreads,
      ops,
      tokens_per_run: tokens,
      tokens_per_s_best: Math.round(wall[wall.length - 1]),
      tokens_per_s_median: Math.round(wall[Math.floor(wall.length / 2)]),
      tokens_per_cpu_s_best: Math.round(Math.max(...cpu)),
      onnxruntime_share: Number(share.toFixed(3)),
    };
  } finally {
    sampler.dispose();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  const threadsArg = arg('threads');
  const result = await benchOnnxDecode({
    batch: num('batch'),
    threads: threadsArg === undefined || threadsArg === 'auto' ? 'auto' : Number(threadsArg),
    ops: arg('ops') as OpSet | undefined,
    reps: num('reps'),
    promptLength: num('prompt'),
  });
  console.log(process.argv.includes('--json') ? JSON.stringify(result) : result);
}
