/**
 * `rlmkit bench ablation`: plain GRPO against each method of issue 21 at one budget, on the same
 * held-out problems, one arm after another (a background job on a shared machine).
 *
 * Design (paired, so that small differences are measurable on a few hundred problems):
 *   - every arm starts from the same policy (default: the committed Game of 24 SFT policy), with
 *     the same seeds, so steps draw the same problems and sampling seeds;
 *   - held out: the task's test split plus `heldOut - |test|` train problems kept out of RL
 *     (Game of 24: 100 test + 400 train = 500), the rest of the train split is RL's;
 *   - each final policy is scored greedy (1 answer per problem) and sampled at T = 1 (`samples`
 *     per problem, accuracy per sample); each arm is compared with the baseline by the paired
 *     bootstrap over problems (eval/stats.ts pairedDifference), per-problem accuracy averaged over
 *     seeds;
 *   - cost: rollout tokens, trained tokens and wall time of the RL phase (eval excluded).
 *   - seeds: each (arm, seed) is one RL run, scored and saved as per-problem/<arm>-s<seed>.json;
 *     an arm is compared with plain GRPO per seed (same seed, so the same problem draws) and
 *     pooled: per-problem counts summed over the seeds on both sides, then the paired bootstrap
 *     over problems (the problem is the resampled unit; the seed-to-seed spread of the RL runs
 *     shows in the per-seed rows, not in the pooled interval);
 *   - arms combine: `a+b` merges the overrides of both (ablation-arms.ts armByName).
 * Results are written after every arm (atomic JSON + markdown); a rerun skips (arm, seed) pairs
 * already done at the same task, start and budget, so arms and seeds can be added later, and
 * separate processes (one per seed, same --out) are merged by a last run over all seeds.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, usageError, validateConfig, writeFileAtomic, writeJsonAtomic } from '../core/index.js';
import { type HostWeights, initEngine, loadCheckpoint, tokenizerFromSpec } from '../engine/index.js';
import { type ProblemAccuracy, pairedDifference } from '../eval/stats.js';
import { getTask } from '../tasks/registry.js';
import type { Problem, Task } from '../tasks/types.js';
import { ABLATION_ARMS, type AblationBudget, BASELINE_ARM, armByName, armSection } from './ablation-arms.js';
import { type AblationResult, ablationMarkdown } from './ablation-report.js';

export type { AblationResult, ArmResult } from './ablation-report.js';
import type { LoadedModel } from './models.js';
import { RecipeSchema, type RlSection } from './recipe.js';
import { resolveReward, type RewardFn } from './rewards.js';
import { runRlPhase } from './rl.js';
import { TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';
import { promptIds } from './sequences.js';

export interface AblationOptions extends AblationBudget {
  task: string;
  checkpoint: string;
  arms: string[];
  /** Folder for ablation.json, ablation.md, per-problem results and the runs. */
  out: string;
  heldOut: number;
  /** Samples per held-out problem for the sampled accuracy (T = 1). */
  samples: number;
  seeds: number[];
  progress?: 'bar' | 'log' | 'silent';
}

type PerProblem = { greedy: ProblemAccuracy[]; sampled: ProblemAccuracy[] };

/** The held-out set and the RL problems: test split + train problems kept out (fixed by seed 0). */
export async function splitProblems(task: Task<Problem>, heldOut: number): Promise<{ evalSet: Problem[]; rlProblems: Problem[] }> {
  const test = task.splits.includes('test') ? await task.problems({ split: 'test' }) : [];
  const train = new Rng(0).fork('ablation-split').shuffle([...(await task.problems({ split: 'train' }))]);
  const fromTrain = Math.max(0, heldOut - test.length);
  if (fromTrain >= train.length) throw usageError(`--held-out ${heldOut} leaves no ${task.name} problems to train on`, 'lower --held-out');
  return { evalSet: [...test.slice(0, heldOut), ...train.slice(0, fromTrain)], rlProblems: train.slice(fromTrain) };
}

/** Per-problem correct counts of `weights` on `problems`: `n` samples at `temperature` (0: greedy, n = 1). */
export async function scoreProblems(
  weights: HostWeights,
  m: LoadedModel,
  task: Task<Problem>,
  problems: readonly Problem[],
  reward: RewardFn,
  o: { maxNewTokens: number; temperature: number; n: number; seed: number },
): Promise<ProblemAccuracy[]> {
  const sampler = await makeSampler(weights, m.config, 'onnx');
  try {
    const rows: number[][] = [];
    const owner: number[] = [];
    problems.forEach((p, i) => {
      const ids = promptIds(m.tokenizer, task, p);
      for (let j = 0; j < o.n; j++) {
        rows.push(ids);
        owner.push(i);
      }
    });
    const maxNew = Math.max(1, Math.min(o.maxNewTokens, m.config.maxSeqLen - Math.max(...rows.map((r) => r.length))));
    const res = await sampler.sample(rows, { maxNewTokens: maxNew, temperature: o.temperature, seed: o.seed });
    const scored = await reward(
      res.map((r, i) => ({ problem: problems[owner[i]], completion: m.tokenizer.decode(r.tokens), tokens: r.tokens.length })),
    );
    const out = problems.map((p) => ({ problemId: p.id, n: 0, correct: 0 }));
    scored.forEach((s, i) => {
      out[owner[i]].n++;
      if (s.correct) out[owner[i]].correct++;
    });
    return out;
  } finally {
    sampler.dispose();
  }
}

const accuracy = (xs: readonly ProblemAccuracy[]) =>
  xs.reduce((a, p) => a + p.correct, 0) /
  Math.max(
    1,
    xs.reduce((a, p) => a + p.n, 0),
  );

/** Sums of counts over seeds, per problem (the paired comparison uses correct / n). */
function pool(runs: ProblemAccuracy[][]): ProblemAccuracy[] {
  const out = runs[0].map((p) => ({ ...p }));
  for (const r of runs.slice(1))
    r.forEach((p, i) => {
      out[i].n += p.n;
      out[i].correct += p.correct;
    });
  return out;
}

function metricValues(metricsFile: string, key: string): number[] {
  if (!fs.existsSync(metricsFile)) return [];
  const out: number[] = [];
  for (const line of fs.readFileSync(metricsFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const v = (JSON.parse(line) as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}
const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : NaN);

/** What a per-seed result is valid for: the same task, start (path and content) and budget (seeds are per file). */
type Stamp = { task: string; checkpoint: string; checkpoint_sha256: string; budget: Omit<AblationResult['budget'], 'seeds'> };

/** One arm at one training seed: the held-out scores and the RL phase's cost (per-problem/<arm>-s<seed>.json). */
interface SeedRun extends PerProblem {
  stamp: Stamp;
  wall_s: number;
  rollout_tokens: number;
  train_tokens: number;
  /** Mean over steps of the share of groups whose rewards were all equal (all wrong or all right). */
  zero_variance_share: number;
}

function readStamped<T extends { stamp: Stamp }>(file: string, stamp: Stamp): T | null {
  if (!fs.existsSync(file)) return null;
  const v = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  return JSON.stringify(v.stamp) === JSON.stringify(stamp) ? v : null;
}

/** Validates every requested arm's RL section before any training (a typo fails in seconds, not after an hour). */
export function armSections(
  o: Pick<AblationOptions, 'arms'> & Partial<Pick<AblationOptions, 'task'>> & AblationBudget,
): Record<string, RlSection> {
  const out: Record<string, RlSection> = {};
  for (const name of o.arms) {
    const arm = armByName(name);
    if (!arm) throw usageError(`unknown ablation arm "${name}"`, `known arms: ${ABLATION_ARMS.map((a) => a.name).join(', ')}`);
    const recipe = validateConfig(
      RecipeSchema,
      { pipeline: 'rl', task: { name: o.task ?? 'game24' }, model: { init: 'unused' }, rl: armSection(arm, o) },
      `ablation arm ${name}`,
    );
    out[name] = recipe.rl!;
  }
  return out;
}

/** Run-directory and file name of an arm (a combination's "+" is not allowed in run names). */
const fileName = (arm: string) => arm.replace(/\+/g, '.');

export async function runAblation(o: AblationOptions): Promise<AblationResult> {
  if (!o.arms.length) throw usageError('no ablation arms given', `name some of: ${ABLATION_ARMS.map((a) => a.name).join(', ')}`);
  if (!o.seeds.length) throw usageError('no seeds given', 'e.g. --seeds 0,1');
  const arms = o.arms.includes(BASELINE_ARM) ? o.arms : [BASELINE_ARM, ...o.arms];
  const sections = armSections({ ...o, arms });
  await initEngine();
  const task = getTask(o.task);
  const ck = loadCheckpoint(o.checkpoint);
  const start: LoadedModel = { config: ck.config, tokenizer: tokenizerFromSpec(ck.tokenizer), weights: ck.weights, source: o.checkpoint };
  const { evalSet, rlProblems } = await splitProblems(task, o.heldOut);
  const verifier = resolveReward('verifier', task);
  const budget = {
    steps: o.steps,
    prompts: o.prompts,
    group: o.group,
    maxNewTokens: o.maxNewTokens,
    heldOut: o.heldOut,
    samples: o.samples,
  };
  const stamp: Stamp = {
    task: o.task,
    checkpoint: path.resolve(o.checkpoint),
    // a retrained start policy at the same path makes every earlier result stale
    checkpoint_sha256: createHash('sha256').update(fs.readFileSync(o.checkpoint)).digest('hex'),
    budget,
  };
  fs.mkdirSync(path.join(o.out, 'per-problem'), { recursive: true });
  const jsonFile = path.join(o.out, 'ablation.json');
  const perFile = (arm: string, seed: number) => path.join(o.out, 'per-problem', `${fileName(arm)}-s${seed}.json`);
  const evalOf = async (w: HostWeights, seed: number): Promise<PerProblem> => ({
    greedy: await scoreProblems(w, start, task, evalSet, verifier, { maxNewTokens: o.maxNewTokens, temperature: 0, n: 1, seed }),
    sampled: await scoreProblems(w, start, task, evalSet, verifier, {
      maxNewTokens: o.maxNewTokens,
      temperature: 1,
      n: o.samples,
      seed: 1000 + seed,
    }),
  });
  const result: AblationResult = {
    task: o.task,
    checkpoint: o.checkpoint,
    budget: { ...budget, seeds: o.seeds },
    heldout_problems: evalSet.length,
    rl_problems: rlProblems.length,
    start: { greedy_accuracy: NaN, sampled_accuracy: NaN },
    arms: {},
    note: 'arms run one after another on a shared 2-core machine; wall times are comparable only roughly',
  };
  const save = () => {
    writeJsonAtomic(jsonFile, result);
    writeFileAtomic(path.join(o.out, 'ablation.md'), ablationMarkdown(result));
  };
  const startFile = path.join(o.out, 'per-problem', 'start.json');
  let s = readStamped<PerProblem & { stamp: Stamp }>(startFile, stamp);
  if (!s) {
    s = { stamp, ...(await evalOf(start.weights, 0)) };
    writeJsonAtomic(startFile, s);
  }
  result.start = { greedy_accuracy: accuracy(s.greedy), sampled_accuracy: accuracy(s.sampled) };
  save();
  /** Trains and scores one arm at one seed, or reads the result of an earlier run at the same stamp. */
  const seedRun = async (name: string, seed: number): Promise<SeedRun> => {
    const done = readStamped<SeedRun>(perFile(name, seed), stamp);
    if (done) return done;
    process.stderr.write(`ablation: ${name} seed ${seed}: ${o.steps} steps of ${sections[name].prompts_per_step}x${o.group}\n`);
    const recipe = validateConfig(
      RecipeSchema,
      {
        pipeline: 'rl',
        run: { name: `${fileName(name)}-s${seed}`, seed },
        task: { name: o.task },
        model: { init: o.checkpoint },
        rl: sections[name],
      },
      `ablation arm ${name}`,
    );
    const run = TrainingRun.open(recipe, { root: path.join(o.out, 'runs'), overwrite: true, progress: o.progress ?? 'log' });
    const t0 = performance.now();
    const r = await runRlPhase({
      run,
      phase: 'rl',
      task,
      problems: rlProblems,
      // in-run evaluation (and critical-token entropy) on the first RL problems, never the held-out set
      evalProblems: rlProblems.slice(0, sections[name].eval_problems),
      start,
      rl: sections[name],
      reward: resolveReward(sections[name].reward, task),
      seed,
      // checkpoints every quarter of the run: what a checkpoint-selection arm chooses among
      checkpointEvery: Math.max(1, Math.floor(o.steps / 4)),
      logEvery: 1,
    });
    const wall = (performance.now() - t0) / 1000;
    const metrics = path.join(run.dir.dir, 'metrics.jsonl');
    const out: SeedRun = {
      stamp,
      wall_s: +wall.toFixed(1),
      rollout_tokens: sum(metricValues(metrics, 'rollout_tokens')),
      train_tokens: sum(metricValues(metrics, 'train_tokens')),
      zero_variance_share: mean(metricValues(metrics, 'zero_variance_share')),
      ...(await evalOf(loadCheckpoint(r.checkpoint).weights, seed)),
    };
    writeJsonAtomic(perFile(name, seed), out);
    return out;
  };
  const baseRuns = new Map<number, SeedRun>();
  for (const name of arms) {
    const arm = armByName(name)!;
    const runs: { seed: number; run: SeedRun; base: SeedRun | undefined }[] = [];
    for (const seed of o.seeds) {
      const run = await seedRun(name, seed + (arm.seedOffset ?? 0));
      if (name === BASELINE_ARM) baseRuns.set(seed, run);
      runs.push({ seed: seed + (arm.seedOffset ?? 0), run, base: name === BASELINE_ARM ? undefined : baseRuns.get(seed) });
    }
    const pp: PerProblem = { greedy: pool(runs.map((x) => x.run.greedy)), sampled: pool(runs.map((x) => x.run.sampled)) };
    const vs = (a: PerProblem, b: PerProblem) => ({
      greedy: pairedDifference(b.greedy, a.greedy, { seed: 0 }),
      sampled: pairedDifference(b.sampled, a.sampled, { seed: 0 }),
    });
    result.arms[name] = {
      summary: arm.summary,
      seeds: runs.map((x) => x.seed),
      wall_s: +sum(runs.map((x) => x.run.wall_s)).toFixed(1),
      rollout_tokens: sum(runs.map((x) => x.run.rollout_tokens)),
      train_tokens: sum(runs.map((x) => x.run.train_tokens)),
      greedy_accuracy: accuracy(pp.greedy),
      sampled_accuracy: accuracy(pp.sampled),
      zero_variance_share: mean(runs.map((x) => x.run.zero_variance_share)),
      // pooled: per-problem counts summed over seeds on both sides, then the paired bootstrap over problems
      vs_baseline:
        name === BASELINE_ARM
          ? null
          : vs(pp, { greedy: pool(runs.map((x) => x.base!.greedy)), sampled: pool(runs.map((x) => x.base!.sampled)) }),
      per_seed: runs.map((x) => ({
        seed: x.seed,
        greedy_accuracy: accuracy(x.run.greedy),
        sampled_accuracy: accuracy(x.run.sampled),
        vs_baseline: x.base ? vs(x.run, x.base) : null,
      })),
    };
    save();
  }
  return result;
}
