/**
 * Evaluate (blueprint operator): scores nodes with one of five evaluators, each batched into one
 * model call for all the nodes given.
 *
 * - `value`: a value model V(s) in [-1, 1] on the state text (x1's Q model when the state ends
 *   with the action that produced it).
 * - `prm`: a process reward model; a partial solution's score aggregates its per-step scores by
 *   `last`, `min` or `prod` (the three choices compared by Snell et al. 2024 / the HF DVTS study).
 * - `orm`: an outcome reward model on the whole (possibly partial) solution, in [0, 1].
 * - `verifier`: task.verify on terminal answers (1/0, or partial credit); non-terminal nodes get
 *   0.5, or 0 when the rules say the step is invalid. Allowed only when the task's verifier needs
 *   no reference answer (Game of 24) or the solve allows ground truth (training).
 * - `judge`: the policy itself as an LLM judge, asked for a 0–10 rating (temperature 0).
 *
 * No silent fallbacks (issue 13): a scorer that fails is never read as a neutral 0.5.
 * - A scorer whose model call fails (e.g. a character-level policy that cannot read the judge
 *   prompt) is an error naming the scorer, with the error's own kind (an input error is exit 2 /
 *   HTTP 400) and a hint to choose another scorer.
 * - A node a scorer could not score (a verdict with no number, a PRM with no step scores) gets NaN:
 *   `unitScore` reads it as "never scored", so it ranks below every scored node. When no node of a
 *   call got a score, the search cannot rank anything and that is a usage error (the scorer chosen
 *   cannot work with this model: exit 2, HTTP 400); when some did, the
 *   search goes on and records `degraded` (scorer, how many nodes, why) in the trace notes and in
 *   the SolveResult, so an unranked pick is always visible.
 *
 * Scores go to `node.scores[scorer]`; `value` also sets node.value; a PRM's score of the node's
 * own step goes to `node.rewards.process` and a verifier's outcome to `node.rewards.outcome`. `unitScore` maps any of them
 * to [-1, 1] so strategies can mix them with values.
 */
import { RlmkitError, isRlmkitError, usageError } from '../../core/errors.js';
import { isBudgetExhausted } from '../budget.js';
import type { SearchContext } from '../context.js';
import type { ReasoningNode } from '../structure.js';

export const Scorers = ['value', 'prm', 'orm', 'verifier', 'judge'] as const;
export type Scorer = (typeof Scorers)[number];
export type PrmAggregate = 'last' | 'min' | 'prod';

export interface EvaluateOptions {
  prmAggregate?: PrmAggregate;
}

/** Scorers whose raw scale is [0, 1] (value is already [-1, 1]). */
const UNIT_INTERVAL: Record<Scorer, boolean> = { value: false, prm: true, orm: true, verifier: true, judge: true };

/** A node's score for `scorer` on the [-1, 1] scale of values; null when never scored. */
export function unitScore(node: ReasoningNode, scorer: Scorer): number | null {
  const s = node.scores[scorer];
  if (s === undefined || Number.isNaN(s)) return null;
  return UNIT_INTERVAL[scorer] ? 2 * s - 1 : s;
}

/** The raw worst score of each scorer (for rule-invalid nodes, which need no model call). */
const WORST: Record<Scorer, number> = { value: -1, prm: 0, orm: 0, verifier: 0, judge: 0 };

export function assertScorerAllowed(ctx: SearchContext, scorer: Scorer): void {
  if (scorer === 'verifier' && ctx.env.task.verifierNeedsAnswer && !ctx.allowGroundTruth) {
    throw usageError(
      `the "verifier" scorer needs the reference answer of task ${ctx.env.task.name}, which a search may only use when generating training data`,
      'choose scorer=value, prm, orm or judge, or pass --allow-ground-truth for data generation (never for evaluation)',
    );
  }
}

export async function evaluate(
  ctx: SearchContext,
  nodes: readonly ReasoningNode[],
  scorer: Scorer,
  o: EvaluateOptions = {},
): Promise<number[]> {
  assertScorerAllowed(ctx, scorer);
  const todo = nodes.filter((n) => n.scores[scorer] === undefined && !(ctx.env.options.ruleCheck && n.valid === false));
  for (const n of nodes)
    if (n.scores[scorer] === undefined && ctx.env.options.ruleCheck && n.valid === false) n.scores[scorer] = WORST[scorer];
  if (todo.length > 0) {
    const scores = await scoreWith(ctx, todo, scorer, o);
    const unscored = scores.filter((x) => typeof x !== 'number' || Number.isNaN(x)).length;
    if (unscored === todo.length) {
      throw new RlmkitError(
        `scorer "${scorer}" gave no score for any of the ${todo.length} node(s) it was asked about${ctx.notes.judgeFirstReply !== undefined ? ` (first reply: ${JSON.stringify(String(ctx.notes.judgeFirstReply).slice(0, 80))})` : ''}, so the search cannot rank them`,
        {
          // The request's choice of scorer cannot work with this model: a usage error (exit 2, HTTP 400).
          kind: 'usage',
          hint: SCORER_HINT,
        },
      );
    }
    if (unscored > 0) noteDegraded(ctx, scorer, unscored, todo.length);
    todo.forEach((n, i) => {
      n.scores[scorer] = scores[i];
      if (scorer === 'value') n.value = scores[i];
    });
    ctx.record('evaluate', todo, undefined, { scorer });
  }
  return nodes.map((n) => n.scores[scorer]);
}

async function scoreWith(ctx: SearchContext, nodes: readonly ReasoningNode[], scorer: Scorer, o: EvaluateOptions): Promise<number[]> {
  const env = ctx.env;
  switch (scorer) {
    case 'value':
      return (await ctx.values(nodes.map((n) => env.stateText(n.steps)))).map((v) => clamp(v, -1, 1));
    case 'orm':
      return ctx.outcome(nodes.map((n) => env.solution(n.steps, n.answer)));
    case 'prm': {
      const per = await ctx.process(nodes.map((n) => env.solution(n.steps, n.answer)));
      // The last step's own score is this node's process reward (kept for dataset export).
      per.forEach((steps, i) => {
        const last = steps[steps.length - 1];
        if (last !== undefined && !Number.isNaN(last)) nodes[i].rewards.process = last;
      });
      return per.map((steps) => aggregatePrm(steps, o.prmAggregate ?? 'min'));
    }
    case 'verifier': {
      ctx.checksUsed.add(env.task.verifierNeedsAnswer ? 'ground-truth-verifier' : 'rule-verifier');
      return Promise.all(
        nodes.map(async (n) => {
          if (!n.terminal) return n.valid === false ? 0 : 0.5;
          const score = (await env.task.verify(n.answer, env.problem)).score;
          n.rewards.outcome = score;
          return score;
        }),
      );
    }
    case 'judge':
      return judge(ctx, nodes);
  }
}

/** Per-step PRM scores to one number; NaN entries (steps an outcome model did not score) are skipped; NaN when none is left. */
export function aggregatePrm(steps: readonly number[], how: PrmAggregate): number {
  const xs = steps.filter((x) => !Number.isNaN(x));
  if (xs.length === 0) return Number.NaN;
  if (how === 'last') return xs[xs.length - 1];
  if (how === 'min') return Math.min(...xs);
  return xs.reduce((a, b) => a * b, 1);
}

const JUDGE_INSTRUCTION =
  'Rate from 0 to 10 how likely this partial solution is to lead to a correct final answer. Reply with the number only.';

async function judge(ctx: SearchContext, nodes: readonly ReasoningNode[]): Promise<number[]> {
  const env = ctx.env;
  const requests = nodes.map((n) => {
    const body = `Problem:\n${env.problem.question}\n\nSolution so far:\n${n.steps.join('\n') || '(empty)'}\n\n${JUDGE_INSTRUCTION}`;
    return env.style === 'chat' ? { messages: [{ role: 'user' as const, content: body }] } : { prompt: `${body}\nScore:` };
  });
  let out: Awaited<ReturnType<typeof ctx.generate>>;
  try {
    out = await ctx.generate(requests, { n: 1, temperature: 0, maxTokens: 8, stop: ['\n'] });
  } catch (e) {
    // A policy that cannot even read the judge prompt (e.g. a character model missing letters of
    // its vocabulary) cannot rank anything: an error, never a neutral score. Budgets still stop.
    if (isBudgetExhausted(e)) throw e;
    const kind = isRlmkitError(e) ? e.kind : 'runtime';
    throw new RlmkitError(`scorer "judge" failed: the policy could not judge the search's nodes: ${(e as Error).message}`, {
      kind,
      hint: SCORER_HINT,
      cause: e,
    });
  }
  let unparsed = 0;
  const scores = nodes.map((_, i) => {
    const text = out[i]?.[0]?.text ?? '';
    const m = /(\d+(?:\.\d+)?)/.exec(text);
    if (!m) {
      unparsed++;
      ctx.notes.judgeFirstReply ??= text;
      return Number.NaN;
    }
    return clamp(Number(m[1]) / 10, 0, 1);
  });
  if (unparsed > 0) ctx.notes.judgeUnparsed = ((ctx.notes.judgeUnparsed as number | undefined) ?? 0) + unparsed;
  return scores;
}

const SCORER_HINT =
  'a policy that cannot read a judge prompt (a character-level model) cannot be its own judge: give the search a value or reward model (scorer=value, prm or orm), or use scorer=verifier where the task allows it';

export interface DegradedScoring {
  scorer: Scorer;
  /** Nodes the scorer was asked about and could not score (they rank below every scored node). */
  unscored: number;
  of: number;
}

/** Records in ctx.notes.degraded (trace notes, SolveResult.degraded) that a scorer left nodes unscored. */
function noteDegraded(ctx: SearchContext, scorer: Scorer, unscored: number, of: number): void {
  const list = (ctx.notes.degraded ??= []) as DegradedScoring[];
  const entry = list.find((d) => d.scorer === scorer);
  if (entry) {
    entry.unscored += unscored;
    entry.of += of;
  } else list.push({ scorer, unscored, of });
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
