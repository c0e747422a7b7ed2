/**
 * Multi-turn environments: the agent acts over several turns (a tool call, an answer), the
 * environment answers each turn with an observation and, at the end or per turn, a reward.
 *
 * The interface, and how it maps onto the two most common ones (so adapting an environment from
 * them takes a few lines):
 *
 * | rlmkit `Environment`            | Gymnasium `Env`                                   | verifiers `MultiTurnEnv`                          |
 * |---------------------------------|---------------------------------------------------|---------------------------------------------------|
 * | `reset()` -> `{observation, info}` | `reset(seed, options)` -> `(obs, info)`        | `setup_state(state)`; the prompt messages         |
 * | `step(action)` -> `StepOutcome` | `step(action)` -> `(obs, reward, terminated, truncated, info)` | `env_response(messages, state)` -> `(messages, state)` |
 * | `StepOutcome.terminated`        | `terminated`                                      | `is_completed(messages, state)`                   |
 * | `StepOutcome.truncated`         | `truncated` (time limit)                          | `max_turns` reached                               |
 * | `StepOutcome.reward` (per turn) | `reward`                                          | `Rubric` scores at the end (here: the last turn's reward) |
 * | `tools` (OpenAI JSON-schema functions) | `action_space` (here: text)                | `tools` of `ToolEnv` (OpenAI format)              |
 * | `done` = terminated or truncated| `terminated or truncated`                         |                                                   |
 *
 * Actions and observations are text: an action is what the policy wrote in one turn (a tool call
 * in the plain syntax of ./protocol.ts or in OpenAI's JSON form, or an answer); an observation is
 * the text the environment answers with (a tool result, an error). Trainers add the tokens of
 * both to a token-exact trajectory (src/training/multiturn) and never re-render the history.
 */
import type { Problem, Task } from '../types.js';
import type { ToolResult, ToolSpec } from '../tools/types.js';

export interface StepOutcome {
  /** What the environment answers (a tool's output, an error); '' when the episode ended. */
  observation: string;
  /** Reward of this turn (0 for most intermediate turns; the outcome reward on the last one). */
  reward: number;
  /** The episode ended by itself (an answer was given). */
  terminated: boolean;
  /** The episode was cut (turn limit). */
  truncated: boolean;
  /** terminated || truncated. */
  done: boolean;
  info: StepInfo;
}

export interface StepInfo {
  /** The tool calls this action made, with their results. */
  toolResults?: ToolResult[];
  /** The final answer, when the action gave one. */
  answer?: string | null;
  /** Whether the episode's answer is right (set when the episode ends). */
  correct?: boolean;
  /** The action could not be read (neither a tool call nor an answer). */
  malformed?: boolean;
  /** Which agent acts next (multi-agent environments). */
  nextAgent?: string;
}

export interface Environment {
  /** The tools the agent may call (OpenAI tool declarations). */
  readonly tools: readonly ToolSpec[];
  /** Starts an episode: the first observation is the task prompt. */
  reset(): Promise<{ observation: string; info: Record<string, unknown> }>;
  /** Applies one action (the policy's text of one turn). */
  step(action: string): Promise<StepOutcome>;
  /** Frees the environment's resources (databases, sandboxes). */
  close?(): void;
}

/** A task whose problems are solved in an environment over several turns. */
export interface MultiTurnTask<P extends Problem = Problem> extends Task<P> {
  readonly kind: 'multi-turn';
  /** The tools every environment of this task offers. */
  readonly tools: readonly ToolSpec[];
  /** Actions at most per episode (tool calls and the answer). */
  readonly maxTurns: number;
  /** Agents that take turns (one for single-agent tasks; e.g. ['solver', 'checker'] for MARFT). */
  readonly agents: readonly string[];
  /** A fresh environment for one problem, `tools: false` removes the tools (the no-tool baseline). */
  createEnv(problem: P, o?: { tools?: boolean }): Environment;
  /**
   * The actions of a correct episode (supervised data): the solver's tool calls and answer.
   * `strategy` picks one of `solverStrategies` (default: the first).
   */
  solveTurns?(problem: P, rng?: { next(): number }, o?: { tools?: boolean; strategy?: string }): string[] | null;
  /**
   * Names of the solver's ways of solving a problem with tools, the default first (calc-tool:
   * `stepwise`, one operation per call, and `whole`, the whole expression in one call). A recipe's
   * `multiturn.solver_strategies` mixes them in the SFT data.
   */
  readonly solverStrategies?: readonly string[];
}

export function isMultiTurnTask(t: Task<any>): t is MultiTurnTask<any> {
  return (t as Partial<MultiTurnTask>).kind === 'multi-turn' && typeof (t as Partial<MultiTurnTask>).createEnv === 'function';
}
