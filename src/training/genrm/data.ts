/**
 * Data for the generative reward model (RM-R1's two stages): candidate solutions sampled from a
 * policy on the judge's training puzzles, labelled by the task's rule verifier, balanced between
 * correct and wrong, each with the critique the teacher (the game's rule checker,
 * src/rewards/genrm/critique.ts) writes for it.
 *
 * Puzzles: the judge never trains on the puzzles it is measured on. `judgeSplit` puts the task's
 * test split and every `heldOutEvery`-th puzzle of its training split aside as held-out puzzles;
 * the judge (and the ORM it is compared with) trains on the rest.
 */
import { Rng, logger } from '../../core/index.js';
import type { HostWeights, ModelConfig, Tokenizer } from '../../engine/index.js';
import { type CritiqueStyle, type Verdict, genrmRules, judgePrompt, teacherCritique } from '../../rewards/genrm/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import { makeSampler } from '../rollout-sampler.js';
import { promptIds } from '../sequences.js';

export type NumberProblem = Problem & { data: { numbers: number[]; target: number } };

export interface JudgeCandidate {
  problem: NumberProblem;
  /** The candidate's steps as the policy wrote them. */
  steps: string[];
  /** The rule verifier's label (task.verify on the extracted answer). */
  label: Verdict;
  /** The judge prompt (src/rewards/genrm judgePrompt). */
  prompt: string;
  /** The teacher's critique and verdict, e.g. "12 (4 6 12) ok;...#Y". */
  critique: string;
}

export function asNumberProblem(p: Problem): NumberProblem {
  const d = p.data as { numbers?: unknown; target?: unknown } | undefined;
  if (!d || !Array.isArray(d.numbers) || typeof d.target !== 'number')
    throw new Error(`problem ${p.id} is not a number-game problem (data.numbers, data.target)`);
  return p as NumberProblem;
}

/** The judge's training puzzles and the held-out ones (the test split + every k-th training puzzle). */
export async function judgeSplit(task: Task<Problem>, heldOutEvery: number): Promise<{ train: Problem[]; heldOut: Problem[] }> {
  const train = await task.problems({ split: 'train' });
  const test = task.splits.includes('test') ? await task.problems({ split: 'test' }) : [];
  return {
    train: train.filter((_, i) => i % heldOutEvery !== heldOutEvery - 1),
    heldOut: [...test, ...train.filter((_, i) => i % heldOutEvery === heldOutEvery - 1)],
  };
}

/** Steps of a decoded completion (one per line). */
export function completionSteps(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export interface SampleCandidatesOptions {
  samples: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
  /** Keep identical completions of one puzzle once (default true). */
  dedupe?: boolean;
  critique?: CritiqueStyle;
}

export interface CandidatePool {
  candidates: JudgeCandidate[];
  /** Samples whose teacher verdict differed from the verifier's label (dropped; should be 0). */
  teacherDisagreements: number;
  duplicates: number;
}

/** Samples candidates from a policy and labels them with the verifier and the teacher's critique. */
export async function sampleCandidates(
  policy: { weights: HostWeights; config: ModelConfig; tokenizer: Tokenizer },
  task: Task<Problem>,
  problems: readonly Problem[],
  o: SampleCandidatesOptions,
): Promise<CandidatePool> {
  const sampler = await makeSampler(policy.weights, policy.config, 'onnx');
  const out: JudgeCandidate[] = [];
  let teacherDisagreements = 0;
  let duplicates = 0;
  try {
    const chunk = Math.max(1, Math.floor(256 / o.samples));
    for (let i = 0; i < problems.length; i += chunk) {
      const ps = problems.slice(i, i + chunk).map(asNumberProblem);
      const prompts = ps.flatMap((p) => Array.from({ length: o.samples }, () => promptIds(policy.tokenizer, task, p)));
      const maxNew = Math.max(1, Math.min(o.maxNewTokens, policy.config.maxSeqLen - Math.max(...prompts.map((p) => p.length))));
      const res = await sampler.sample(prompts, { maxNewTokens: maxNew, temperature: o.temperature, seed: o.seed + i });
      const seen = new Set<string>();
      for (let k = 0; k < res.length; k++) {
        const p = ps[Math.floor(k / o.samples)];
        const text = policy.tokenizer.decode(res[k].tokens);
        const key = `${p.id}\u0000${text}`;
        if (o.dedupe !== false && seen.has(key)) {
          duplicates++;
          continue;
        }
        seen.add(key);
        const c = await labelCandidate(task, p, completionSteps(text), o.critique);
        if (c) out.push(c);
        else teacherDisagreements++;
      }
    }
  } finally {
    sampler.dispose();
  }
  if (teacherDisagreements > 0)
    logger.warn(`genrm: ${teacherDisagreements} candidate(s) where the teacher and the verifier disagree were dropped`);
  return { candidates: out, teacherDisagreements, duplicates };
}

/** One candidate with its verifier label and teacher critique; null when they disagree. */
export async function labelCandidate(
  task: Task<Problem>,
  problem: NumberProblem,
  steps: string[],
  style: CritiqueStyle = 'result',
): Promise<JudgeCandidate | null> {
  const text = steps.join('\n');
  const v = await task.verify(task.extractAnswer(text, problem), problem);
  const label: Verdict = v.correct ? 'correct' : 'wrong';
  const teacher = teacherCritique(problem.data.numbers, steps, genrmRules(task.name, problem.data.target), style);
  if (teacher.verdict !== label) return null;
  return { problem, steps, label, prompt: judgePrompt(task.renderPlain(problem), steps), critique: teacher.text };
}

/** Equal numbers of correct and wrong candidates (the larger class subsampled, seeded), shuffled. */
export function balance(cands: readonly JudgeCandidate[], seed: number): JudgeCandidate[] {
  const rng = new Rng(seed).fork('genrm.balance');
  const pos = rng.shuffle(cands.filter((c) => c.label === 'correct'));
  const neg = rng.shuffle(cands.filter((c) => c.label === 'wrong'));
  const n = Math.min(pos.length, neg.length);
  return rng.shuffle([...pos.slice(0, n), ...neg.slice(0, n)]);
}
