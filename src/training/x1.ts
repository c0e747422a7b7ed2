/**
 * The x1 two-phase recipe (Besta et al. 2025, "Reasoning Language Models: A Blueprint", the x1
 * framework), as a sequence of resumable phases:
 *
 *   phase1/sft      SFT of the policy on step-formatted solutions (x1 step protocol)
 *   phase1/q-data   rollouts of the SFT policy; each prefix state labelled +1/-1 by the verifier
 *   phase1/q        the Q model (policy trunk + value head) regressed to those labels
 *   iterN/mcts      MCTS (PUCT without prior, children initialised by the Q model, terminal values
 *                   overwritten by the verifier: training mode) over training problems; the trees
 *                   are saved as traces in runs/<run>/traces/iterN/
 *   iterN/policy    policy update from the replay buffer (the newest trees, up to its capacity):
 *                   group-relative advantages over sibling steps' backed-up q, PPO-clip (./replay.ts)
 *   iterN/q         the Q model regressed by MSE to the replay buffer's backed-up q values
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, logger, writeJsonAtomic } from '../core/index.js';
import { loadTraces } from '../data/index.js';
import { EmbeddedPolicy, EmbeddedValueModel } from '../models/embedded.js';
import { solveMany } from '../reasoning/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { type LoadedModel, startingModel, withValueHead } from './models.js';
import type { Recipe } from './recipe.js';
import { x1Section } from './recipe.js';
import { runReplayPolicyPhase, stepGroupsFromTraces } from './replay.js';
import type { RewardFn } from './rewards.js';
import type { TrainingRun } from './run.js';
import { runSftPhase } from './sft.js';
import { runValuePhase, type ValueExample, valueExamplesFromRollouts, valueExamplesFromTraces } from './value.js';

export interface X1Result {
  policy: string;
  value: string;
  iterations: { solved: number; problems: number; groups: number; replayStates: number }[];
}

const load = (file: string, tokSource: LoadedModel, seed: number, valueHead = false) =>
  startingModel({ preset: 'tiny', init: file }, tokSource.tokenizer, seed, { valueHead });

export async function runX1(input: {
  recipe: Recipe;
  run: TrainingRun;
  task: Task<Problem>;
  problems: readonly Problem[];
  start: LoadedModel;
  reward: RewardFn;
}): Promise<X1Result> {
  const { recipe, run, task } = input;
  const x1 = x1Section(recipe);
  const seed = recipe.run.seed;
  const every = recipe.checkpoint_every;

  // ---- phase 1
  const sft = await runSftPhase({
    run,
    phase: 'phase1/sft',
    task,
    problems: input.problems,
    start: input.start,
    sft: x1.phase1.sft,
    seed,
    checkpointEvery: every,
    logEvery: recipe.log_every,
  });
  let policy = load(sft.checkpoint, input.start, seed);
  const qData = await run.phase('phase1/q-data', async () => {
    const problems = new Rng(seed)
      .fork('x1.q-data')
      .shuffle([...input.problems])
      .slice(0, 256);
    const examples = await valueExamplesFromRollouts(policy, task, problems, x1.phase1.rollouts_per_problem, input.reward, seed, 64);
    run.log('phase1/q-data', 0, {
      states: examples.length,
      positive_share: examples.filter((e) => e.target > 0).length / Math.max(1, examples.length),
    });
    return examples;
  });
  const q1 = await runValuePhase({
    run,
    phase: 'phase1/q',
    task,
    examples: qData,
    start: withValueHead(policy, true, seed),
    value: x1.phase1.q,
    kind: 'value',
    seed,
    checkpointEvery: every,
  });
  let qFile = q1.checkpoint;
  let policyFile = sft.checkpoint;

  // ---- phase 2
  const iterations: X1Result['iterations'] = [];
  const p2 = x1.phase2;
  for (let it = 1; it <= p2.iterations; it++) {
    const traceDir = path.join(run.dir.tracesDir, `iter${it}`);
    const search = await run.phase(`iter${it}/mcts`, async () => {
      const problems = new Rng(seed)
        .fork(`x1.mcts.${it}`)
        .shuffle([...input.problems])
        .slice(0, p2.problems_per_iteration);
      const pol = await EmbeddedPolicy.load(policyFile);
      const val = await EmbeddedValueModel.load(qFile);
      try {
        const res = await solveMany(problems, {
          task,
          strategy: 'mcts',
          settings: {
            simulations: p2.mcts.simulations,
            children: p2.mcts.expand,
            stopWhenSolved: false,
            c1: p2.mcts.c1,
            c2: p2.mcts.c2,
            alpha: p2.mcts.alpha,
            gamma: p2.mcts.gamma,
            maxDepth: p2.mcts.max_depth,
          },
          models: { policy: pol, value: val },
          seed: new Rng(seed).fork(`x1.mcts.seed.${it}`).nextU32(),
          style: 'plain',
          // Training-time search: the verifier overwrites terminal values (x1). Game of 24's
          // verifier needs no answer key; with tasks that need one this uses the reference.
          allowGroundTruth: true,
          trace: true,
        });
        fs.rmSync(traceDir, { recursive: true, force: true });
        res.results.forEach((r, i) => writeJsonAtomic(path.join(traceDir, `${String(i).padStart(4, '0')}.json`), r.trace));
        const solved = res.results.filter((r) => r.correct).length;
        run.log(`iter${it}/mcts`, it, {
          problems: problems.length,
          solved,
          solve_rate: solved / problems.length,
          wall_s: res.wallMs / 1000,
        });
        return { solved, problems: problems.length };
      } finally {
        await pol.close();
        await val.close();
      }
    });
    // The replay buffer: the newest iterations' trees, newest first, up to the capacity in states.
    const replay = [];
    let states = 0;
    for (let j = it; j >= 1 && states < p2.replay_capacity; j--) {
      const dir = path.join(run.dir.tracesDir, `iter${j}`);
      if (!fs.existsSync(dir)) continue;
      const traces = loadTraces(dir);
      replay.push(...traces);
      states += traces.reduce((n, t) => n + t.trace.nodes.length, 0);
    }
    const groups = stepGroupsFromTraces(replay);
    const pol = await runReplayPolicyPhase({
      run,
      phase: `iter${it}/policy`,
      task,
      groups,
      start: policy,
      rl: p2.policy,
      seed: seed + it,
      checkpointEvery: every,
    });
    policyFile = pol.checkpoint;
    policy = load(policyFile, input.start, seed);
    let qExamples: ValueExample[] = [];
    for (const j of [...Array(it).keys()].map((k) => it - k)) {
      const dir = path.join(run.dir.tracesDir, `iter${j}`);
      if (!fs.existsSync(dir)) continue;
      try {
        qExamples.push(...valueExamplesFromTraces(dir, p2.q.target, p2.q.min_visits));
      } catch (e) {
        logger.warn(`x1 iteration ${it}: ${(e as Error).message}`);
      }
      if (qExamples.length >= p2.replay_capacity) break;
    }
    qExamples = qExamples.slice(0, p2.replay_capacity);
    if (qExamples.length > 0) {
      const qStart = load(qFile, input.start, seed, true);
      const q = await runValuePhase({
        run,
        phase: `iter${it}/q`,
        task,
        examples: qExamples,
        start: qStart,
        value: p2.q,
        kind: 'value',
        seed: seed + it,
        checkpointEvery: every,
      });
      qFile = q.checkpoint;
    } else logger.warn(`x1 iteration ${it}: the replay buffer holds no q values; the Q model is not updated`);
    iterations.push({ solved: search.solved, problems: search.problems, groups: groups.length, replayStates: qExamples.length });
    logger.info(`x1 iteration ${it}: MCTS solved ${search.solved}/${search.problems}`, { groups: groups.length });
  }
  return { policy: policyFile, value: qFile, iterations };
}
