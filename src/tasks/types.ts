/**
 * The task contract: what a model reasons about and how its answers are checked. A task never
 * imports a strategy; strategies use tasks only through this interface.
 *
 * Step protocol (x1): a solution is a list of steps. In plain (character-level) prompts the steps
 * follow the prompt, each ended by the end-of-intermediate-step marker "\n"; the final step is
 * followed by end-of-sequence. `renderPlain(problem, steps)` gives the text a policy continues.
 */
import type { ChatMessage } from '../models/types.js';

export interface Problem {
  /** Stable id, e.g. "game24/test/905". */
  id: string;
  /** The question as a person would read it. */
  question: string;
  /** Reference answer when known (never shown to the policy). */
  answer?: string;
  /** Task-specific data (numbers, target, tests, ...). */
  data?: unknown;
}

/**
 * correct / wrong / unparseable: "no answer could be read" is reported apart from "wrong" (a
 * format failure is not a reasoning failure; graders that merge them mislead evaluations).
 */
export type AnswerVerdict = 'correct' | 'wrong' | 'unparseable';

export interface VerifyResult {
  correct: boolean;
  /** Three-way verdict; when absent, derive it with `verdictOf` (tasks/verdict.ts). */
  verdict?: AnswerVerdict;
  /** In [0, 1]; partial credit where the task defines it (e.g. fraction of tests passed). */
  score: number;
  /** The answer the verifier compared, after extraction and normalisation. */
  extracted?: string | null;
  details?: string;
}

export interface StepCheck {
  /** The last step is legal given the problem and the earlier steps. */
  valid: boolean;
  /** The steps so far form a finished solution (whether right or wrong). */
  terminal: boolean;
  /** For terminal steps: the final answer. */
  answer?: string | null;
  reason?: string;
}

export type PromptStyle = 'plain' | 'chat';

export interface LoadOptions {
  split: string;
  limit?: number;
  seed?: number;
  /** Override the default data file. */
  path?: string;
}

/** Where a task's problems come from: a data file (with its licence) or a generator. */
export type TaskSource = { kind: 'file'; file: string; licence: string } | { kind: 'generated' } | { kind: 'user'; what: string };

/** What `describeTasks()` / `rlmkit tasks` report about a task beyond its name and splits. */
export interface TaskMeta {
  /** single-turn: one completion answers; multi-turn: the task answers back between turns. */
  kind?: 'single-turn' | 'multi-turn';
  source: TaskSource;
  /** How answers are checked, e.g. 'math-grader', 'rule-check', 'execution', 'exact'. */
  verifier: string;
  /** Problems per split with the default data/settings; null where unknown without loading. */
  splitSizes?: Readonly<Record<string, number | null>>;
}

export interface Task<P extends Problem = Problem> {
  readonly name: string;
  readonly description: string;
  /** Splits this task can load, e.g. ['train', 'test']. */
  readonly splits: readonly string[];
  /**
   * True when `verify` needs the reference answer. When false (Game of 24, Countdown: the rules
   * decide), a search may use `verify`/`checkStep` at evaluation time; report it as such.
   */
  readonly verifierNeedsAnswer: boolean;
  /** Stop sequences that end one step for chat-style models (plain style uses "\n"). */
  readonly chatStepStop: readonly string[];
  /** Source, verifier and split sizes for `describeTasks()`; optional for a user's own task. */
  readonly meta?: TaskMeta;

  problems(options: LoadOptions): Promise<P[]>;

  /** Plain text a character-level policy continues: prompt then the steps, each followed by "\n". */
  renderPlain(problem: P, steps?: readonly string[]): string;
  /** Chat messages for instruction-tuned models; steps so far go in the last assistant message. */
  renderChat(problem: P, steps?: readonly string[]): ChatMessage[];

  /** Extracts the final answer from a completion or a final step; null when there is none. */
  extractAnswer(text: string, problem?: P): string | null;
  /** Checks an answer. Async because some verifiers run code. */
  verify(answer: string | null, problem: P): Promise<VerifyResult>;
  /** Whether two answers are the same for voting (task-defined equivalence). */
  sameAnswer(a: string, b: string, problem?: P): boolean;

  /** Rule check of the last step given the previous ones (process labels, pruning). */
  checkStep?(problem: P, steps: readonly string[]): StepCheck;
  /** All legal next steps, for model-free search baselines. */
  legalSteps?(problem: P, steps: readonly string[]): string[];
  /** A correct step list, for supervised data and tests; null when unsolvable. */
  solve?(problem: P, rng?: { next(): number }): string[] | null;
  /**
   * SFT data augmentation (recipes' `sft.augment`): the problem to train on in place of a drawn
   * training problem: the same one, a variant (its numbers in another order), or an auxiliary
   * problem of the same game (other numbers, another target) that the task has verified solvable
   * and that is never one of its held-out test problems.
   */
  augment?(problem: P, rng: { next(): number }, options: AugmentOptions): P;
}

/** How `Task.augment` varies training problems (probabilities per drawn example). */
export interface AugmentOptions {
  /** Probability of listing the problem's numbers in a random order. */
  shuffle: number;
  /** Probability of replacing the problem by an auxiliary one of the same game. */
  auxiliary: number;
  /** Auxiliary problems: numbers uniform in [lo, hi]. */
  numberRange: readonly [number, number];
  /** Auxiliary problems: share that keeps the task's own target (e.g. 24); the rest draw one uniform in targetRange. */
  ownTarget: number;
  targetRange: readonly [number, number];
}
