/**
 * The preference and replay trainers on a tiny model: DPO from pairs exported from a search trace,
 * and x1's replay-buffer policy update from sibling steps' backed-up q. Each must move the policy
 * towards the preferred steps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/index.js';
import { exportDataset, loadTraces } from '../../src/data/index.js';
import { LogprobScorer, initEngine, LlamaModel, saveCheckpoint } from '../../src/engine/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import { runDpoPhase } from '../../src/training/dpo.js';
import { trainRl, trainX1 } from '../../src/training/pipeline.js';
import { startingModel, type LoadedModel } from '../../src/training/models.js';
import { RecipeSchema, RestSectionSchema, RlSectionSchema } from '../../src/training/recipe.js';
import { runRest } from '../../src/training/rest.js';
import type { RewardFn } from '../../src/training/rewards.js';
import { runReplayPolicyPhase, stepGroupsFromTraces } from '../../src/training/replay.js';
import { TrainingRun } from '../../src/training/run.js';
import { promptIds, stepIds } from '../../src/training/sequences.js';
import { tokenizerForTask } from '../../src/training/tasks.js';
import type { Problem } from '../../src/tasks/types.js';
import { mctsTrace } from '../data/fixtures.js';

let root: string;
let start: LoadedModel;
const trace = mctsTrace('game24/train/1', [4, 4, 6, 8]);
const problem = trace.problem as Problem;

beforeAll(async () => {
  await initEngine();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-pipelines-'));
  fs.mkdirSync(path.join(root, 'traces'));
  fs.writeFileSync(path.join(root, 'traces', 'a.json'), JSON.stringify(trace));
  const tok = tokenizerForTask(game24Task as never, [problem], 1, ['?']);
  start = startingModel({ preset: 'tiny', init: null, d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 64 }, tok, 3);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function openRun(name: string, pipeline: string, extra: Record<string, unknown>): TrainingRun {
  const recipe = validateConfig(
    RecipeSchema,
    {
      kind: 'train',
      pipeline,
      run: { name, root, seed: 0 },
      task: { name: 'game24' },
      model: { init: 'x.safetensors' },
      log_every: 1,
      ...extra,
    },
    'test',
  );
  return TrainingRun.open(recipe, { progress: 'silent' });
}

/** log pi(step | prefix) under `weights`. */
async function stepLogp(weights: LoadedModel['weights'], prefix: string[], step: string): Promise<number> {
  const model = LlamaModel.fromHostWeights(weights, start.config);
  const scorer = new LogprobScorer(model);
  const p = promptIds(start.tokenizer, game24Task as never, problem, prefix);
  const [lp] = await scorer.logprobs([[...p, ...stepIds(start.tokenizer, step, false)]], [p.length]);
  scorer.dispose();
  model.dispose();
  return lp.reduce((a, b) => a + b, 0);
}

describe('preference and replay trainers', () => {
  it('DPO on step pairs mined from the trace raises the chosen step over the rejected one', async () => {
    const pairs = path.join(root, 'pairs.jsonl');
    exportDataset({ traces: path.join(root, 'traces'), format: 'pairs', out: pairs, pairLevels: ['step'] });
    const run = openRun('dpo', 'dpo', { dpo: { pairs, steps: 1 } });
    const r = await runDpoPhase({
      run,
      phase: 'dpo',
      task: game24Task as never,
      start,
      dpo: {
        pairs,
        steps: 25,
        batch_size: 2,
        beta: 0.5,
        optim: { lr: 0.01, weight_decay: 0, beta1: 0.9, beta2: 0.99, grad_clip: 1, warmup_steps: 0, schedule: 'constant', min_lr_ratio: 1 },
      },
      seed: 0,
      checkpointEvery: 100,
    });
    expect(r.pairs).toBe(2);
    const m = run.metrics();
    expect(m[0].loss).toBeCloseTo(Math.log(2), 3); // policy == reference at the start
    expect(m.at(-1)!.loss as number).toBeLessThan(0.5);
    expect(m.at(-1)!.preference_accuracy).toBe(1);
  });

  it('x1 replay update: sibling steps with higher backed-up q gain probability', async () => {
    const groups = stepGroupsFromTraces(loadTraces(path.join(root, 'traces')));
    // root: n1 (q 0.5) vs n2 (q -0.6); n1: n3 (q 1) vs n4 (q -1); the invalid n9 is left out
    expect(groups.map((g) => g.children.map((c) => c.score))).toEqual([
      [0.5, -0.6],
      [1, -1],
    ]);
    const before = (await stepLogp(start.weights, [], '4+8=12 (4 6 12)')) - (await stepLogp(start.weights, [], '4*4=16 (16 6 8)'));
    const rl = RlSectionSchema.parse({
      steps: 15,
      prompts_per_step: 2,
      group_size: 4,
      ppo_epochs: 1,
      optim: { lr: 0.01, schedule: 'constant' },
    });
    const run = openRun('replay', 'x1', {});
    const r = await runReplayPolicyPhase({
      run,
      phase: 'iter1/policy',
      task: game24Task as never,
      groups,
      start,
      rl,
      seed: 0,
      checkpointEvery: 100,
    });
    expect(r.groups).toBe(2);
    const ck = run.checkpoints('iter1/policy').latest()!;
    const after =
      (await stepLogp(ck.models.policy.weights, [], '4+8=12 (4 6 12)')) - (await stepLogp(ck.models.policy.weights, [], '4*4=16 (16 6 8)'));
    expect(after).toBeGreaterThan(before + 1);
    const m = run.metrics();
    expect(m).toHaveLength(15);
    expect(m.every((x) => typeof x.pg_loss === 'number')).toBe(true);
  });

  it('RL: on the first update the recomputed log-probs match the sampler behaviour log-probs (ratio 1, nothing clipped)', async () => {
    const file = path.join(root, 'start.safetensors');
    saveCheckpoint(
      file,
      { kind: 'policy', config: start.config, tokenizer: start.tokenizer.spec(), step: 0, extra: { bos: true } },
      start.weights,
    );
    const recipe = validateConfig(
      RecipeSchema,
      {
        kind: 'train',
        pipeline: 'rl',
        run: { name: 'parity', root, seed: 0 },
        task: { name: 'game24', limit: 16 },
        model: { init: file },
        rl: {
          steps: 1,
          prompts_per_step: 4,
          group_size: 4,
          mini_batches: 1,
          ppo_epochs: 1,
          reward: 'format-verifier',
          eval_problems: 0,
          rollout: { max_new_tokens: 16, temperature: 0.8 },
        },
      },
      'test',
    );
    const r = await trainRl(recipe, { progress: 'silent' });
    expect(r.checkpoints.policy).toMatch(/policy-step-1\.safetensors$/);
    const [m] = fs
      .readFileSync(path.join(root, 'parity', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(m.rollout_tokens).toBeGreaterThan(0);
    expect(Math.abs(m.approx_kl)).toBeLessThan(1e-3);
    expect(m.clip_frac).toBe(0);
    for (const k of [
      'reward',
      'accuracy',
      'entropy',
      'response_length',
      'rollout_tokens_per_s',
      'train_tokens_per_s',
      'share_rollout',
      'share_scoring',
      'share_training',
    ])
      expect(typeof m[k], k).toBe('number');
  });

  it('ReST: keeps distinct verified samples per problem and fine-tunes on all kept so far', async () => {
    const run = openRun('rest', 'rest', { rest: { iterations: 1 } });
    const rest = RestSectionSchema.parse({
      iterations: 2,
      problems_per_iteration: 2,
      samples_per_problem: 3,
      keep_per_problem: 2,
      rollout: { max_new_tokens: 12 },
      sft: { steps: 2, batch_size: 4 },
    });
    // a verifier that accepts everything, so that the mechanics run on an untrained model
    const acceptAll: RewardFn = async (xs) => xs.map(() => ({ score: 1, correct: true }));
    const problems = await game24Task.problems({ split: 'train', limit: 4 });
    const r = await runRest({ run, task: game24Task as never, problems, start, rest, reward: acceptAll, seed: 0, checkpointEvery: 100 });
    expect(r.iterations).toHaveLength(2);
    expect(r.iterations[0].kept).toBeGreaterThan(0);
    expect(r.iterations[0].kept).toBeLessThanOrEqual(4); // 2 problems x at most 2 distinct
    expect(r.iterations[1].kept).toBeGreaterThanOrEqual(r.iterations[0].kept); // the data accumulates
    expect(r.checkpoint).toMatch(/iter2\/sft\/policy-step-2\.safetensors$/);
  });

  it('x1 end to end at a reduced size: SFT, Q from rollouts, MCTS traces, replay update, Q update', async () => {
    const recipe = validateConfig(
      RecipeSchema,
      {
        kind: 'train',
        pipeline: 'x1',
        run: { name: 'x1', root, seed: 0 },
        task: { name: 'game24', limit: 24 },
        model: { preset: 'tiny', d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 80 },
        checkpoint_every: 50,
        x1: {
          phase1: { sft: { steps: 3, batch_size: 8 }, q: { steps: 3, batch_size: 8 }, rollouts_per_problem: 1 },
          phase2: {
            iterations: 1,
            problems_per_iteration: 2,
            mcts: { simulations: 3, expand: 2, max_depth: 4 },
            policy: { steps: 1, prompts_per_step: 2, group_size: 2 },
            q: { steps: 2, batch_size: 4 },
          },
        },
      },
      'test',
    );
    const r = await trainX1(recipe, { progress: 'silent' });
    expect(Object.keys(r.checkpoints).sort()).toEqual(['policy', 'value']);
    for (const f of Object.values(r.checkpoints)) expect(fs.existsSync(f)).toBe(true);
    const traces = loadTraces(path.join(root, 'x1', 'traces', 'iter1'));
    expect(traces).toHaveLength(2);
    expect(traces[0].trace.strategy.name).toBe('mcts');
    const phases = new Set(
      fs
        .readFileSync(path.join(root, 'x1', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).phase),
    );
    for (const p of ['phase1/sft', 'phase1/q-data', 'phase1/q', 'iter1/mcts']) expect(phases.has(p), p).toBe(true);
    const finals = JSON.parse(fs.readFileSync(path.join(root, 'x1', 'checkpoints', 'final.json'), 'utf8'));
    expect(Object.keys(finals).sort()).toEqual(['policy', 'value']);
  });
});
