/**
 * `rlmkit bench search [--json]`: two measurements of the reasoning layer.
 *
 * (a) MCTS framework overhead: x1-form MCTS with K = 64 simulations on Game of 24 test puzzles
 *     with the embedded model (policy + value model); the share of wall time spent outside model
 *     calls (tree bookkeeping, rule checks, prompt rendering, selection, backup). Target <= 5%.
 * (b) Batching speedup: solveMany over 50 puzzles (lockstep batching across problems) against
 *     solving them one after another, with the same settings; greedy decoding so that both runs
 *     must give identical results (checked). Target >= 5x. As in (a), rule checks are off so
 *     that a random model's chains run to full length. `--repeats` rounds (default 5) run the
 *     modes back to back; the figures are medians over rounds, and onnxruntime's own time in
 *     each mode is reported beside the wall time (what batching can act on, and what it cannot).
 *
 * Models: `--checkpoint` (and `--value`), else the committed Game of 24 SFT policy
 * (checkpoints/game24-sft/policy.safetensors), so that steps have the lengths a trained model
 * writes. No trained value model is committed: without `--value`, (a) runs x1's MCTS with a Q
 * model of the policy's size and random weights (real cost, meaningless values), and reports the
 * share without any value model too (`mctsOverheadPolicyOnly`). `--random-init` (or no
 * committed checkpoint) uses randomly initialised tiny models (policy and value, Game of 24
 * tokenizer): the timings are real, the answers meaningless, and the report says so. Rule checking
 * is off in (a) so that invalid steps still grow the tree to full depth (with it on, they would be
 * pruned and most simulations would make no model call at all, which would flatter the measurement).
 *
 * Every timed run starts with empty model caches (the embedded policy's prefix cache), so no run
 * reuses work done by an earlier one; `--prefix-cache-mib 0` turns prefix caching off altogether.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { logger } from '../../core/log.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { usageError } from '../../core/errors.js';
import { solve, solveMany } from '../../reasoning/solve.js';
import type { SearchModels } from '../../reasoning/context.js';
import { game24Task } from '../../tasks/games/game24.js';
import type { NumberGameProblem } from '../../tasks/games/number-game.js';
import type { Problem } from '../../tasks/types.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';
import { median } from './stats.js';

interface SearchBenchFlags {
  checkpoint?: string;
  randomInit?: boolean;
  prefixCacheMib: number;
  threads: string;
  value?: string;
  engine: 'onnx' | 'jax';
  simulations: number;
  overheadProblems: number;
  problems: number;
  batchStrategy: string;
  repeats: number;
  seed: number;
}

/** The committed trained policy (see checkpoints/README.md), from src/cli/bench or dist/cli/bench. */
function committedCheckpoint(): string | null {
  const file = fileURLToPath(new URL('../../../checkpoints/game24-sft/policy.safetensors', import.meta.url));
  return existsSync(file) ? file : null;
}

interface OpenModels {
  models: SearchModels;
  randomInit: boolean;
  /** The value model has random weights (timings only). */
  randomValue: boolean;
  checkpoint: string | null;
  /** Empties the models' caches, so that a timed run does not reuse an earlier run's work. */
  reset: () => void;
  close: () => Promise<void>;
}

async function openModels(f: SearchBenchFlags, problems: Problem[]): Promise<OpenModels> {
  const { EmbeddedPolicy, EmbeddedValueModel, createEngineSampler } = await import('../../models/embedded.js');
  let policy: InstanceType<typeof EmbeddedPolicy>;
  let value: InstanceType<typeof EmbeddedValueModel> | undefined;
  const checkpoint = f.randomInit ? null : (f.checkpoint ?? committedCheckpoint());
  const threads: number | 'auto' = f.threads === 'auto' ? 'auto' : Number(f.threads);
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1))
    throw usageError(`--threads must be a positive integer or auto, got ${f.threads}`);
  const options = { engine: f.engine, prefixCacheMiB: f.prefixCacheMib, threads };
  if (f.value && !checkpoint) throw usageError('--value needs a policy checkpoint', 'give --checkpoint too, or drop --random-init');
  let randomValue = false;
  if (checkpoint) {
    policy = await EmbeddedPolicy.load(checkpoint, options);
    if (f.value) value = await EmbeddedValueModel.load(f.value, options);
    else {
      // No trained value model is committed: x1's MCTS needs a Q model, so (a) uses one of the
      // policy's size with random weights (its cost is real, its values are not).
      const engine = await import('../../engine/index.js');
      const vcfg = { ...policy.config, valueHead: true };
      const vsrc = {
        config: vcfg,
        weights: engine.initHostWeights(vcfg, f.seed + 1),
        tokenizer: policy.tokenizer,
        name: 'random-init-value',
      };
      value = new EmbeddedValueModel(await createEngineSampler(vsrc, options), vsrc);
      randomValue = true;
    }
  } else {
    const engine = await import('../../engine/index.js');
    const { tokenizerForTask } = await import('../../training/tasks.js');
    const tokenizer = tokenizerForTask(game24Task as never, problems);
    const cfg = engine.presetConfig('tiny', { vocabSize: tokenizer.vocabSize });
    policy = await EmbeddedPolicy.fromSource(
      { config: cfg, weights: engine.initHostWeights(cfg, f.seed), tokenizer, name: 'random-init-tiny' },
      options,
    );
    const vcfg = engine.presetConfig('tiny', { vocabSize: tokenizer.vocabSize, valueHead: true });
    const vsrc = { config: vcfg, weights: engine.initHostWeights(vcfg, f.seed + 1), tokenizer, name: 'random-init-tiny-value' };
    value = new EmbeddedValueModel(await createEngineSampler(vsrc, options), vsrc);
  }
  return {
    models: { policy, ...(value ? { value } : {}) },
    randomInit: !checkpoint,
    randomValue: randomValue || !checkpoint,
    checkpoint,
    reset: () => {
      policy.clearCaches();
      value?.clearCaches();
    },
    close: async () => {
      await policy.close?.();
      await value?.close?.();
    },
  };
}

async function measureOverhead(om: OpenModels, models: SearchModels, problems: Problem[], f: SearchBenchFlags) {
  // One full warm-up solve of a puzzle that is not measured, so that first-call compilation (of the
  // JavaScript of the search and of the task's rule checks, and onnxruntime's first runs) is not
  // counted: the figure is the steady state of a process that solves more than one problem.
  // All K simulations run (MCTS would otherwise stop at the first solution the rule verifier accepts).
  const settings = { simulations: f.simulations, children: 4, ruleCheck: false, maxDepth: 4, stepMaxTokens: 20, stopWhenSolved: false };
  await solve(problems[problems.length - 1], { task: game24Task, strategy: 'mcts', settings, models, seed: f.seed, trace: true });
  let wall = 0;
  let model = 0;
  let outer = 0;
  let calls = 0;
  let evalCalls = 0;
  let tokens = 0;
  let sims = 0;
  om.reset();
  for (const p of problems.slice(0, f.overheadProblems)) {
    const t0 = performance.now();
    const r = await solve(p, { task: game24Task, strategy: 'mcts', settings, models, seed: f.seed, trace: true });
    outer += performance.now() - t0;
    wall += r.usage.wallMs;
    model += r.usage.modelMs;
    calls += r.usage.calls;
    evalCalls += r.usage.evalCalls;
    tokens += r.usage.promptTokens + r.usage.completionTokens;
    sims += r.graph.root.visits;
    logger.info('mcts overhead', {
      problem: p.id,
      wallMs: Math.round(r.usage.wallMs),
      modelMs: Math.round(r.usage.modelMs),
      nodes: r.graph.nodes.length,
    });
  }
  return {
    problems: Math.min(f.overheadProblems, problems.length),
    valueModel: models.value ? `${models.value.id}${om.randomValue ? ' (random weights: timings only)' : ''}` : null,
    simulationsPerProblem: f.simulations,
    simulationsRun: sims,
    policyCalls: calls,
    valueCalls: evalCalls,
    tokens,
    wallMs: Math.round(wall),
    modelMs: Math.round(model),
    frameworkShare: (wall - model) / wall,
    frameworkMsPerSimulation: (wall - model) / Math.max(1, sims),
    // Including trace building and the post-hoc answer check, which happen after the search.
    frameworkShareWithTrace: (outer - model) / outer,
    target: 0.05,
    met: (wall - model) / wall <= 0.05,
  };
}

/** onnxruntime time of the embedded policy's sampler (null for other models). */
function engineMs(models: SearchModels): (() => number) | null {
  const stats = (models.policy as { sampler?: { stats?: { runMs: number } } }).sampler?.stats;
  return stats ? () => stats.runMs : null;
}

async function measureBatching(om: OpenModels, problems: Problem[], warmUp: Problem[], f: SearchBenchFlags) {
  const { models } = om;
  // Rule checks off and 4 steps at most, as in (a): a random model's chains then run to full length.
  const shape = { ruleCheck: false, maxDepth: 4, stepMaxTokens: 20 };
  const settings =
    f.batchStrategy === 'cot'
      ? { ...shape, decoding: 'greedy' }
      : f.batchStrategy === 'mcts'
        ? { ...shape, simulations: 8, children: 4, temperature: 0 }
        : { ...shape, temperature: 0 };
  const common = { task: game24Task, strategy: f.batchStrategy, settings, models, seed: f.seed, trace: false };
  // Both modes on other puzzles first, so that neither pays for compiling the code, and the
  // sampler's thread choice (measured per batch size, ../../engine/onnx/adaptive-session.ts) has
  // tried both thread counts on batches of every size the measured runs make: lockstep over as
  // many puzzles as measured, four times (its 50-row prefill comes once per run, and each thread
  // count needs a few timed runs of it before the choice settles).
  await solveMany(warmUp.slice(0, 5), { ...common, batching: 'sequential' });
  for (let i = 0; i < 4; i++) {
    om.reset();
    await solveMany(warmUp, { ...common, batching: 'lockstep' });
  }
  const { Scheduler } = await import('../../models/scheduler.js');
  const engine = engineMs(models);
  /** One timed run from empty caches: wall and onnxruntime milliseconds. */
  const timed = async <T>(run: () => Promise<T>): Promise<{ result: T; ms: number; engineMs: number | null }> => {
    om.reset();
    const e0 = engine?.() ?? 0;
    const t0 = performance.now();
    const result = await run();
    const ms = performance.now() - t0;
    return { result, ms, engineMs: engine ? engine() - e0 : null };
  };
  // The machine is shared: each repeat runs the modes back to back, and the figures are medians
  // over repeats, so that a burst of someone else's load hits one run of a mode, not the figure.
  const runs: { sequential: number[]; lockstep: number[]; concurrent: number[]; seqEngine: number[]; lockEngine: number[] } = {
    sequential: [],
    lockstep: [],
    concurrent: [],
    seqEngine: [],
    lockEngine: [],
  };
  let same = true;
  let concurrentSame = true;
  let seqResult: Awaited<ReturnType<typeof solveMany>> | null = null;
  let lockResult: Awaited<ReturnType<typeof solveMany>> | null = null;
  let schedBatches = 0;
  const sameAs = (a: typeof seqResult, b: typeof seqResult) =>
    a!.results.every(
      (r, i) =>
        r.answer === b!.results[i].answer &&
        r.usage.completionTokens === b!.results[i].usage.completionTokens &&
        r.graph.nodes.length === b!.results[i].graph.nodes.length,
    );
  for (let rep = 0; rep < f.repeats; rep++) {
    const seq = await timed(() => solveMany(problems, { ...common, batching: 'sequential' }));
    const lock = await timed(() => solveMany(problems, { ...common, batching: 'lockstep' }));
    // The other route: all searches at once, merged by the models layer's batching Scheduler.
    const scheduler = new Scheduler(models.policy, { maxWaitMs: 2, maxBatch: 256 });
    const conc = await timed(() => solveMany(problems, { ...common, models: { ...models, policy: scheduler }, batching: 'concurrent' }));
    logger.info('batching repeat', {
      rep,
      sequentialMs: Math.round(seq.ms),
      lockstepMs: Math.round(lock.ms),
      concurrentMs: Math.round(conc.ms),
    });
    runs.sequential.push(seq.ms);
    runs.lockstep.push(lock.ms);
    runs.concurrent.push(conc.ms);
    if (seq.engineMs !== null && lock.engineMs !== null) {
      runs.seqEngine.push(seq.engineMs);
      runs.lockEngine.push(lock.engineMs);
    }
    seqResult ??= seq.result;
    lockResult = lock.result;
    same &&= sameAs(seq.result, lock.result) && sameAs(seqResult, seq.result);
    concurrentSame &&= sameAs(seq.result, conc.result);
    schedBatches = scheduler.stats().batches;
  }
  const seqMs = median(runs.sequential);
  const lockMs = median(runs.lockstep);
  const concMs = median(runs.concurrent);
  const prefixCache = (models.policy as { sampler?: { prefixCacheStats?: unknown } }).sampler?.prefixCacheStats ?? null;
  const engineSplit = runs.seqEngine.length
    ? {
        // onnxruntime's own time in each mode (medians), and what is left for everything else
        // (prompt and token handling in the sampler, prefix-cache copies, the search itself).
        sequentialEngineMs: Math.round(median(runs.seqEngine)),
        lockstepEngineMs: Math.round(median(runs.lockEngine)),
        engineSpeedup: median(runs.seqEngine) / median(runs.lockEngine),
        lockstepOutsideEngineMs: Math.round(lockMs - median(runs.lockEngine)),
        sequentialOutsideEngineMs: Math.round(seqMs - median(runs.seqEngine)),
      }
    : null;
  return {
    strategy: f.batchStrategy,
    settings,
    problems: problems.length,
    repeats: f.repeats,
    sequentialMs: Math.round(seqMs),
    lockstepMs: Math.round(lockMs),
    speedup: seqMs / lockMs,
    runs: {
      sequentialMs: runs.sequential.map(Math.round),
      lockstepMs: runs.lockstep.map(Math.round),
      concurrentSchedulerMs: runs.concurrent.map(Math.round),
    },
    sameResults: same,
    policyCalls: seqResult!.results.reduce((s, r) => s + r.usage.calls, 0),
    mergedPolicyCalls: lockResult!.lockstep!.mergedCalls.generate,
    largestBatch: lockResult!.lockstep!.largestBatch,
    ...(engineSplit ?? {}),
    concurrentSchedulerMs: Math.round(concMs),
    concurrentSchedulerSpeedup: seqMs / concMs,
    concurrentSchedulerSameResults: concurrentSame,
    concurrentSchedulerBatches: schedBatches,
    lockstepPrefixCache: prefixCache,
    engineBatchingBound: await engineBound(om, problems),
    target: 5,
    met: seqMs / lockMs >= 5 && same,
  };
}

/**
 * The most any cross-problem batching can gain with this backend: the time of one-row calls times
 * the number of rows, over the time of one call with all the rows (first steps of every puzzle).
 */
async function engineBound(
  om: OpenModels,
  problems: Problem[],
): Promise<{ oneRowMs: number; batchMs: number; rows: number; bound: number }> {
  const { models } = om;
  const requests = problems.map((p) => ({ prompt: game24Task.renderPlain(p as NumberGameProblem, []) }));
  const o = { n: 1, temperature: 0, maxTokens: 20, stop: ['\n'] };
  om.reset();
  let t0 = performance.now();
  for (const r of requests.slice(0, 10)) await models.policy.generate([r], o);
  const oneRowMs = (performance.now() - t0) / Math.min(10, requests.length);
  om.reset();
  t0 = performance.now();
  await models.policy.generate(requests, o);
  const batchMs = performance.now() - t0;
  return { oneRowMs, batchMs, rows: requests.length, bound: (oneRowMs * requests.length) / batchMs };
}

export const searchBench: BenchModule = {
  name: 'search',
  summary: 'reasoning: MCTS framework overhead (share of time outside model calls) and solveMany batching speedup',
  configure(cmd: Command) {
    cmd
      .option('--checkpoint <ckpt>', 'embedded policy checkpoint (default: the committed checkpoints/game24-sft/policy.safetensors)')
      .option('--value <ckpt>', 'embedded value-model checkpoint (default: none with a checkpoint)')
      .option('--random-init', 'randomly initialised tiny policy and value models instead of a checkpoint (timings only)')
      .option('--prefix-cache-mib <n>', 'prefix cache of the embedded policy in MiB (0: off)', intOption(0), 64)
      .option('--threads <n>', 'onnxruntime intra-op threads: a number, or auto (measured per batch size)', 'auto')
      .addOption(new Option('--engine <engine>', 'embedded sampler').choices(['onnx', 'jax']).default('onnx'))
      .option('--simulations <n>', 'MCTS simulations per problem in (a)', intOption(1), 64)
      .option('--overhead-problems <n>', 'puzzles solved in (a)', intOption(1), 3)
      .option('--problems <n>', 'puzzles in the batching measurement (b)', intOption(1), 50)
      .option('--batch-strategy <name>', 'strategy for (b): cot (greedy) | mcts | tot-bfs | beam (at temperature 0)', 'cot')
      .option('--repeats <n>', 'timed runs of each batching mode in (b), interleaved; the figures are medians', intOption(1), 5)
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(opts) {
    const f = opts as unknown as SearchBenchFlags;
    const all = await game24Task.problems({ split: 'test' });
    const om = await openModels(f, all);
    const { models, randomInit } = om;
    try {
      // (b) first: run after (a), whose search trees leave a larger heap behind, its lockstep run
      // was slower (230-340 ms against 170-240 ms in a fresh process, with more collections).
      const batching = await measureBatching(om, all.slice(0, f.problems), all.slice(f.problems, 2 * f.problems), f);
      const overhead = await measureOverhead(om, models, all, f);
      // The same without a value model (children start at q = 0): the framework's share of a
      // search whose only model is the policy.
      const policyOnly = models.value ? await measureOverhead(om, { policy: models.policy }, all, f) : null;
      return {
        bench: 'search',
        model: models.policy.id,
        randomInit,
        prefixCacheMiB: f.prefixCacheMib,
        note: randomInit ? 'randomly initialised embedded models: timings are real, answers are meaningless' : 'trained checkpoint',
        machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
        mctsOverhead: overhead,
        mctsOverheadPolicyOnly: policyOnly && {
          frameworkShare: policyOnly.frameworkShare,
          frameworkMsPerSimulation: policyOnly.frameworkMsPerSimulation,
          wallMs: policyOnly.wallMs,
          modelMs: policyOnly.modelMs,
          policyCalls: policyOnly.policyCalls,
        },
        batching,
      };
    } finally {
      await om.close();
    }
  },
  format(r) {
    const o = r.mctsOverhead as Record<string, number | boolean>;
    const b = r.batching as Record<string, unknown>;
    return [
      `model: ${r.model}${r.randomInit ? ' (random init: timings only)' : ''}, prefix cache ${r.prefixCacheMiB} MiB`,
      `(a) MCTS K=${o.simulationsPerProblem} on ${o.problems} Game of 24 puzzles: framework ${(100 * (o.frameworkShare as number)).toFixed(2)}% of wall time (${(o.frameworkMsPerSimulation as number).toFixed(3)} ms per simulation; ${(100 * (o.frameworkShareWithTrace as number)).toFixed(2)}% with trace building) — target <= 5%: ${o.met ? 'met' : 'NOT met'}`,
      ...(r.mctsOverheadPolicyOnly
        ? [
            `    without a value model: framework ${(100 * (r.mctsOverheadPolicyOnly as { frameworkShare: number }).frameworkShare).toFixed(2)}% (${(r.mctsOverheadPolicyOnly as { frameworkMsPerSimulation: number }).frameworkMsPerSimulation.toFixed(3)} ms per simulation)`,
          ]
        : []),
      `(b) solveMany ${b.strategy} over ${b.problems} puzzles, median of ${b.repeats}: sequential ${b.sequentialMs} ms, lockstep ${b.lockstepMs} ms, speedup ${(b.speedup as number).toFixed(2)}x, same results: ${b.sameResults} (${b.policyCalls} calls merged into ${b.mergedPolicyCalls}, largest batch ${b.largestBatch}) — target >= 5x: ${b.met ? 'met' : 'NOT met'}`,
      ...(b.engineSpeedup !== undefined
        ? [
            `    onnxruntime time: sequential ${b.sequentialEngineMs} ms, lockstep ${b.lockstepEngineMs} ms (${(b.engineSpeedup as number).toFixed(2)}x); outside it: sequential ${b.sequentialOutsideEngineMs} ms, lockstep ${b.lockstepOutsideEngineMs} ms`,
          ]
        : []),
      `    concurrent solves through the batching Scheduler: ${b.concurrentSchedulerMs} ms, speedup ${(b.concurrentSchedulerSpeedup as number).toFixed(2)}x, same results: ${b.concurrentSchedulerSameResults} (${b.concurrentSchedulerBatches} backend batches)`,
      `    engine bound: one row ${(b.engineBatchingBound as { oneRowMs: number }).oneRowMs.toFixed(1)} ms, ${(b.engineBatchingBound as { rows: number }).rows} rows in one call ${(b.engineBatchingBound as { batchMs: number }).batchMs.toFixed(0)} ms: batching can gain at most ${(b.engineBatchingBound as { bound: number }).bound.toFixed(2)}x`,
    ].join('\n');
  },
};
