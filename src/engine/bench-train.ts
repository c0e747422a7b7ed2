/**
 * The training half of `rlmkit bench engine`: the reference model at mini-batch 32 (2 micro-batches of 16
 * rows), timed in interleaved rounds so that every configuration sees the same machine load:
 * each round runs the onnx engine on one thread and on one thread per core, the jax-js engine on
 * one thread, and (with `peers`) the PyTorch and JAX scripts of bench/peers/ on one thread.
 * Reported: per-round rates and ratios, and their medians (a shared machine's load changes from
 * minute to minute; ratios measured in the same round are what compare).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Rng } from '../core/rng.js';
import type { ModelConfig } from './config.js';
import { maskedCrossEntropy } from './losses.js';
import type { LlamaModel } from './model.js';
import { type TrainEngine, Trainer } from './train.js';

/** Rows of a training mini-batch (and of a sampling batch in ./bench.ts). */
export const BENCH_ROWS = 32;
const MICRO_BATCH_ROWS = 16;

export interface Rate {
  tokens_per_s: number;
  tokens_per_cpu_s: number;
  /** Tokens per second of the main thread's own CPU time (Linux; null elsewhere). */
  tokens_per_main_thread_cpu_s?: number | null;
}

/**
 * CPU seconds of this process's main thread (Linux /proc, clock ticks of 1/100 s), or null. On a
 * busy machine the wall clock measures the scheduler as much as the code; the main thread's CPU
 * time is the critical path of a data-parallel step (it runs its micro-batches and all the host work while
 * the workers run theirs), so 1-thread CPU per step / main-thread CPU per step estimates what a
 * quiet machine's parallel speedup would be, as long as the workers' share is not larger.
 */
function mainThreadCpuS(): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

export interface PeerRate extends Rate {
  version?: string;
}

export interface TrainRound {
  onnx_1: Rate;
  onnx_n: Rate & { threads: number };
  jax_1: Rate;
  peers: Record<string, PeerRate | { error: string }>;
}

export interface PeerSummary {
  version?: string;
  tokens_per_s: number;
  tokens_per_cpu_s: number;
  /** Median over rounds of rlmkit (onnx, one thread) / peer, per round. */
  rlmkit_ratio_tokens_per_s: number;
  rlmkit_ratio_tokens_per_cpu_s: number;
  ratios_per_round: { tokens_per_s: number; tokens_per_cpu_s: number }[];
}

export const PEERS: Record<string, { script: string; args: string[] }> = {
  'pytorch-eager': { script: 'torch_train.py', args: [] },
  'jax-jit': { script: 'jax_train.py', args: [] },
};

/**
 * One thread's CPU per token over the critical path of the n-thread step, taken as the larger of
 * the main thread's CPU and all other threads' CPU together (conservative: the workers run in
 * parallel with each other too).
 */
function cpuEstimate(x: TrainRound): number {
  const one = 1 / x.onnx_1.tokens_per_cpu_s;
  const main = 1 / x.onnx_n.tokens_per_main_thread_cpu_s!;
  const rest = 1 / x.onnx_n.tokens_per_cpu_s - main;
  return one / Math.max(main, rest);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const r2 = (x: number) => +x.toFixed(2);

/** Where bench/peers/ is (repository root, next to src/ and dist/). */
export function peersDir(): string {
  return fileURLToPath(new URL('../../bench/peers/', import.meta.url));
}

/** Runs one peer script on one thread; an error (no Python, no torch) is reported, not thrown. */
export function runPeer(name: string, steps: number, seed: number): PeerRate | { error: string } {
  const peer = PEERS[name];
  const script = peersDir() + peer.script;
  if (!fs.existsSync(script)) return { error: `${script} not found (peers run from a source checkout)` };
  const python = process.env.RLMKIT_PYTHON ?? 'python3';
  const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const res = spawnSync(python, [script, '--steps', String(steps), '--threads', '1', '--seed', String(seed), ...peer.args], {
    encoding: 'utf8',
    env,
    timeout: 600_000,
  });
  if (res.error) return { error: `${python}: ${res.error.message}` };
  const last = res.stdout.trim().split('\n').pop() ?? '';
  if (res.status !== 0 || !last.startsWith('{')) {
    const why = (res.stderr.trim().split('\n').pop() ?? '').slice(0, 200);
    return {
      error: `${peer.script} failed (exit ${res.status}): ${why}; install the peers with RLMKIT_PEERS=1 npm run setup (bench/peers/README.md)`,
    };
  }
  const j = JSON.parse(last) as { tokens_per_s: number; tokens_per_cpu_s: number; version?: string };
  return { tokens_per_s: j.tokens_per_s, tokens_per_cpu_s: j.tokens_per_cpu_s, version: j.version };
}

export interface TrainBenchOptions {
  steps: number;
  rounds: number;
  peers: boolean;
  seed: number;
  log: (msg: string) => void;
}

export async function trainBench(model: LlamaModel, cfg: ModelConfig, o: TrainBenchOptions): Promise<Record<string, unknown>> {
  const rng = new Rng(o.seed).fork('bench.engine');
  // Full-length random sequences, loss on every token (the peers train the same batch).
  const batch = () => {
    const seqs = Array.from({ length: BENCH_ROWS }, () => Array.from({ length: cfg.maxSeqLen + 1 }, () => rng.int(4, cfg.vocabSize - 1)));
    return {
      tokens: seqs.map((s) => s.slice(0, -1)),
      targets: seqs.map((s) => s.slice(1)),
      floats: { mask: seqs.map((s) => s.slice(1).map(() => 1)) },
    };
  };
  const rate = async (engine: TrainEngine, workers: number): Promise<Rate & { threads: number }> => {
    const trainer = new Trainer(model, {
      miniBatchRows: BENCH_ROWS,
      microBatchRows: MICRO_BATCH_ROWS,
      workers,
      engine,
      seqLen: cfg.maxSeqLen,
      lossFn: maskedCrossEntropy,
      schedule: { warmupSteps: 2, totalSteps: o.steps + 2 },
    });
    try {
      for (let i = 0; i < 2; i++) await trainer.trainStep([batch()]);
      const batches = Array.from({ length: o.steps }, batch);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const m0 = mainThreadCpuS();
      for (const b of batches) await trainer.trainStep([b]);
      const c1 = process.cpuUsage(c0);
      const m1 = mainThreadCpuS();
      const tokens = o.steps * BENCH_ROWS * cfg.maxSeqLen;
      // CPU time of this process, all threads: what the run costs when cores are shared.
      return {
        threads: trainer.workers,
        tokens_per_s: Math.round(tokens / ((performance.now() - t0) / 1000)),
        tokens_per_cpu_s: Math.round(tokens / ((c1.user + c1.system) / 1e6)),
        tokens_per_main_thread_cpu_s: m0 !== null && m1 !== null && m1 > m0 ? Math.round(tokens / (m1 - m0)) : null,
      };
    } finally {
      trainer.dispose();
    }
  };
  const cores = Math.max(1, os.availableParallelism());
  const rounds: TrainRound[] = [];
  for (let r = 0; r < o.rounds; r++) {
    o.log(
      `train round ${r + 1}/${o.rounds}: ${o.steps} timed steps of ${BENCH_ROWS} x ${cfg.maxSeqLen} tokens per configuration (load ${os.loadavg()[0].toFixed(1)})`,
    );
    const { threads: _one, ...onnx1 } = await rate('onnx', 1);
    const onnxN = await rate('onnx', cores);
    const { threads: _j, ...jax1 } = await rate('jax', 1);
    const peers: TrainRound['peers'] = {};
    if (o.peers) for (const name of Object.keys(PEERS)) peers[name] = runPeer(name, o.steps, o.seed + r);
    rounds.push({ onnx_1: onnx1, onnx_n: onnxN, jax_1: jax1, peers });
    o.log(
      `  onnx 1 thread ${onnx1.tokens_per_s} tok/s (${onnx1.tokens_per_cpu_s}/cpu-s), ${onnxN.threads} threads ${onnxN.tokens_per_s}, jax-js ${jax1.tokens_per_s}` +
        Object.entries(peers)
          .map(([k, p]) => `, ${k} ${'error' in p ? 'unavailable' : `${p.tokens_per_s} (${p.tokens_per_cpu_s}/cpu-s)`}`)
          .join(''),
    );
  }
  const med = (f: (x: TrainRound) => number) => median(rounds.map(f));
  const one = med((x) => x.onnx_1.tokens_per_s);
  const many = med((x) => x.onnx_n.tokens_per_s);
  const out: Record<string, unknown> = {
    train_engine: 'onnx',
    train_rounds_count: rounds.length,
    train_tokens_per_s: Math.max(one, many),
    train_workers: many >= one ? rounds[0].onnx_n.threads : 1,
    train_tokens_per_s_one_thread: one,
    train_parallel_speedup: r2(med((x) => x.onnx_n.tokens_per_s / x.onnx_1.tokens_per_s)),
    // See mainThreadCpuS: one thread's CPU per step over the critical path with n threads.
    train_parallel_speedup_cpu_estimate: rounds.every((x) => x.onnx_n.tokens_per_main_thread_cpu_s) ? r2(med((x) => cpuEstimate(x))) : null,
    train_tokens_per_cpu_s: med((x) => x.onnx_1.tokens_per_cpu_s),
    train_tokens_per_cpu_s_all_threads: med((x) => x.onnx_n.tokens_per_cpu_s),
    train_jax_tokens_per_s_one_thread: med((x) => x.jax_1.tokens_per_s),
    train_jax_tokens_per_cpu_s: med((x) => x.jax_1.tokens_per_cpu_s),
    train_onnx_vs_jax: r2(med((x) => x.onnx_1.tokens_per_s / x.jax_1.tokens_per_s)),
    train_rounds: rounds,
  };
  if (o.peers) {
    const summary: Record<string, PeerSummary | { error: string }> = {};
    for (const name of Object.keys(PEERS)) {
      const ok = rounds
        .map((x) => ({ mine: x.onnx_1, p: x.peers[name] }))
        .filter((x): x is { mine: Rate; p: PeerRate } => !('error' in x.p));
      if (ok.length === 0) {
        summary[name] = { error: (rounds[0].peers[name] as { error: string }).error };
        continue;
      }
      const ratios = ok.map((x) => ({
        tokens_per_s: r2(x.mine.tokens_per_s / x.p.tokens_per_s),
        tokens_per_cpu_s: r2(x.mine.tokens_per_cpu_s / x.p.tokens_per_cpu_s),
      }));
      summary[name] = {
        version: ok[0].p.version,
        tokens_per_s: median(ok.map((x) => x.p.tokens_per_s)),
        tokens_per_cpu_s: median(ok.map((x) => x.p.tokens_per_cpu_s)),
        rlmkit_ratio_tokens_per_s: r2(median(ratios.map((x) => x.tokens_per_s))),
        rlmkit_ratio_tokens_per_cpu_s: r2(median(ratios.map((x) => x.tokens_per_cpu_s))),
        ratios_per_round: ratios,
      };
    }
    out.peers = summary;
  }
  return out;
}
