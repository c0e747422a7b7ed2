/**
 * TP-GRPO's thought rewards for the RL loop (the equations: ./algos/thought-advantages.ts): a
 * response is split into thoughts at its step markers (`<eos_step>`, the "\n" of the text, and
 * `<eos>`), each thought is scored by a process reward model, and the scores become per-token
 * advantages mixed with the outcome advantage.
 *
 * Scorers:
 *   rules  the task's step checker as an exact PRM: thought k scores 1 when steps 1..k are all
 *          valid (task.checkStep), 0 from the first invalid step on
 *   prm    a trained PRM (pipeline prm: value head regressed on step labels, src/training/value.ts):
 *          its value at the last token of prompt + steps 1..k
 */
import { usageError } from '../core/index.js';
import { EOS, type Tokenizer, loadCheckpoint } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import type { RlMethodsSection } from './algos/methods-config.js';
import { type Matrix, type ThoughtSpan, splitThoughts, thoughtAdvantages } from './algos/index.js';
import { valuesAtAllPositions } from './rollout-sampler.js';
import { promptIds } from './sequences.js';

export interface ThoughtRollout {
  problem: Problem;
  /** Response token ids (without the prompt). */
  response: readonly number[];
}

/** Scores the thoughts of many responses: per response, one reward per step. */
export type ThoughtScorer = (items: readonly { problem: Problem; steps: string[] }[]) => Promise<number[][]>;

export function ruleThoughtScorer(task: Task<Problem>): ThoughtScorer {
  if (!task.checkStep) throw usageError(`task ${task.name} has no step checker`, 'use thought_rewards.source: prm with a trained PRM');
  return async (items) =>
    items.map(({ problem, steps }) => {
      const out: number[] = [];
      let ok = true;
      for (let k = 0; k < steps.length; k++) {
        ok = ok && task.checkStep!(problem, steps.slice(0, k + 1)).valid;
        out.push(ok ? 1 : 0);
      }
      return out;
    });
}

export function prmThoughtScorer(task: Task<Problem>, tok: Tokenizer, file: string): ThoughtScorer {
  const ck = loadCheckpoint(file);
  if (!ck.config.valueHead) throw usageError(`${file} has no value head, so it is not a PRM`, 'train one with pipeline: prm');
  return async (items) => {
    const seqs: number[][] = [];
    const owner: number[] = [];
    items.forEach(({ problem, steps }, i) => {
      for (let k = 1; k <= steps.length; k++) {
        seqs.push(promptIds(tok, task, problem, steps.slice(0, k)).slice(0, ck.config.maxSeqLen));
        owner.push(i);
      }
    });
    const out: number[][] = items.map(() => []);
    if (!seqs.length) return out;
    const v = await valuesAtAllPositions(ck.weights, ck.config, seqs);
    seqs.forEach((s, j) => out[owner[j]].push(v[j][s.length - 1]));
    return out;
  };
}

export function thoughtScorerFor(
  cfg: NonNullable<RlMethodsSection['thought_rewards']>,
  task: Task<Problem>,
  tok: Tokenizer,
): ThoughtScorer {
  return cfg.source === 'rules' ? ruleThoughtScorer(task) : prmThoughtScorer(task, tok, cfg.prm!);
}

/** Thoughts of one response: spans in response coordinates and their decoded step texts. */
export function responseThoughts(tok: Tokenizer, response: readonly number[]): { spans: ThoughtSpan[]; steps: string[] } {
  const spans = splitThoughts(response, (id) => id === tok.eosStep || id === EOS);
  const steps = spans.map((s) => tok.decode(response.slice(s.start, s.end).filter((id) => id !== EOS && id !== tok.eosStep)).trim());
  // a thought with no text (a bare marker) is no step
  const keep = steps.map((s) => s.length > 0);
  return { spans: spans.filter((_, k) => keep[k]), steps: steps.filter((_, k) => keep[k]) };
}

/** A^outcome + alpha * A^proc for the kept rollouts of a step (TP-GRPO). */
export async function thoughtLevelAdvantages(
  scorer: ThoughtScorer,
  tok: Tokenizer,
  rollouts: readonly ThoughtRollout[],
  groups: ArrayLike<number | string>,
  outcome: Matrix,
  mask: Matrix,
  alpha: number,
): Promise<{ advantages: Matrix; meanThoughts: number; meanThoughtReward: number }> {
  const th = rollouts.map((r) => responseThoughts(tok, r.response));
  const rewards = await scorer(rollouts.map((r, i) => ({ problem: r.problem, steps: th[i].steps })));
  const flat = rewards.flat();
  return {
    advantages: thoughtAdvantages({ outcome, mask, groups, spans: th.map((t) => t.spans), rewards, alpha }),
    meanThoughts: flat.length / Math.max(1, rollouts.length),
    meanThoughtReward: flat.length ? flat.reduce((a, b) => a + b, 0) / flat.length : 0,
  };
}
