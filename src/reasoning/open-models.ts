/**
 * The models a search uses, from spec strings: a policy (any `--model` spec, or a model-free
 * baseline), a value model, and a reward model (an LLM judge, or a value checkpoint read as an
 * outcome / process reward). `rlmkit solve`, `rlmkit eval` and the explorer's playground open their
 * models here; programs can too.
 */
import { LlmJudge } from '../models/judge.js';
import { loadPolicy, loadValueModel } from '../models/spec.js';
import type { Policy, RewardModel, ValueModel } from '../models/types.js';
import { LegalUniformPolicy } from './legal-policy.js';

/** Model-free policy names: every step drawn uniformly from the task's legal moves. */
export const MODEL_FREE: readonly string[] = ['legal-uniform', 'random'];

export function isModelFree(spec: string): boolean {
  return MODEL_FREE.includes(spec);
}

/** A policy from a `--model` spec, or the model-free `legal-uniform` (alias `random`) baseline. */
export async function openSearchPolicy(spec: string, seed: number): Promise<Policy> {
  if (isModelFree(spec)) return new LegalUniformPolicy(seed);
  return loadPolicy(spec);
}

export async function openSearchValueModel(spec: string): Promise<ValueModel> {
  return loadValueModel(spec);
}

/**
 * A reward model from a spec: `judge:<policy spec>` makes the policy an LLM judge (outcome or
 * process); a value checkpoint becomes a reward model on [0, 1] via (v + 1) / 2.
 */
export async function openSearchRewardModel(spec: string, kind: 'outcome' | 'process', seed: number): Promise<RewardModel> {
  if (spec.startsWith('judge:')) return new LlmJudge(await openSearchPolicy(spec.slice('judge:'.length), seed), { kind });
  const value = await loadValueModel(spec);
  const toUnit = (v: number) => (v + 1) / 2;
  return {
    id: `${value.id}#${kind}`,
    kind,
    outcome: async (solutions) =>
      (await value.value(solutions.map((s) => `${s.prompt}${s.steps.map((x) => `${x}\n`).join('')}`))).map(toUnit),
    process: async (solutions) => {
      const states = solutions.flatMap((s) =>
        s.steps.map(
          (_, i) =>
            `${s.prompt}${s.steps
              .slice(0, i + 1)
              .map((x) => `${x}\n`)
              .join('')}`,
        ),
      );
      const v = (await value.value(states)).map(toUnit);
      let at = 0;
      return solutions.map((s) => v.slice(at, (at += s.steps.length)));
    },
  };
}
