/**
 * The Bradley-Terry reward model (src/training/reward-model.ts) and the RLMT reward path
 * (src/training/rm-reward.ts): the loss against hand-computed values, the tensor loss against the
 * host one on a real tiny model (values read where the onnxruntime scorer reads them), learning a
 * separable preference, the hidden rule's ranking, and the reward: format term, batched scores of
 * the response only, the verifier kept out of the score.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaModel, Trainer, initEngine, initHostWeights, saveCheckpoint, validateModelConfig } from '../../src/engine/index.js';
import { getTask } from '../../src/tasks/registry.js';
import type { Problem, Task } from '../../src/tasks/types.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { validateConfig } from '../../src/core/index.js';
import { rmView, thoughtAndResponse } from '../../src/training/reward-model-config.js';
import { bradleyTerryLoss, pairBatch, rewardModelLoss, scoreSequences } from '../../src/training/reward-model.js';
import { type RmPair, rmIds, ruleQuality, splitByPrompt } from '../../src/training/rm-pairs.js';
import { RewardModelScorer, openRlReward, rewardModelReward } from '../../src/training/rm-reward.js';
import { resolveReward } from '../../src/training/rewards.js';
import { tokenizerForTask } from '../../src/training/tasks.js';
import { clusterBootstrap, evaluateRlmt, rlmtMarkdown } from '../../src/training/rlmt-eval.js';

describe('Bradley-Terry loss (Ouyang et al. 2022, eq. 1) by hand', () => {
  it('equals -log sigmoid(scale (r_c - r_r)) averaged over pairs', () => {
    // equal rewards: -log(1/2) = ln 2
    expect(bradleyTerryLoss([0.3], [0.3]).loss).toBeCloseTo(0.6931471805599453, 12);
    // r_c - r_r = 1: log(1 + e^-1) = 0.31326168751822286
    expect(bradleyTerryLoss([0.5], [-0.5]).loss).toBeCloseTo(0.31326168751822286, 12);
    // wrong order at scale 2: z = 2 (0 - 1) = -2, log(1 + e^2) = 2.1269280110429727
    expect(bradleyTerryLoss([0], [1], 2).loss).toBeCloseTo(2.1269280110429727, 12);
    // a batch of the three: mean loss, 1 of 3 ranked right (ties are not), mean margin (0 + 1 - 2) / 3
    const b = bradleyTerryLoss([0.3, 0.5, 0], [0.3, -0.5, 0.5], 2);
    const expected = (Math.log(2) + Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(1))) / 3;
    expect(b.loss).toBeCloseTo(expected, 12);
    expect(b.accuracy).toBeCloseTo(1 / 3, 12);
    expect(b.margin).toBeCloseTo((0 + 2 - 1) / 3, 12);
    // stable far out: z = -40 gives 40 (not Infinity), z = +40 gives e^-40
    expect(bradleyTerryLoss([-10], [10], 2).loss).toBeCloseTo(40, 9);
    expect(bradleyTerryLoss([10], [-10], 2).loss).toBeCloseTo(Math.exp(-40), 20);
    expect(() => bradleyTerryLoss([1, 2], [1])).toThrow(/2 chosen and 1 rejected/);
  });
});

describe('thought and response', () => {
  it('splits a completion into thought lines and the last line', () => {
    expect(thoughtAndResponse('ba fo\nanswer: ba, fo, zu')).toEqual({ thought: ['ba fo'], response: 'answer: ba, fo, zu' });
    expect(thoughtAndResponse('  answer: x  \n\n')).toEqual({ thought: [], response: 'answer: x' });
    expect(thoughtAndResponse('')).toEqual({ thought: [], response: '' });
    expect(rmView('a b\n c \nanswer: a', 'response')).toBe('answer: a');
    expect(rmView('a b\n c \nanswer: a', 'completion')).toBe('a b\nc\nanswer: a');
  });
});

const cfg = validateModelConfig({ vocabSize: 14, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 24, valueHead: true });

describe('the reward-model loss on a real model', () => {
  beforeAll(() => initEngine());

  const pairs: RmPair[] = [
    { promptId: 'a', chosen: [1, 5, 6, 7, 8], rejected: [1, 5, 6, 9] },
    { promptId: 'b', chosen: [1, 4, 4, 10, 11, 5, 6], rejected: [1, 4, 4, 12, 13, 12, 13, 12] },
    { promptId: 'c', chosen: [1, 7], rejected: [1, 7, 8, 9, 10, 11] },
  ];

  it('the tensor loss equals the host loss of the values the onnxruntime scorer reads at the last token', async () => {
    const model = LlamaModel.init(cfg, 5);
    const weights = model.hostWeights();
    const seqLen = Math.max(...pairs.flatMap((p) => [p.chosen.length, p.rejected.length]));
    const scale = 3;
    const trainer = new Trainer(model, { miniBatchRows: 2 * pairs.length, seqLen, lossFn: rewardModelLoss(scale) });
    const r = await trainer.evaluate(pairBatch(pairs, seqLen));
    trainer.dispose();
    const m = { config: cfg, tokenizer: null as never, weights, source: 'test' };
    const v = await scoreSequences(m, [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], 1);
    const host = bradleyTerryLoss(v.slice(0, 3), v.slice(3), scale);
    expect(r.loss).toBeCloseTo(host.loss, 4);
    expect(r.metrics.margin).toBeCloseTo(host.margin, 4);
    expect(r.metrics.accuracy).toBeCloseTo(host.accuracy, 6);
    model.dispose();
  });

  it('training on a separable preference ranks held-out pairs right', async () => {
    // chosen responses end in token 5, rejected ones in token 6, after random prompts
    let seed = 17;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const tokenRow = () => [1, ...Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => 7 + Math.floor(rnd() * 6))];
    const make = (n: number, tag: string): RmPair[] =>
      Array.from({ length: n }, (_, i) => {
        const p = tokenRow();
        return { promptId: `${tag}${i}`, chosen: [...p, 4, 5], rejected: [...p, 4, 6] };
      });
    const train = make(32, 't');
    const held = make(16, 'h');
    const model = LlamaModel.init(cfg, 9);
    const seqLen = Math.max(...[...train, ...held].flatMap((p) => [p.chosen.length, p.rejected.length]));
    const trainer = new Trainer(model, {
      miniBatchRows: 16,
      seqLen,
      lossFn: rewardModelLoss(4),
      optimizer: { lr: 1e-2, weightDecay: 0 },
    });
    const score = async () => {
      const v = await scoreSequences(
        { config: cfg, tokenizer: null as never, weights: model.hostWeights(), source: 'test' },
        [...held.map((p) => p.chosen), ...held.map((p) => p.rejected)],
        4,
      );
      return bradleyTerryLoss(v.slice(0, held.length), v.slice(held.length), 1);
    };
    const before = await score();
    for (let s = 0; s < 30; s++) await trainer.trainStep([pairBatch(train.slice((s % 4) * 8, (s % 4) * 8 + 8), seqLen)]);
    const after = await score();
    trainer.dispose();
    model.dispose();
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBe(1);
  });
});

describe('pairs ranked by the hidden rule', () => {
  it('ruleQuality: correct 2 > wrong 1 > unparseable 0 (word sorting)', async () => {
    const task = getTask('word-sorting:easy') as Task<Problem>;
    const [p] = await task.problems({ split: 'test', limit: 1 });
    const words = (p.data as { words: string[] }).words;
    const sorted = [...words].sort();
    expect(await ruleQuality(task, p, `${sorted.slice(0, 2).join(' ')}\nanswer: ${sorted.join(', ')}`)).toBe(2);
    expect(await ruleQuality(task, p, `x\nanswer: ${[...sorted].reverse().join(', ')}`)).toBe(1);
    expect(await ruleQuality(task, p, 'no answer here 123')).toBe(0);
  });

  it('splitByPrompt keeps the pairs of a prompt together', () => {
    const pairs: RmPair[] = Array.from({ length: 40 }, (_, i) => ({ promptId: `p${i % 20}`, chosen: [1, i], rejected: [1, i + 1] }));
    const { train, heldOut } = splitByPrompt(pairs, 0.1, 0);
    expect(heldOut).toHaveLength(4); // 2 of 20 prompts, 2 pairs each
    const held = new Set(heldOut.map((p) => p.promptId));
    expect(train.some((p) => held.has(p.promptId))).toBe(false);
    expect(train.length + heldOut.length).toBe(40);
  });
});

describe('the reward_model reward (RLMT)', () => {
  let root: string;
  let rmFile: string;
  let task: Task<Problem>;
  let problems: Problem[];
  beforeAll(async () => {
    await initEngine();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-rm-'));
    task = getTask('word-sorting:easy') as Task<Problem>;
    problems = await task.problems({ split: 'test', limit: 6 });
    const tok = tokenizerForTask(task, problems);
    const config = validateModelConfig({
      vocabSize: tok.vocabSize,
      dModel: 16,
      nLayers: 1,
      nHeads: 2,
      dFF: 32,
      maxSeqLen: 64,
      valueHead: true,
    });
    rmFile = path.join(root, 'rm.safetensors');
    saveCheckpoint(
      rmFile,
      { kind: 'reward', config, tokenizer: tok.spec(), step: 0, extra: { reward_model: { scale: 4, sees: 'response' } } },
      initHostWeights(config, 3),
    );
    // a checkpoint that is not a reward model
    saveCheckpoint(
      path.join(root, 'value.safetensors'),
      { kind: 'value', config, tokenizer: tok.spec(), step: 0, extra: {} },
      initHostWeights(config, 3),
    );
    // a (random) policy with the same tokenizer
    const pconfig = { ...config, valueHead: false };
    saveCheckpoint(
      path.join(root, 'policy.safetensors'),
      { kind: 'policy', config: pconfig, tokenizer: tok.spec(), step: 0, extra: { bos: true } },
      initHostWeights(pconfig, 4),
    );
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const completion = (p: Problem, order: 'sorted' | 'reversed', thought = true) => {
    const w = [...(p.data as { words: string[] }).words].sort();
    if (order === 'reversed') w.reverse();
    return `${thought ? `${w.slice(0, 2).join(' ')}\n` : ''}answer: ${w.join(', ')}`;
  };

  it('scores r(x, y) of the response only, in one batch equal to one at a time; no thought gets the penalty; correct is the verifier', async () => {
    const reward = rewardModelReward({ reward_model: { checkpoint: rmFile, think: { min_thought_lines: 1, penalty: -7 } } }, task);
    const scorer = await RewardModelScorer.open(rmFile);
    try {
      const samples = problems.flatMap((p) => [
        { problem: p, completion: completion(p, 'sorted'), tokens: 10 },
        { problem: p, completion: completion(p, 'reversed'), tokens: 10 },
        { problem: p, completion: completion(p, 'sorted', false), tokens: 10 },
      ]);
      const out = await reward(samples);
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i];
        if (i % 3 === 2) {
          expect(out[i].score).toBe(-7); // the format term: no thought before the answer
        } else {
          const [alone] = await scorer.score(task, [s]);
          expect(out[i].score).toBeCloseTo(alone, 5);
          expect(Math.abs(out[i].score)).toBeLessThanOrEqual(4); // scale * tanh
          // the thought is not read: another thought, same response, same score
          const [other] = await scorer.score(task, [
            { problem: s.problem, completion: `zz zz\nzz\n${thoughtAndResponse(s.completion).response}` },
          ]);
          expect(other).toBeCloseTo(alone, 5);
        }
        expect(out[i].correct).toBe(i % 3 !== 1); // the rule decides `correct`, never the score
      }
      // the RM input is <bos> + prompt + response
      const ids = rmIds(scorer.tokenizer, task, problems[0], completion(problems[0], 'sorted'), 'response');
      expect(scorer.tokenizer.decode(ids)).toBe(
        `${task.renderPlain(problems[0])}${thoughtAndResponse(completion(problems[0], 'sorted')).response}`,
      );
    } finally {
      scorer.dispose();
      reward.dispose();
    }
  });

  it('refuses what is not a reward model, and specs outside the rl pipeline, with clear messages', async () => {
    await expect(RewardModelScorer.open(path.join(root, 'value.safetensors'))).rejects.toThrow(/is not a reward model/);
    await expect(RewardModelScorer.open(path.join(root, 'missing.safetensors'))).rejects.toThrow(/does not exist/);
    expect(() => resolveReward({ reward_model: { checkpoint: rmFile } }, task)).toThrow(/opened by the rl pipeline/);
    expect(() => openRlReward({ reward_model: { checkpoint: 3 } }, task)).toThrow(/reward\.reward_model\.checkpoint/);
    // plain rewards still pass through openRlReward
    const v = openRlReward('verifier', task);
    const [r] = await v([{ problem: problems[0], completion: completion(problems[0], 'sorted'), tokens: 5 }]);
    expect(r).toMatchObject({ score: 1, correct: true });
  });

  it('recipe checks: an odd micro-batch splits pairs; policy pairs need model.init; the RL reward accepts a reward model', () => {
    const base = { pipeline: 'rm', task: { name: 'word-sorting:easy' } };
    expect(() => validateConfig(RecipeSchema, { ...base, model: { init: 'x.safetensors' }, rm: { micro_batch_size: 3 } }, 'r')).toThrow(
      /micro_batch_size must be even/,
    );
    expect(() => validateConfig(RecipeSchema, { ...base, rm: {} }, 'r')).toThrow(/model\.init is not set/);
    const rl = validateConfig(
      RecipeSchema,
      {
        pipeline: 'rl',
        task: { name: 'word-sorting:easy' },
        model: { init: 'x.safetensors' },
        rl: { reward: { reward_model: { checkpoint: 'runs/rm' } } },
      },
      'r',
    );
    expect(rl.rl!.reward).toEqual({ reward_model: { checkpoint: 'runs/rm', think: { min_thought_lines: 1, penalty: -5 } } });
    expect(() =>
      validateConfig(
        RecipeSchema,
        {
          pipeline: 'rl',
          task: { name: 'word-sorting:easy' },
          model: { init: 'x' },
          rl: { reward: { reward_model: { checkpoint: 'r', oops: 1 } } },
        },
        'r',
      ),
    ).toThrow();
  });

  it('evaluateRlmt: a policy against itself differs by exactly 0 (same problems, same seeds), and the report is complete', async () => {
    const pol = path.join(root, 'policy.safetensors');
    const r = await evaluateRlmt({
      task,
      problems,
      policies: [
        { name: 'a', checkpoint: pol },
        { name: 'b', checkpoint: pol },
      ],
      rm: rmFile,
      think: { min_thought_lines: 1, penalty: -5 },
      samples: 2,
      temperature: 1,
      maxNewTokens: 24,
      seed: 0,
    });
    expect(r.policies.map((p) => p.name)).toEqual(['a', 'b']);
    expect(r.policies[0].greedy.perProblem).toHaveLength(problems.length);
    for (const k of ['greedy', 'sampled', 'rmGreedy', 'rmSampled'] as const) {
      expect(r.comparisons[0][k].difference.mean).toBe(0);
      expect(r.comparisons[0][k].same).toBe(problems.length);
    }
    for (const p of r.policies) {
      expect(p.sampled.thinkShare).toBeGreaterThanOrEqual(0);
      expect(p.sampled.thinkShare).toBeLessThanOrEqual(1);
      // a random policy rarely thinks: its reward is mostly the penalty, never above the RM's scale
      expect(p.sampled.rmReward.mean).toBeLessThanOrEqual(4);
      expect(p.sampled.rmReward.mean).toBeGreaterThanOrEqual(-5);
    }
    expect(rlmtMarkdown(r)).toMatch(/\| b - a \| \+0\.0 \[/);
  });

  it('clusterBootstrap: the mean over all outcomes, an interval from resampled clusters', () => {
    const c = clusterBootstrap([[1, 1], [0], [1, 0, 1], [0, 0]], 0);
    expect(c.mean).toBeCloseTo(4 / 8, 12);
    expect(c.n).toBe(8);
    expect(c.lo).toBeLessThan(c.mean);
    expect(c.hi).toBeGreaterThan(c.mean);
    const all = clusterBootstrap([[1, 1], [1]], 0);
    expect([all.mean, all.lo, all.hi]).toEqual([1, 1, 1]);
  });
});
