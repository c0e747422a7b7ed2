/**
 * `rlmkit bench rl`: synchronous (eta = 0) against asynchronous (eta >= 1) GRPO on the same
 * samples, on Countdown (from a Countdown SFT policy: recipes/countdown-sft.yaml's run, or any
 * checkpoint) or Game of 24 (from the committed SFT policy).
 *
 * Both arms run ./async-rl.ts with the same recipe, problems and seeds; only the staleness bound
 * and the rollout thread's budget differ (eta = 0 is the synchronous loop: generate, score, update,
 * each phase with every core). The machine is shared, so the arms run interleaved (`repeats`
 * rounds, the order alternating) and the report gives per-round ratios and their median, the load
 * average at each run, and CPU-normalised figures (samples per CPU-second of the process). Also:
 * the trainer's wait for rollouts, the staleness reached, and greedy accuracy of the final
 * policies on held-out problems (Countdown: its 500 test problems; Game of 24: the ToT test split, 100,
 * and 100 train puzzles held out of the RL problems) with the paired difference (per problem, the
 * mean over rounds) and its 95% bootstrap CI. The report starts with every setting of the run and
 * the command line that repeats it.
 */
import { loadavg } from 'node:os';
import { validateConfig } from '../../core/index.js';
import { type HostWeights, initEngine, loadCheckpoint, tokenizerFromSpec } from '../../engine/index.js';
import { type ProblemAccuracy, pairedDifference } from '../../eval/stats.js';
import { getTask } from '../../tasks/registry.js';
import type { Problem, Task } from '../../tasks/types.js';
import { Rng } from '../../core/rng.js';
import type { LoadedModel } from '../models.js';
import type { ProximalMode } from '../algos/policy-losses.js';
import { RlSectionSchema } from '../recipe.js';
import { resolveReward, type RewardFn } from '../rewards.js';
import { makeSampler } from '../rollout-sampler.js';
import { promptIds } from '../sequences.js';
import { runAsyncRl } from './async-rl.js';

export const RlBenchTasks = ['countdown', 'game24'] as const;
export type RlBenchTask = (typeof RlBenchTasks)[number];

export interface RlBenchOptions {
  task: RlBenchTask;
  /** The starting policy's .safetensors file. */
  checkpoint: string;
  steps: number;
  prompts: number;
  group: number;
  staleness: number;
  segmentTokens: number;
  maxNewTokens: number;
  seed: number;
  /** Interleaved rounds of (sync, async). */
  repeats: number;
  /** The async arm's rollout thread: onnxruntime threads and scheduling priority. */
  rolloutThreads: number | 'auto';
  rolloutNice: number;
  /** The async arm's trainer threads ('auto': one per core). */
  trainerWorkers: number | 'auto';
  /** Where pi_prox comes from, both arms (policy_loss.proximal: recompute | current). */
  proximal: ProximalMode;
  /** The policy loss of both arms (a decoupled one). */
  loss: 'decoupled' | 'tis' | 'mis';
  /** Called with each finished arm (progress for long runs). */
  onArm?: (arm: Record<string, unknown>) => void;
}

async function greedyCorrect(
  weights: HostWeights,
  m: LoadedModel,
  task: Task<Problem>,
  problems: readonly Problem[],
  reward: RewardFn,
  maxNew: number,
): Promise<ProblemAccuracy[]> {
  const sampler = await makeSampler(weights, m.config, 'onnx');
  try {
    const prompts = problems.map((p) => promptIds(m.tokenizer, task, p));
    const room = Math.min(maxNew, m.config.maxSeqLen - Math.max(...prompts.map((p) => p.length)));
    const res = await sampler.sample(prompts, { maxNewTokens: room, temperature: 0 });
    const scored = await reward(
      problems.map((p, i) => ({ problem: p, completion: m.tokenizer.decode(res[i].tokens), tokens: res[i].tokens.length })),
    );
    return problems.map((p, i) => ({ problemId: p.id, n: 1, correct: scored[i].correct ? 1 : 0 }));
  } finally {
    sampler.dispose();
  }
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const r3 = (x: number) => +x.toFixed(3);

/** Held-out and RL problems: Countdown's 500 test problems; Game of 24's 100 plus 100 train puzzles kept out of RL. */
async function benchProblems(task: Task<Problem>, name: RlBenchTask, seed: number): Promise<{ evalSet: Problem[]; rlProblems: Problem[] }> {
  const train = new Rng(seed).fork('bench-rl').shuffle([...(await task.problems({ split: 'train' }))]);
  const test = await task.problems({ split: 'test' });
  if (name === 'countdown') return { evalSet: [...test], rlProblems: train };
  return { evalSet: [...test, ...train.slice(0, 100)], rlProblems: train.slice(100) };
}

/** The command line that repeats a run with these options. */
export function rlBenchCommand(o: RlBenchOptions): string {
  return [
    'rlmkit bench rl --json',
    `--task ${o.task}`,
    `--checkpoint ${o.checkpoint}`,
    `--steps ${o.steps} --prompts ${o.prompts} --group ${o.group}`,
    `--max-new-tokens ${o.maxNewTokens} --staleness ${o.staleness} --segment-tokens ${o.segmentTokens}`,
    `--loss ${o.loss} --proximal ${o.proximal}`,
    `--rollout-threads ${o.rolloutThreads} --rollout-nice ${o.rolloutNice} --trainer-workers ${o.trainerWorkers}`,
    `--repeats ${o.repeats} --seed ${o.seed}`,
  ].join(' ');
}

export async function benchRl(o: RlBenchOptions): Promise<Record<string, unknown>> {
  await initEngine();
  const task = getTask(o.task);
  const ck = loadCheckpoint(o.checkpoint);
  const start: LoadedModel = { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: o.checkpoint };
  const { evalSet, rlProblems } = await benchProblems(task, o.task, o.seed);
  const rl = validateConfig(
    RlSectionSchema,
    {
      steps: o.steps,
      prompts_per_step: o.prompts,
      group_size: o.group,
      ppo_epochs: 1,
      mini_batches: 2,
      advantage: 'grpo',
      clip: { low: 0.2, high: 0.28 },
      loss_agg: 'token-mean',
      kl_loss: { estimator: 'k3', coef: 0.001 },
      dynamic_sampling: true,
      policy_loss: { name: o.loss, proximal: o.proximal },
      rollout: { backend: 'onnx', temperature: 1, top_p: 1, max_new_tokens: o.maxNewTokens },
      optim: { lr: 5e-5, schedule: 'constant', grad_clip: 1 },
      eval_problems: 0,
    },
    'bench rl',
  );
  const reward = resolveReward('verifier', task);
  const settings = {
    command: rlBenchCommand(o),
    task: o.task,
    checkpoint: o.checkpoint,
    rl_problems: rlProblems.length,
    heldout_problems: evalSet.length,
    rl_section: rl,
  };
  process.stderr.write(`bench rl: ${settings.command}\n`);
  const startAcc = await greedyCorrect(start.weights, start, task, evalSet, reward, o.maxNewTokens);
  const arms = {
    sync: { staleness: 0, segmentTokens: o.maxNewTokens, rolloutThreads: 'auto' as const, rolloutNice: 0, trainerWorkers: 'auto' as const },
    async: {
      staleness: o.staleness,
      segmentTokens: o.segmentTokens,
      rolloutThreads: o.rolloutThreads,
      rolloutNice: o.rolloutNice,
      trainerWorkers: o.trainerWorkers,
    },
  };
  const runs: Record<'sync' | 'async', Record<string, number>[]> = { sync: [], async: [] };
  const correct: Record<'sync' | 'async', Map<string, number>> = { sync: new Map(), async: new Map() };
  for (let round = 0; round < o.repeats; round++) {
    const order = round % 2 === 0 ? (['sync', 'async'] as const) : (['async', 'sync'] as const);
    for (const name of order) {
      const a = arms[name];
      process.stderr.write(
        `bench rl: round ${round + 1}/${o.repeats} ${name} (eta ${a.staleness}), ${o.steps} steps of ${o.prompts}x${o.group} samples\n`,
      );
      const load0 = loadavg()[0];
      const r = await runAsyncRl({
        phase: 'rl',
        task,
        problems: rlProblems,
        start,
        rl: { ...rl, workers: a.trainerWorkers },
        reward,
        seed: o.seed,
        async: a,
      });
      const load1 = loadavg()[0];
      const acc = await greedyCorrect(r.weights, start, task, evalSet, reward, o.maxNewTokens);
      for (const p of acc) correct[name].set(p.problemId, (correct[name].get(p.problemId) ?? 0) + p.correct);
      // Steady state: steps 2..N (step 1 pays the jit compiles of the trainer and the scorer).
      const steady = r.stepEnds.length > 1 ? r.stepEnds[r.stepEnds.length - 1] - r.stepEnds[0] : r.wallS;
      const steadySamples = r.stepEnds.length > 1 ? (r.samples * (r.stepEnds.length - 1)) / r.stepEnds.length : r.samples;
      const arm = {
        round: round + 1,
        wall_s: r3(r.wallS),
        samples: r.samples,
        samples_per_s: r3(steadySamples / steady),
        samples_per_s_including_step1: r3(r.samples / r.wallS),
        cpu_s: r3(r.cpuS),
        cores_busy: r3(r.cpuS / r.wallS),
        samples_per_cpu_s: r3(r.samples / r.cpuS),
        load_average_1min: r3((load0 + load1) / 2),
        trainer_wait_s: r3(r.trainerWaitS),
        mean_staleness: r3(r.meanStaleness),
        max_staleness: r.maxStaleness,
        steps_with_mixed_versions: r.mixedVersionSteps,
        heldout_greedy_accuracy: r3(acc.reduce((n, p) => n + p.correct, 0) / evalSet.length),
      };
      runs[name].push(arm);
      o.onArm?.({ arm: name, ...arm });
    }
  }
  const summary = (name: 'sync' | 'async') => {
    const rs = runs[name];
    const med = (k: string) => r3(median(rs.map((r) => r[k])));
    return {
      ...arms[name],
      median_samples_per_s: med('samples_per_s'),
      median_wall_s: med('wall_s'),
      median_samples_per_cpu_s: med('samples_per_cpu_s'),
      median_cores_busy: med('cores_busy'),
      median_trainer_wait_s: med('trainer_wait_s'),
      median_staleness: med('mean_staleness'),
      heldout_greedy_accuracy: med('heldout_greedy_accuracy'),
      runs: rs,
    };
  };
  const perProblem = (name: 'sync' | 'async'): ProblemAccuracy[] =>
    evalSet.map((p) => ({ problemId: p.id, n: o.repeats, correct: correct[name].get(p.id) ?? 0 }));
  const ratios = runs.sync.map((s, i) => (runs.async[i].samples_per_s as number) / (s.samples_per_s as number));
  const cpuRatios = runs.sync.map((s, i) => (runs.async[i].samples_per_cpu_s as number) / (s.samples_per_cpu_s as number));
  const loads = [...runs.sync, ...runs.async].map((r) => r.load_average_1min);
  return {
    settings,
    task: o.task,
    checkpoint: o.checkpoint,
    samples_per_arm: o.steps * o.prompts * o.group,
    rounds: o.repeats,
    heldout_problems: evalSet.length,
    start_heldout_greedy_accuracy: r3(startAcc.reduce((n, p) => n + p.correct, 0) / evalSet.length),
    sync: summary('sync'),
    async: summary('async'),
    throughput_ratio_async_to_sync: r3(median(ratios)),
    throughput_ratio_per_round: ratios.map(r3),
    samples_per_cpu_s_ratio_async_to_sync: r3(median(cpuRatios)),
    load_average_1min: { min: r3(Math.min(...loads)), median: r3(median(loads)), max: r3(Math.max(...loads)) },
    accuracy_difference_async_minus_sync: pairedDifference(perProblem('sync'), perProblem('async'), { seed: o.seed }),
    note:
      'shared 2-core machine: arms interleaved, order alternating per round; samples_per_s leaves step 1 (jit compiles) out; ' +
      'cores_busy = process CPU seconds / wall seconds; accuracy per puzzle is the mean over rounds',
  };
}
