/**
 * Scores a batch of samples with rlmkit's verifiers (math grader, Python sandbox, number-game rule
 * checks) and, when configured, a reward-shaping recipe from the reward registry (src/rewards).
 *
 * - Labels are resolved first, for the whole batch: one malformed label fails the batch (the app
 *   answers 400) before any verifier runs.
 * - Samples are verified concurrently, at most `concurrency` at once (the code sandbox has its own
 *   per-CPU limit underneath).
 * - Each sample has a time limit; past it the sample scores as wrong with `timedOut: true` (as the
 *   math grader's own limit does), so one pathological answer never stalls a trainer's step.
 */
import { type CompositeReward, buildReward } from '../../rewards/registry.js';
import type { VerifyResult } from '../../tasks/types.js';
import { type ResolvedSample, resolveSample } from './labels.js';

export interface RewardItem {
  /** Task name or verl data source (or the server's default). */
  source: string;
  /** The reference label (verl ground_truth, OpenRLHF label). */
  label: unknown;
  /** The model's response text (without the prompt). */
  response: string;
}

export interface ItemScore {
  /** The reward the trainer optimises: the recipe's total, else 1 for correct and 0 for wrong. */
  reward: number;
  /** The verifier's score in [0, 1] (partial credit for code: fraction of tests passed). */
  score: number;
  correct: boolean;
  timedOut: boolean;
  /** The answer the verifier compared (after extraction), or null. */
  extracted: string | null;
  details: string;
  /** The recipe's terms, when a recipe is configured. */
  terms?: Record<string, number>;
}

export interface ScorerOptions {
  /** Reward recipe (YAML text or object, src/rewards/README.md); default: correctness 1/0. */
  reward?: string | unknown;
  /** Time limit per sample in ms (default 30000). */
  sampleTimeoutMs?: number;
  /** Samples verified at once (default 8). */
  concurrency?: number;
}

class Timeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export class RewardScorer {
  private readonly recipes = new Map<string, CompositeReward>();
  readonly sampleTimeoutMs: number;
  readonly concurrency: number;

  constructor(private readonly options: ScorerOptions = {}) {
    this.sampleTimeoutMs = options.sampleTimeoutMs ?? 30_000;
    this.concurrency = options.concurrency ?? 8;
    // Validate the recipe at start-up (a bad recipe is a usage error, not a 500 per request).
    if (options.reward !== undefined) buildReward(options.reward);
  }

  /** Resolves every label (throws LabelError on the first malformed one), then scores. */
  async score(items: RewardItem[]): Promise<ItemScore[]> {
    const resolved = items.map((it, i) => {
      try {
        return resolveSample(it.source, it.label);
      } catch (e) {
        (e as Error).message = `sample ${i}: ${(e as Error).message}`;
        throw e;
      }
    });
    return mapLimit(items, this.concurrency, (it, i) => this.scoreOne(resolved[i], it.response));
  }

  private recipeFor(r: ResolvedSample): CompositeReward | undefined {
    if (this.options.reward === undefined) return undefined;
    let c = this.recipes.get(r.task.name);
    if (!c) {
      c = buildReward(this.options.reward, { task: r.task });
      this.recipes.set(r.task.name, c);
    }
    return c;
  }

  private async scoreOne(r: ResolvedSample, response: string): Promise<ItemScore> {
    const extracted = r.task.extractAnswer(response, r.problem);
    let verify: VerifyResult;
    let timedOut = false;
    try {
      verify = await withTimeout(r.task.verify(extracted, r.problem), this.sampleTimeoutMs);
      timedOut = /timed out|time limit/i.test(verify.details ?? '') && !verify.correct;
    } catch (e) {
      if (!(e instanceof Timeout)) throw e;
      timedOut = true;
      verify = { correct: false, score: 0, extracted, details: `verification took longer than ${this.sampleTimeoutMs} ms` };
    }
    const base = {
      score: verify.score,
      correct: verify.correct,
      timedOut,
      extracted: verify.extracted ?? extracted,
      details: verify.details ?? '',
    };
    const recipe = this.recipeFor(r);
    // Render rewards are graded (pixel IoU), not pass/fail: without a recipe their reward is the score.
    if (!recipe) return { ...base, reward: r.kind === 'svg' ? verify.score : verify.correct ? 1 : 0 };
    const result = await recipe.evaluate({ problem: r.problem, completion: response, answer: extracted, verify });
    return { ...base, reward: result.total, terms: result.terms };
  }
}
