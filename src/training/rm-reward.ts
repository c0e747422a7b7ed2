/**
 * The RL reward of RLMT (Bhaskar et al. 2025, "Language Models that Think, Chat Better"): each
 * rollout is a thought z then a response y, and the reward is a trained reward model's score
 * r(x, y) (./reward-model.ts, pipeline rm) — never the task's checker. A format term makes the
 * policy think: a rollout with fewer than `min_thought_lines` lines before its response gets
 * `penalty` instead (./reward-model-config.ts).
 *
 * The rollouts of a step are scored in one batched call of the onnxruntime graph (the rollout
 * engine) of the reward model. The task's verifier still runs, for the logs only: `correct` (the
 * loop's `accuracy` and `eval_accuracy`) is the true score the reward model never sees, so a run
 * shows reward hacking as a rising `reward` with a falling `accuracy`.
 */
import { inputError, runtimeError, usageError } from '../core/index.js';
import { type Checkpoint, type Tokenizer, initEngine, loadCheckpoint, tokenizerFromSpec } from '../engine/index.js';
import type { Sampler } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { resolveCheckpoint } from './models.js';
import {
  type RewardModelRewardSpec,
  RewardModelRewardSchema,
  type RmView,
  RM_VIEWS,
  isRewardModelSpec,
  thoughtAndResponse,
} from './reward-model-config.js';
import { type RewardFn, type RewardSampleIn, resolveReward, verifierReward } from './rewards.js';
import { rmIds } from './rm-pairs.js';
import { makeSampler } from './rollout-sampler.js';

/** A trained reward model, opened for scoring: r(x, y) = scale * tanh(head) at the last token. */
export class RewardModelScorer {
  private constructor(
    readonly file: string,
    readonly tokenizer: Tokenizer,
    readonly scale: number,
    readonly sees: RmView,
    readonly maxSeqLen: number,
    private readonly sampler: Sampler,
  ) {}

  /**
   * Reads and checks a reward model checkpoint (a .safetensors file, or a run of pipeline rm),
   * synchronously, so a wrong path fails before any rollout.
   */
  static load(where: string): Checkpoint & { file: string } {
    const file = resolveCheckpoint(where, 'reward');
    const ck = loadCheckpoint(file);
    const d = ck.extra.reward_model as { scale?: unknown; sees?: unknown } | undefined;
    if (ck.kind !== 'reward' || !d || typeof d.scale !== 'number' || !RM_VIEWS.includes(d.sees as RmView) || !ck.config.valueHead)
      throw inputError(
        `${file} is not a reward model (checkpoint kind "${ck.kind}")`,
        'train one with a recipe of pipeline rm (e.g. recipes/word-sorting-rm.yaml) and point reward_model.checkpoint at its run',
      );
    return { ...ck, file };
  }

  /** Opens a reward model for scoring (`load`, then its onnxruntime graph). */
  static async open(where: string | (Checkpoint & { file: string })): Promise<RewardModelScorer> {
    const ck = typeof where === 'string' ? RewardModelScorer.load(where) : where;
    await initEngine();
    const d = ck.extra.reward_model as { scale: number; sees: RmView };
    const sampler = await makeSampler(ck.weights, ck.config, 'onnx');
    return new RewardModelScorer(ck.file, tokenizerFromSpec(ck.tokenizer), d.scale, d.sees, ck.config.maxSeqLen, sampler);
  }

  /** Scores of (problem, completion) couples, in one batch. */
  async score(task: Task<Problem>, items: readonly { problem: Problem; completion: string }[]): Promise<number[]> {
    return this.scoreIds(
      items.map((it) => {
        try {
          return rmIds(this.tokenizer, task, it.problem, it.completion, this.sees);
        } catch (e) {
          throw inputError(
            `reward model ${this.file}: ${(e as Error).message}`,
            'the reward model and the policy must share a tokenizer (train the RM from the policy)',
          );
        }
      }),
    );
  }

  /** Scores of token rows the model reads (prompt + view), in one batch. */
  async scoreIds(rows: readonly number[][]): Promise<number[]> {
    if (rows.length === 0) return [];
    for (const ids of rows)
      if (ids.length > this.maxSeqLen)
        throw runtimeError(
          `reward model ${this.file}: an input of ${ids.length} tokens exceeds its context of ${this.maxSeqLen}`,
          'train the reward model from the policy (same context), or shorten rollout.max_new_tokens',
        );
    return (await this.sampler.values!(rows.map((r) => [...r]))).map((v) => this.scale * v);
  }

  dispose(): void {
    this.sampler.dispose();
  }
}

/** Reward of each rollout: the format term, else the reward model's score; `correct` from the verifier (logs only). */
export function rewardModelReward(spec: RewardModelRewardSpec, task: Task<Problem>): RewardFn & { dispose(): void } {
  const { checkpoint, think } = spec.reward_model;
  const verify = verifierReward(task);
  const ck = RewardModelScorer.load(checkpoint); // fails now, not at the first rollout
  let scorer: Promise<RewardModelScorer> | null = null;
  const fn = async (samples: readonly RewardSampleIn[]) => {
    scorer ??= RewardModelScorer.open(ck);
    const rm = await scorer;
    const thinks = samples.map((s) => {
      const { thought, response } = thoughtAndResponse(s.completion);
      return response !== '' && thought.length >= think.min_thought_lines;
    });
    const scored = samples.filter((_, i) => thinks[i]);
    const rmScores = await rm.score(task, scored);
    const truth = await verify(samples);
    let k = 0;
    return samples.map((_, i) => ({
      score: thinks[i] ? rmScores[k++] : think.penalty,
      correct: truth[i].correct,
      unparseable: truth[i].unparseable,
    }));
  };
  return Object.assign(fn, {
    dispose() {
      void scorer?.then((s) => s.dispose()).catch(() => undefined);
      scorer = null;
    },
  });
}

/** `rl.reward` of any form (./rewards.ts names and composites, or a reward model); dispose when done. */
export function openRlReward(spec: string | Record<string, unknown>, task: Task<Problem>): RewardFn & { dispose(): void } {
  if (isRewardModelSpec(spec)) {
    const r = RewardModelRewardSchema.safeParse(spec);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw usageError(`reward.${issue.path.join('.')}: ${issue.message}`, 'see "RLMT" in src/training/README.md');
    }
    return rewardModelReward(r.data, task);
  }
  return Object.assign(resolveReward(spec, task), { dispose() {} });
}
