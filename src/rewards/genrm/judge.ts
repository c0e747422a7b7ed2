/**
 * The generative judge as a model: any Policy that writes critiques in the protocol of
 * ./critique.ts (rlmkit's trained GenRM checkpoints, `recipes/game24-genrm.yaml`). It implements the
 * outcome `RewardModel` contract (src/models/types.ts), so a search uses it like any outcome reward
 * model (`models.reward`, scorer `orm`), and the `genrm` reward term (../registry.ts) uses it in RL.
 *
 * Decoding is greedy (temperature 0): the critique, then the verdict token. The score of a solution
 * is the judge's probability of "Y" at the verdict position, renormalised over {Y, N}
 * (P(Y) / (P(Y) + P(N)), from the top log-probs there), so best-of-N can rank candidates that both
 * get a Y. A reply without a readable verdict scores NaN ("never scored": searches rank it last and
 * report it; the reward term maps it to `onUnparseable`).
 */
import type { Completion, Policy, RewardModel, ScoredSolution } from '../../models/types.js';
import { VERDICT_CORRECT, VERDICT_WRONG, type ParsedJudgement, judgePrompt, parseJudgement } from './critique.js';

export interface JudgeOptions {
  /** Most tokens of one critique (default 96). */
  maxTokens?: number;
  /** Solutions per generate call (default 64). */
  batch?: number;
}

export interface Judgement extends ParsedJudgement {
  /** P(Y) over {Y, N} at the verdict token; NaN when the verdict is unreadable. */
  score: number;
  /** The judge's raw reply. */
  reply: string;
}

/** P(Y) / (P(Y) + P(N)) at the verdict token of a greedy completion; NaN without one. */
export function verdictProbability(c: Completion, parsed: ParsedJudgement): number {
  if (parsed.verdict === null) return Number.NaN;
  const fallback = parsed.verdict === 'correct' ? 1 : 0;
  const tokens = c.tokens;
  const top = c.topLogprobs;
  if (!tokens || !top) return fallback;
  let k = tokens.length - 1;
  while (k >= 0 && tokens[k] !== VERDICT_CORRECT && tokens[k] !== VERDICT_WRONG) k--;
  if (k < 0 || !top[k]) return fallback;
  const lp = (t: string) => top[k].find((x) => x.token === t)?.logprob ?? -Infinity;
  const y = Math.exp(lp(VERDICT_CORRECT));
  const n = Math.exp(lp(VERDICT_WRONG));
  return y + n > 0 ? y / (y + n) : fallback;
}

export class GenerativeJudge implements RewardModel {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'outcome' as const;
  readonly id: string;

  constructor(
    readonly policy: Policy,
    private readonly o: JudgeOptions = {},
  ) {
    this.id = `genrm:${policy.id}`;
  }

  /** Critiques and verdicts for solutions (prompt = the policy's plain prompt, steps = its steps). */
  async judge(solutions: readonly ScoredSolution[], options: { caller?: string } = {}): Promise<Judgement[]> {
    const out: Judgement[] = [];
    const batch = this.o.batch ?? 64;
    for (let i = 0; i < solutions.length; i += batch) {
      const chunk = solutions.slice(i, i + batch);
      const replies = await this.policy.generate(
        chunk.map((s) => ({ prompt: judgePrompt(s.prompt, s.steps) })),
        { temperature: 0, maxTokens: this.o.maxTokens ?? 96, topLogprobs: 3, caller: options.caller ?? 'genrm' },
      );
      for (const [c] of replies) {
        const parsed = parseJudgement(c.text);
        out.push({ ...parsed, score: verdictProbability(c, parsed), reply: c.text });
      }
    }
    return out;
  }

  async outcome(solutions: ScoredSolution[], options: { caller?: string } = {}): Promise<number[]> {
    return (await this.judge(solutions, options)).map((j) => j.score);
  }

  async close(): Promise<void> {
    await this.policy.close?.();
  }
}
