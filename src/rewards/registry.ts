/**
 * Composable rewards configured from YAML. A config is a weighted sum of terms:
 *
 *   terms:
 *     - { type: correctness, weight: 1 }
 *     - { type: format, weight: 0.1 }
 *     - { type: overlong, weight: 1, maxTokens: 1024, cacheTokens: 256 }
 *
 * r_total = sum_i w_i * r_i. Every term is a pure function of the sample (functions.ts), except
 * `constraint`, whose Lagrange multiplier is updated between batches by `evaluateBatch`.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { inputError, usageError } from '../core/errors.js';
import type { Problem, Task, VerifyResult } from '../tasks/types.js';
import { verdictOf } from '../tasks/verdict.js';
import {
  LagrangeMultiplier,
  correctnessReward,
  explorationBonus,
  formatReward,
  lengthPenalty,
  overlongPenalty,
  repetitionPenalty,
  shapeProcessRewards,
} from './functions.js';
import { consistencyReward, repetitionOnset, repetitionUnits } from './method-terms.js';
import { renderReward, svgTargetOf } from './render.js';
import { ContrastiveGoalReward } from './contrastive.js';
import { openEmbeddings } from '../models/embeddings.js';
import { genrmScore, openGenrmJudge, type GenerativeJudge } from './genrm/index.js';

/** One completion to score. */
export interface RewardSample {
  problem: Problem;
  completion: string;
  /** Steps of the completion (step-structured tasks); default: its non-empty lines. */
  steps?: string[];
  /** The extracted answer; default: the task's extraction. */
  answer?: string | null;
  /** Completion length in tokens; default: characters (say so when reporting). */
  tokens?: number;
  /** A verifier result computed elsewhere (saves a second run). */
  verify?: VerifyResult;
  /** Per-step process-reward scores (from a PRM or rule checks). */
  processScores?: number[];
  /** A cost for the constraint term (e.g. unsafe content), when the cost source is `sample`. */
  cost?: number;
}

const weight = z.number().default(1);
const base = { weight, name: z.string().optional() };

const Correctness = z.strictObject({
  type: z.literal('correctness'),
  ...base,
  onCorrect: z.number().default(1),
  onWrong: z.number().default(0),
  partial: z.boolean().default(false),
  onUnparseable: z.number().optional(),
});
const Format = z.strictObject({
  type: z.literal('format'),
  ...base,
  answerWeight: z.number().default(1),
  stepWeight: z.number().default(0),
  stepPattern: z.string().optional(),
});
const Length = z.strictObject({
  type: z.literal('length'),
  ...base,
  coef: z.number().default(1),
  free: z.number().nonnegative().default(0),
  scale: z.number().positive().default(1000),
});
const Overlong = z
  .strictObject({ type: z.literal('overlong'), ...base, maxTokens: z.number().int().positive(), cacheTokens: z.number().int().positive() })
  .refine((o) => o.cacheTokens <= o.maxTokens, { message: 'cacheTokens must not exceed maxTokens' });
const Repetition = z.strictObject({
  type: z.literal('repetition'),
  ...base,
  n: z.number().int().positive().default(4),
  coef: z.number().default(1),
  unit: z.enum(['word', 'char']).default('word'),
});
const Exploration = z.strictObject({
  type: z.literal('exploration'),
  ...base,
  coef: z.number().default(0.1),
  cap: z.number().positive().default(1000),
  onlyWhenWrong: z.boolean().default(false),
});
const Process = z.strictObject({
  type: z.literal('process'),
  ...base,
  shaping: z.enum(['none', 'clip', 'delta', 'clip-delta']).default('clip-delta'),
  eta: z.number().default(0),
  /** How per-step shaped rewards become one number: their sum (the return), min or last. */
  aggregate: z.enum(['sum', 'min', 'last']).default('sum'),
});
const Constraint = z.strictObject({
  type: z.literal('constraint'),
  ...base,
  /** Where the cost comes from: the sample's `cost`, tokens/scale, or the fraction of invalid steps. */
  cost: z.enum(['sample', 'tokens', 'invalid-steps']).default('sample'),
  scale: z.number().positive().default(1000),
  lambda: z.number().nonnegative().default(1),
  lambdaLr: z.number().nonnegative().default(0.05),
  threshold: z.number().default(0),
  lambdaMax: z.number().positive().default(100),
});

/** Render feedback (render.ts): the completion's SVG rendered and compared with `problem.data.target`. */
const Render = z.strictObject({
  type: z.literal('render'),
  ...base,
  iouWeight: z.number().default(1),
  ssimWeight: z.number().default(0),
  lengthWeight: z.number().default(0),
  validWeight: z.number().default(0),
  refLength: z.number().positive().optional(),
});

const Consistency = z.strictObject({
  type: z.literal('consistency'),
  ...base,
  /** Pay only when the answer is also correct (R1-Reward's (1 + 0.5 c) * accuracy). */
  gated: z.boolean().default(true),
});
const AdaptiveRepetition = z.strictObject({
  type: z.literal('adaptive-repetition'),
  ...base,
  n: z.number().int().positive().default(2),
  unit: z.enum(['word', 'char', 'line']).default('line'),
  lambda: z.number().nonnegative().default(0.5),
  lambdaLr: z.number().nonnegative().default(0.5),
  /** Share of repeated text tolerated per batch before lambda grows. */
  target: z.number().min(0).max(1).default(0.05),
  lambdaMax: z.number().positive().default(2),
});

/** Contrastive goal reward (contrastive.ts) over an OpenAI-compatible /v1/embeddings backend. */
const Contrastive = z.strictObject({
  type: z.literal('contrastive'),
  ...base,
  /** http(s)://host:port/v1#<model> */
  embeddings: z.string().min(1),
  goal: z.string().min(1),
  baseline: z.string().min(1),
  mode: z.enum(['clg', 'projected']).default('projected'),
  alpha: z.number().min(0).max(1).default(0.5),
});

/** Generative reward model (genrm/): a judge checkpoint writes a critique, then a verdict (RM-R1). */
const Genrm = z.strictObject({
  type: z.literal('genrm'),
  ...base,
  /** The judge: a model spec, e.g. embedded:runs/game24-genrm/checkpoints/rl/policy-step-30.safetensors */
  judge: z.string().min(1),
  /** `verdict`: 1 for Y, 0 for N; `probability`: the judge's P(Y) at the verdict token. */
  score: z.enum(['verdict', 'probability']).default('verdict'),
  /** Reward when the judge's reply has no readable verdict. */
  onUnparseable: z.number().default(0),
  maxTokens: z.number().int().positive().default(96),
});

export type TermConfig =
  | z.output<typeof Correctness>
  | z.output<typeof Format>
  | z.output<typeof Length>
  | z.output<typeof Overlong>
  | z.output<typeof Repetition>
  | z.output<typeof Exploration>
  | z.output<typeof Process>
  | z.output<typeof Constraint>
  | z.output<typeof Render>
  | z.output<typeof Contrastive>
  | z.output<typeof Consistency>
  | z.output<typeof AdaptiveRepetition>
  | z.output<typeof Genrm>
  | { type: 'sum'; weight: number; name?: string; terms: TermConfig[] };

const Term: z.ZodType<TermConfig> = z.lazy(() =>
  z.union([
    Correctness,
    Format,
    Length,
    Overlong,
    Repetition,
    Exploration,
    Process,
    Constraint,
    Render,
    Contrastive,
    Consistency,
    AdaptiveRepetition,
    Genrm,
    z.strictObject({ type: z.literal('sum'), ...base, terms: z.array(Term).min(1) }),
  ]),
) as unknown as z.ZodType<TermConfig>;

export const RewardConfigSchema = z.strictObject({ terms: z.array(Term).min(1) });
export type RewardConfig = z.output<typeof RewardConfigSchema>;

export const REWARD_TYPES = [
  'correctness',
  'format',
  'length',
  'overlong',
  'repetition',
  'exploration',
  'process',
  'constraint',
  'render',
  'contrastive',
  'consistency',
  'adaptive-repetition',
  'genrm',
  'sum',
] as const;

/** Validates a config object or YAML text; errors name the offending key. */
export function parseRewardConfig(input: string | unknown): RewardConfig {
  let obj = input;
  if (typeof input === 'string') {
    try {
      obj = parseYaml(input);
    } catch (e) {
      throw inputError(`reward config is not valid YAML: ${(e as Error).message}`, 'fix the YAML syntax');
    }
  }
  const r = RewardConfigSchema.safeParse(obj);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw usageError(
      `reward config: ${where}: ${issue.message}`,
      `each term needs a "type" (${REWARD_TYPES.join(', ')}); see src/rewards/README.md`,
    );
  }
  return r.data;
}

export interface RewardResult {
  total: number;
  /** Weighted contribution of each term, by name (type, or type#i when repeated, or the given name). */
  terms: Record<string, number>;
  correct?: boolean;
}

interface Context {
  task?: Task<any>;
}

interface Resolved {
  sample: RewardSample;
  steps: string[];
  answer: string | null;
  tokens: number;
  verify?: VerifyResult;
}

export class CompositeReward {
  private readonly multipliers = new Map<string, LagrangeMultiplier>();
  private readonly contrastive = new Map<string, ContrastiveGoalReward>();
  private readonly judges = new Map<string, Promise<GenerativeJudge>>();

  constructor(
    readonly config: RewardConfig,
    private readonly ctx: Context = {},
  ) {
    this.walk(config.terms, '', (term, name) => {
      if (term.type === 'constraint')
        this.multipliers.set(name, new LagrangeMultiplier(term.lambda, term.lambdaLr, term.threshold, term.lambdaMax));
      if (term.type === 'adaptive-repetition')
        this.multipliers.set(name, new LagrangeMultiplier(term.lambda, term.lambdaLr, term.target, term.lambdaMax));
    });
  }

  /** Current Lagrange multipliers by term name. */
  lambdas(): Record<string, number> {
    return Object.fromEntries([...this.multipliers].map(([k, m]) => [k, m.lambda]));
  }

  private walk(terms: TermConfig[], prefix: string, fn: (t: TermConfig, name: string) => void): void {
    const counts = new Map<string, number>();
    for (const t of terms) {
      const n = counts.get(t.type) ?? 0;
      counts.set(t.type, n + 1);
      const name = prefix + (t.name ?? (n === 0 ? t.type : `${t.type}#${n}`));
      fn(t, name);
      if (t.type === 'sum') this.walk(t.terms, `${name}.`, fn);
    }
  }

  private async resolve(sample: RewardSample): Promise<Resolved> {
    const task = this.ctx.task;
    const steps =
      sample.steps ??
      sample.completion
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    const answer = sample.answer !== undefined ? sample.answer : task ? task.extractAnswer(sample.completion, sample.problem) : null;
    const tokens = sample.tokens ?? sample.completion.length;
    return { sample, steps, answer, tokens, verify: sample.verify };
  }

  private async verified(r: Resolved): Promise<VerifyResult> {
    if (r.verify) return r.verify;
    if (!this.ctx.task)
      throw usageError('the correctness reward needs a task or a verify result on each sample', 'build the reward with { task }');
    r.verify = await this.ctx.task.verify(r.answer, r.sample.problem);
    return r.verify;
  }

  /** Does the reasoning support the extracted answer? (method-terms.ts, consistency) */
  private consistent(r: Resolved): boolean {
    const task = this.ctx.task;
    if (r.answer === null || r.answer === '') return false;
    // the reasoning: the step lines, without an "Answer:" line or an <answer> tag
    const steps = r.steps.filter((l) => !/^(answer\s*:|<answer>)/i.test(l));
    if (task?.checkStep && steps.length > 0) {
      const end = task.checkStep(r.sample.problem, steps);
      if (!end.valid || !end.terminal || !end.answer) return false;
      return task.sameAnswer ? task.sameAnswer(end.answer, r.answer) : end.answer.replace(/\s+/g, '') === r.answer.replace(/\s+/g, '');
    }
    const at = r.sample.completion.lastIndexOf(r.answer);
    return at >= 0 && r.sample.completion.indexOf(r.answer) < at;
  }

  private invalidStepFraction(r: Resolved): number {
    const task = this.ctx.task;
    if (!task?.checkStep || r.steps.length === 0) return 0;
    let invalid = 0;
    for (let i = 0; i < r.steps.length; i++) if (!task.checkStep(r.sample.problem, r.steps.slice(0, i + 1)).valid) invalid++;
    return invalid / r.steps.length;
  }

  private async term(t: TermConfig, name: string, r: Resolved, costs: Map<string, number>): Promise<number> {
    switch (t.type) {
      case 'correctness': {
        const v = await this.verified(r);
        return correctnessReward(v.correct, v.score, t, verdictOf(v, r.answer) === 'unparseable');
      }
      case 'format': {
        let wellFormed = 0;
        if (t.stepPattern) {
          const re = new RegExp(t.stepPattern);
          wellFormed = r.steps.filter((s) => re.test(s)).length;
        } else {
          wellFormed = Math.round((1 - this.invalidStepFraction(r)) * r.steps.length);
        }
        return formatReward(r.answer !== null && r.answer !== '', wellFormed, r.steps.length, t);
      }
      case 'length':
        return lengthPenalty(r.tokens, t);
      case 'overlong':
        return overlongPenalty(r.tokens, t);
      case 'repetition':
        return repetitionPenalty(r.sample.completion, t);
      case 'exploration': {
        const v = t.onlyWhenWrong ? await this.verified(r) : r.verify;
        return explorationBonus(r.tokens, v?.correct ?? false, t);
      }
      case 'process': {
        const scores = r.sample.processScores;
        if (!scores || scores.length === 0) return 0;
        const shaped = shapeProcessRewards(scores, t.shaping, t.eta);
        return t.aggregate === 'sum'
          ? shaped.reduce((a, b) => a + b, 0)
          : t.aggregate === 'min'
            ? Math.min(...shaped)
            : shaped[shaped.length - 1];
      }
      case 'constraint': {
        const cost = t.cost === 'sample' ? (r.sample.cost ?? 0) : t.cost === 'tokens' ? r.tokens / t.scale : this.invalidStepFraction(r);
        costs.set(name, cost);
        return -this.multipliers.get(name)!.lambda * cost;
      }
      case 'render': {
        const target = svgTargetOf(r.sample.problem.data);
        if (!target)
          throw usageError(
            'the render reward needs a target picture: problem.data.target (a "#"/"." bitmap or a data:image/png;base64 URL)',
            'use it with the svg-render task, or give each problem data.target',
          );
        return renderReward(r.answer ?? r.sample.completion, target, t).total;
      }
      case 'consistency': {
        const v = await this.verified(r);
        return consistencyReward(this.consistent(r), v.correct, t.gated);
      }
      case 'adaptive-repetition': {
        const rho = repetitionOnset(repetitionUnits(r.sample.completion, t.unit), t.n);
        costs.set(name, rho);
        return -this.multipliers.get(name)!.lambda * rho;
      }
      case 'contrastive': {
        let c = this.contrastive.get(name);
        if (!c) {
          c = new ContrastiveGoalReward(openEmbeddings(t.embeddings), t.goal, t.baseline, { mode: t.mode, alpha: t.alpha });
          this.contrastive.set(name, c);
        }
        return (await c.score([r.sample.completion]))[0];
      }
      case 'genrm': {
        const task = this.ctx.task;
        if (!task) throw usageError('the genrm reward needs the task (to show the judge the problem)', 'build the reward with { task }');
        let judge = this.judges.get(name);
        if (!judge) {
          judge = openGenrmJudge(t.judge, { maxTokens: t.maxTokens });
          this.judges.set(name, judge);
        }
        return genrmScore(await judge, task.renderPlain(r.sample.problem), r.steps, t);
      }
      case 'sum': {
        let total = 0;
        const inner = await this.evaluateTerms(t.terms, `${name}.`, r, costs);
        for (const v of Object.values(inner.terms)) total += v;
        return total;
      }
    }
  }

  private async evaluateTerms(
    terms: TermConfig[],
    prefix: string,
    r: Resolved,
    costs: Map<string, number>,
  ): Promise<{ terms: Record<string, number> }> {
    const out: Record<string, number> = {};
    const counts = new Map<string, number>();
    for (const t of terms) {
      const n = counts.get(t.type) ?? 0;
      counts.set(t.type, n + 1);
      const name = prefix + (t.name ?? (n === 0 ? t.type : `${t.type}#${n}`));
      out[name] = t.weight * (await this.term(t, name, r, costs));
    }
    return { terms: out };
  }

  /** Scores one sample (does not move the Lagrange multipliers). */
  async evaluate(sample: RewardSample): Promise<RewardResult> {
    return (await this.evaluateWithCosts(sample)).result;
  }

  private async evaluateWithCosts(sample: RewardSample): Promise<{ result: RewardResult; costs: Map<string, number> }> {
    const r = await this.resolve(sample);
    const costs = new Map<string, number>();
    const { terms } = await this.evaluateTerms(this.config.terms, '', r, costs);
    const total = Object.values(terms).reduce((a, b) => a + b, 0);
    return { result: { total, terms, correct: r.verify?.correct }, costs };
  }

  /** Scores a batch, then takes one dual step on each Lagrange multiplier with the batch's costs. */
  async evaluateBatch(samples: RewardSample[]): Promise<RewardResult[]> {
    const results: RewardResult[] = [];
    const costs = new Map<string, number[]>();
    for (const s of samples) {
      const { result, costs: c } = await this.evaluateWithCosts(s);
      results.push(result);
      for (const [k, v] of c) costs.set(k, [...(costs.get(k) ?? []), v]);
    }
    for (const [k, m] of this.multipliers) m.update(costs.get(k) ?? []);
    return results;
  }
}

/** Builds a reward from YAML text or a config object. */
export function buildReward(config: string | unknown, ctx: Context = {}): CompositeReward {
  return new CompositeReward(parseRewardConfig(config), ctx);
}
