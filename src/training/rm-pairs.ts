/**
 * Preference pairs for a reward model, as RLHF collects them (Ouyang et al. 2022, sec. 3.5): several
 * samples of the policy per prompt, ranked by a labeller, every (better, worse) couple a pair.
 * rlmkit's labeller is the task's rule checker, a hidden rule the reward model never reads: a
 * correct answer beats a wrong one, a wrong (but readable) answer beats an unreadable one
 * (`ruleQuality`). Pairs can also come from a JSONL file of {prompt, chosen, rejected} texts.
 *
 * A pair holds the token ids the reward model reads (./reward-model-config.ts `rmView`: the
 * response after the prompt, or the whole completion), ready for the trainer and for scoring.
 */
import { Rng, inputError, readJsonl } from '../core/index.js';
import { BOS, EOS, type Tokenizer } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { verdictOf } from '../tasks/verdict.js';
import type { LoadedModel } from './models.js';
import { type RmView, rmView } from './reward-model-config.js';
import { makeSampler } from './rollout-sampler.js';
import { promptIds } from './sequences.js';

export interface RmPair {
  /** Groups pairs of one prompt (held-out splits and paired statistics go by prompt). */
  promptId: string;
  /** Token ids the reward model reads: prompt + view of the chosen / rejected completion. */
  chosen: number[];
  rejected: number[];
}

/** The hidden rule: 2 correct, 1 wrong but readable, 0 unparseable (the task's three-way verdict). */
export async function ruleQuality(task: Task<Problem>, problem: Problem, completion: string): Promise<number> {
  const answer = task.extractAnswer(completion, problem);
  const v = await task.verify(answer, problem);
  if (v.correct) return 2;
  return verdictOf(v, answer) === 'unparseable' ? 0 : 1;
}

/** Ids the reward model reads for a completion of a task problem. */
export function rmIds(tok: Tokenizer, task: Task<Problem>, problem: Problem, completion: string, sees: RmView): number[] {
  return [...promptIds(tok, task, problem), ...tok.encode(rmView(completion, sees))];
}

export interface PolicyPairsOptions {
  samples: number;
  pairsPerProblem: number;
  temperature: number;
  maxNewTokens: number;
  sees: RmView;
  seed: number;
}

export interface PolicyPairs {
  pairs: RmPair[];
  /** Samples drawn, and the share the rule ranks correct / unparseable (what the pairs were made of). */
  samples: number;
  correctShare: number;
  unparseableShare: number;
  /** Problems with at least one pair (all samples of the others had the same quality or view). */
  problemsWithPairs: number;
}

/**
 * `samples` completions per problem from the policy, ranked by `ruleQuality`; per problem, every
 * couple of different quality whose views differ is a candidate, and `pairsPerProblem` of them
 * (drawn with the seed) are kept. Couples with the same view are dropped: the reward model could
 * not tell them apart.
 */
export async function pairsFromPolicy(
  policy: LoadedModel,
  task: Task<Problem>,
  problems: readonly Problem[],
  o: PolicyPairsOptions,
): Promise<PolicyPairs> {
  const tok = policy.tokenizer;
  const rows: number[][] = [];
  for (const p of problems) for (let j = 0; j < o.samples; j++) rows.push(promptIds(tok, task, p));
  if (rows.length === 0) return { pairs: [], samples: 0, correctShare: NaN, unparseableShare: NaN, problemsWithPairs: 0 };
  const maxNew = Math.max(1, Math.min(o.maxNewTokens, policy.config.maxSeqLen - Math.max(...rows.map((r) => r.length))));
  const rng = new Rng(o.seed).fork('rm.pairs');
  const sampler = await makeSampler(policy.weights, policy.config, 'onnx');
  let res;
  try {
    res = await sampler.sample(rows, { maxNewTokens: maxNew, temperature: o.temperature, seed: rng.fork('sample').nextU32() });
  } finally {
    sampler.dispose();
  }
  const pairs: RmPair[] = [];
  let correct = 0;
  let unparseable = 0;
  let withPairs = 0;
  for (let i = 0; i < problems.length; i++) {
    const p = problems[i];
    const done: { view: string; q: number; ids: number[] }[] = [];
    for (let j = 0; j < o.samples; j++) {
      const text = tok.decode(res[i * o.samples + j].tokens.filter((t) => t !== EOS));
      const q = await ruleQuality(task, p, text);
      if (q === 2) correct++;
      if (q === 0) unparseable++;
      done.push({ view: rmView(text, o.sees), q, ids: rmIds(tok, task, p, text, o.sees) });
    }
    const seen = new Set<string>();
    const candidates: RmPair[] = [];
    for (const a of done)
      for (const b of done) {
        if (a.q <= b.q || a.view === b.view) continue;
        const key = `${a.view}\u0000${b.view}`;
        if (seen.has(key)) continue;
        seen.add(key);
        candidates.push({ promptId: p.id, chosen: a.ids, rejected: b.ids });
      }
    if (candidates.length > 0) withPairs++;
    pairs.push(...rng.fork(`problem.${i}`).shuffle(candidates).slice(0, o.pairsPerProblem));
  }
  const n = problems.length * o.samples;
  return { pairs, samples: n, correctShare: correct / n, unparseableShare: unparseable / n, problemsWithPairs: withPairs };
}

/**
 * TRL-style preference rows {prompt, chosen, rejected} (texts; the reward model reads `<bos>` +
 * prompt + the view of each completion). Rows of one prompt share a promptId.
 */
export function pairsFromJsonl(file: string, tok: Tokenizer, sees: RmView): RmPair[] {
  const rows = readJsonl<Record<string, unknown>>(file);
  const out: RmPair[] = [];
  rows.forEach((r, i) => {
    const where = `${file}:${i + 1}`;
    if (typeof r.prompt !== 'string' || typeof r.chosen !== 'string' || typeof r.rejected !== 'string')
      throw inputError(`${where}: expected {"prompt": text, "chosen": text, "rejected": text}`, 'one preference pair per line');
    const encode = (text: string, what: string) => {
      try {
        return tok.encode(text);
      } catch (e) {
        throw inputError(`${where}: ${what}: ${(e as Error).message}`, "use the policy's characters only");
      }
    };
    const prompt = [BOS, ...encode(r.prompt, 'prompt')];
    out.push({
      promptId: r.prompt,
      chosen: [...prompt, ...encode(rmView(r.chosen, sees), 'chosen')],
      rejected: [...prompt, ...encode(rmView(r.rejected, sees), 'rejected')],
    });
  });
  if (out.length === 0) throw inputError(`${file} holds no pairs`, 'one {"prompt", "chosen", "rejected"} object per line');
  return out;
}

/** Splits pairs by prompt: about `fraction` of the prompts (at least one when there are 10 or more) are held out. */
export function splitByPrompt(pairs: readonly RmPair[], fraction: number, seed: number): { train: RmPair[]; heldOut: RmPair[] } {
  const ids = [...new Set(pairs.map((p) => p.promptId))].sort();
  const n = ids.length >= 10 ? Math.max(1, Math.floor(ids.length * fraction)) : 0;
  const held = new Set(new Rng(seed).fork('rm.split').shuffle(ids).slice(0, n));
  return { train: pairs.filter((p) => !held.has(p.promptId)), heldOut: pairs.filter((p) => held.has(p.promptId)) };
}
