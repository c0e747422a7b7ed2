/**
 * LLM-as-judge reward model over any Policy (Zheng et al. 2023, "Judging LLM-as-a-Judge"): the
 * policy reads a problem and a solution and writes a verdict ending in "Score: X/10".
 *
 * - Outcome scores judge a whole solution; process scores judge each step given the steps before
 *   it (a generative process reward model). All prompts of one call go to the policy as one batch.
 * - `samples > 1` draws several verdicts and averages them (self-consistency of the judge).
 * - Verdicts are parsed robustly (`parseJudgeScore`): "Score: 7/10", "8 out of 10", "score = 0.8",
 *   "\boxed{9}", "Rating: 4/5", a final bare number, or a verdict word (correct / incorrect, yes /
 *   no). A verdict that cannot be parsed is counted in `unparsed` and scores `fallback`: NaN by
 *   default, i.e. "not scored" — never a quiet 0.5 (issue 13). A judgement whose samples all went
 *   unparsed is NaN; the samples that parsed are averaged otherwise. Searches read NaN as an
 *   unscored node and report it (reasoning/operators/evaluate.ts: an error when nothing could be
 *   scored, else a `degraded` entry in the result and trace). Pass `fallback: 0.5` to opt back in.
 * - Scores are in [0, 1]. The outcome of a process judge is the minimum over steps, the usual
 *   aggregation for process reward models (Lightman et al. 2023, "Let's Verify Step by Step").
 */
import { usageError } from '../core/errors.js';
import type { GenerateRequest, Policy, RewardModel, ScoredSolution } from './types.js';

export interface JudgeOptions {
  /** Which score `outcome()` is based on (default 'outcome'). Both methods work either way. */
  kind?: 'outcome' | 'process';
  /** Verdicts per judgement, averaged (default 1). */
  samples?: number;
  /** Default 0 for one sample, 0.7 for several. */
  temperature?: number;
  maxTokens?: number;
  /** Score of a verdict that cannot be parsed (default NaN: not scored). */
  fallback?: number;
  /** Custom prompt builders. */
  outcomePrompt?: (s: ScoredSolution) => string;
  stepPrompt?: (s: ScoredSolution, step: number) => string;
  seed?: number;
  id?: string;
}

const INSTRUCTION_END =
  'Give a one-sentence justification, then end with a line of the form "Score: X/10", where 10 means certainly correct and 0 certainly wrong.';

export function defaultOutcomePrompt(s: ScoredSolution): string {
  const steps = s.steps.map((t, i) => `Step ${i + 1}: ${t}`).join('\n');
  const answer = s.answer != null ? `\nFinal answer: ${s.answer}` : '';
  return `You are a strict grader. Judge whether the solution below reaches the correct final answer.\n\nProblem:\n${s.prompt}\n\nSolution:\n${steps || '(no steps)'}${answer}\n\n${INSTRUCTION_END}`;
}

export function defaultStepPrompt(s: ScoredSolution, k: number): string {
  const before = s.steps
    .slice(0, k)
    .map((t, i) => `Step ${i + 1}: ${t}`)
    .join('\n');
  return `You are a strict grader. Judge only the last step shown below: is it correct and does it make progress toward solving the problem?\n\nProblem:\n${s.prompt}\n\nSteps so far:\n${before || '(none)'}\nStep ${k + 1} (judge this one): ${s.steps[k]}\n\n${INSTRUCTION_END}`;
}

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

/** A number out of a scale, or a bare number read as 0..1, 0..10 or 0..100. */
function normalise(value: number, outOf?: number): number | null {
  if (!Number.isFinite(value)) return null;
  if (outOf !== undefined) return outOf > 0 ? clamp01(value / outOf) : null;
  if (value >= 0 && value <= 1) return value;
  if (value > 1 && value <= 10) return value / 10;
  if (value > 10 && value <= 100) return value / 100;
  return null;
}

const NUM = String.raw`(-?\d+(?:\.\d+)?)`;

/** Parses a judge's verdict into [0, 1], or null when it holds no score. The last score wins. */
export function parseJudgeScore(text: string): number | null {
  const t = text.replace(/\*\*/g, '');
  const patterns: [RegExp, (m: RegExpExecArray) => number | null][] = [
    [
      new RegExp(String.raw`\\boxed\{\s*${NUM}\s*(?:/\s*${NUM})?\s*\}`, 'gi'),
      (m) => normalise(Number(m[1]), m[2] ? Number(m[2]) : undefined),
    ],
    [
      new RegExp(String.raw`(?:score|rating|grade|verdict)\s*(?:is|of)?\s*[:=]?\s*${NUM}\s*(?:/|out of)\s*${NUM}`, 'gi'),
      (m) => normalise(Number(m[1]), Number(m[2])),
    ],
    [new RegExp(String.raw`(?:score|rating|grade)\s*(?:is|of)?\s*[:=]?\s*${NUM}(?!\s*(?:/|out of))`, 'gi'), (m) => normalise(Number(m[1]))],
    [new RegExp(String.raw`${NUM}\s*(?:/|out of)\s*${NUM}`, 'gi'), (m) => normalise(Number(m[1]), Number(m[2]))],
  ];
  for (const [re, read] of patterns) {
    let last: number | null = null;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      const v = read(m);
      if (v !== null) last = v;
    }
    if (last !== null) return last;
  }
  // Verdict words; negated forms first so that "incorrect" is not read as "correct".
  const words = t.toLowerCase();
  // "yes"/"no" count only as a verdict of their own ("No." / "Yes, ..."; "no idea" is none).
  const neg = /\b(incorrect|not correct|wrong|invalid)\b|^\s*no\s*(?:[.!,:;]|$)/g;
  const pos = /\b(correct|right|valid)\b|^\s*yes\s*(?:[.!,:;]|$)/g;
  let lastNeg = -1;
  let lastPos = -1;
  for (let m = neg.exec(words); m; m = neg.exec(words)) lastNeg = m.index;
  for (let m = pos.exec(words); m; m = pos.exec(words)) {
    // "not correct" was counted as negative; skip its "correct".
    if (!/not\s+$/.test(words.slice(Math.max(0, m.index - 5), m.index))) lastPos = m.index;
  }
  if (lastNeg >= 0 || lastPos >= 0) return lastPos > lastNeg ? 1 : 0;
  // A verdict that is only a number.
  const bare = /(-?\d+(?:\.\d+)?)\s*\.?\s*$/.exec(t.trim());
  return bare ? normalise(Number(bare[1])) : null;
}

export class LlmJudge implements RewardModel {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly kind: 'process' | 'outcome';
  /** Verdicts that held no score (each scored `fallback`). */
  unparsed = 0;
  private readonly samples: number;
  private readonly temperature: number;
  private readonly maxTokens: number;
  private readonly fallback: number;
  private readonly outcomePrompt: (s: ScoredSolution) => string;
  private readonly stepPrompt: (s: ScoredSolution, k: number) => string;

  constructor(
    readonly policy: Policy,
    private readonly o: JudgeOptions = {},
  ) {
    this.kind = o.kind ?? 'outcome';
    this.samples = o.samples ?? 1;
    if (!Number.isInteger(this.samples) || this.samples < 1)
      throw usageError(`judge: samples must be a positive integer, got ${o.samples}`);
    this.temperature = o.temperature ?? (this.samples > 1 ? 0.7 : 0);
    this.maxTokens = o.maxTokens ?? 256;
    this.fallback = o.fallback ?? Number.NaN;
    this.outcomePrompt = o.outcomePrompt ?? defaultOutcomePrompt;
    this.stepPrompt = o.stepPrompt ?? defaultStepPrompt;
    this.id = o.id ?? `judge(${policy.id})`;
  }

  private request(text: string): GenerateRequest {
    return this.policy.capabilities.chat ? { messages: [{ role: 'user', content: text }] } : { prompt: text };
  }

  /** Mean parsed score per prompt. */
  private async judge(prompts: string[], caller?: string): Promise<number[]> {
    if (prompts.length === 0) return [];
    const out = await this.policy.generate(
      prompts.map((p) => this.request(p)),
      {
        n: this.samples,
        temperature: this.temperature,
        maxTokens: this.maxTokens,
        ...(this.o.seed !== undefined ? { seed: this.o.seed } : {}),
        caller: caller ?? 'judge',
      },
    );
    return out.map((completions) => {
      const scores = completions
        .map((c) => {
          const s = parseJudgeScore(c.text);
          if (s === null) this.unparsed++;
          return s ?? this.fallback;
        })
        .filter((x) => !Number.isNaN(x));
      // NaN when no sample could be scored (and no numeric fallback was configured).
      return scores.length === 0 ? Number.NaN : scores.reduce((a, b) => a + b, 0) / scores.length;
    });
  }

  async outcome(solutions: ScoredSolution[], options: { caller?: string } = {}): Promise<number[]> {
    if (this.kind === 'process') {
      return (await this.process(solutions, options)).map((steps) => {
        const scored = steps.filter((x) => !Number.isNaN(x));
        return scored.length ? Math.min(...scored) : this.fallback;
      });
    }
    return this.judge(
      solutions.map((s) => this.outcomePrompt(s)),
      options.caller,
    );
  }

  async process(solutions: ScoredSolution[], options: { caller?: string } = {}): Promise<number[][]> {
    const prompts: string[] = [];
    for (const s of solutions) for (let k = 0; k < s.steps.length; k++) prompts.push(this.stepPrompt(s, k));
    const flat = await this.judge(prompts, options.caller);
    let at = 0;
    return solutions.map((s) => flat.slice(at, (at += s.steps.length)));
  }
}
