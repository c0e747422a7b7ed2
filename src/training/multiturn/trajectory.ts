/**
 * Token-exact multi-turn trajectories. A trajectory is the prompt's token ids followed by every
 * turn's ids exactly as they happened: the tokens the policy sampled (with their behaviour
 * log-probs, stop token included) and the tokens of each observation the environment answered
 * with. Nothing is ever re-rendered or re-tokenised: the ids the policy was conditioned on at each
 * turn are a prefix of the final `ids`, and the trainer sees exactly those.
 *
 * Per response token (ids[promptLen..]): `mask` 1 for policy tokens (trained), 0 for environment
 * and tool tokens (never trained); `logprobs` the behaviour log-prob (0 on environment tokens);
 * `turn` the index of the policy turn a token belongs to (-1 on environment tokens); `agent` the
 * index of the agent that wrote it (multi-agent tasks). `turnRewards[k]` is the reward the
 * environment gave for policy turn k (the outcome reward sits on the last one).
 */
import { EOS_STEP, type Tokenizer } from '../../engine/index.js';
import type { Problem } from '../../tasks/types.js';

export interface TurnRecord {
  role: 'policy' | 'env';
  /** Agent index (0 for single-agent tasks); env turns carry the agent that acts next. */
  agent: number;
  ids: number[];
  /** Behaviour log-probs, one per id (policy turns only). */
  logprobs?: number[];
  /** Decoded text (for logs; never used to rebuild ids). */
  text: string;
  reward?: number;
}

export interface Trajectory {
  problem: Problem;
  /** Group id (same problem in a GRPO group). */
  group: number;
  promptLen: number;
  ids: number[];
  mask: number[];
  logprobs: number[];
  turn: number[];
  agent: number[];
  turns: TurnRecord[];
  turnRewards: number[];
  /** Sum of the turn rewards. */
  reward: number;
  correct: boolean;
  /** Ended by the turn limit, the context, or a turn that ran past its token limit. */
  truncated: boolean;
  toolCalls: number;
  /** Positions (in `ids`) of the last token of each policy turn's state (before the action) and of the action. */
  turnSpans: Array<{ stateEnd: number; actionEnd: number; agent: number }>;
}

/** Text to ids for an observation; characters the tokenizer lacks become "?" (or are dropped). */
export function encodeObservation(tok: Tokenizer, text: string): number[] {
  try {
    return tok.encode(text);
  } catch {
    let q: number[] = [];
    try {
      q = tok.encode('?');
    } catch {
      q = [];
    }
    const out: number[] = [];
    for (const ch of text) {
      try {
        out.push(...tok.encode(ch));
      } catch {
        out.push(...q);
      }
    }
    return out;
  }
}

/** Builds a trajectory turn by turn, checking the invariants as it goes. */
export class TrajectoryBuilder {
  readonly t: Trajectory;

  constructor(problem: Problem, group: number, promptIds: readonly number[]) {
    if (promptIds.length === 0) throw new Error('a trajectory needs a non-empty prompt');
    this.t = {
      problem,
      group,
      promptLen: promptIds.length,
      ids: [...promptIds],
      mask: [],
      logprobs: [],
      turn: [],
      agent: [],
      turns: [],
      turnRewards: [],
      reward: 0,
      correct: false,
      truncated: false,
      toolCalls: 0,
      turnSpans: [],
    };
  }

  get length(): number {
    return this.t.ids.length;
  }

  /** The exact ids the policy is conditioned on next (a copy). */
  context(): number[] {
    return [...this.t.ids];
  }

  addPolicy(ids: readonly number[], logprobs: readonly number[], text: string, agent = 0): void {
    if (ids.length === 0) throw new Error('a policy turn needs at least one token');
    if (logprobs.length !== ids.length) throw new Error(`policy turn: ${ids.length} ids but ${logprobs.length} log-probs`);
    const k = this.t.turnRewards.length;
    const stateEnd = this.t.ids.length - 1;
    this.t.ids.push(...ids);
    this.t.mask.push(...ids.map(() => 1));
    this.t.logprobs.push(...logprobs);
    this.t.turn.push(...ids.map(() => k));
    this.t.agent.push(...ids.map(() => agent));
    this.t.turns.push({ role: 'policy', agent, ids: [...ids], logprobs: [...logprobs], text });
    this.t.turnRewards.push(0);
    this.t.turnSpans.push({ stateEnd, actionEnd: this.t.ids.length - 1, agent });
  }

  /** The reward of the last policy turn. */
  rewardLast(r: number): void {
    const k = this.t.turnRewards.length - 1;
    if (k < 0) throw new Error('reward before any policy turn');
    this.t.turnRewards[k] += r;
    this.t.turns.filter((x) => x.role === 'policy')[k].reward = this.t.turnRewards[k];
  }

  addEnv(ids: readonly number[], text: string, nextAgent = 0): void {
    this.t.ids.push(...ids);
    this.t.mask.push(...ids.map(() => 0));
    this.t.logprobs.push(...ids.map(() => 0));
    this.t.turn.push(...ids.map(() => -1));
    this.t.agent.push(...ids.map(() => nextAgent));
    this.t.turns.push({ role: 'env', agent: nextAgent, ids: [...ids], text });
  }

  finish(o: { correct: boolean; truncated: boolean; toolCalls: number }): Trajectory {
    this.t.correct = o.correct;
    this.t.truncated = o.truncated;
    this.t.toolCalls = o.toolCalls;
    this.t.reward = this.t.turnRewards.reduce((a, b) => a + b, 0);
    checkTrajectory(this.t);
    return this.t;
  }
}

/** Throws when a trajectory's per-token arrays disagree (the invariants tests rely on). */
export function checkTrajectory(t: Trajectory): void {
  const n = t.ids.length - t.promptLen;
  for (const [k, a] of [
    ['mask', t.mask],
    ['logprobs', t.logprobs],
    ['turn', t.turn],
    ['agent', t.agent],
  ] as const) {
    if (a.length !== n) throw new Error(`trajectory: ${k} has ${a.length} entries for ${n} response tokens`);
  }
  const flat = t.turns.flatMap((x) => x.ids);
  if (flat.length !== n || flat.some((id, i) => id !== t.ids[t.promptLen + i]))
    throw new Error('trajectory: turns do not add up to the ids');
  for (let i = 0; i < n; i++) {
    if ((t.mask[i] === 1) !== t.turn[i] >= 0)
      throw new Error(`trajectory: token ${i} is ${t.mask[i] ? 'trained' : 'not trained'} but belongs to turn ${t.turn[i]}`);
    if (t.mask[i] === 0 && t.logprobs[i] !== 0) throw new Error(`trajectory: environment token ${i} has a log-prob`);
  }
}

/** The ids of an observation as the environment turn adds them: the text, then the end-of-line marker. */
export function observationIds(tok: Tokenizer, text: string): number[] {
  return [...encodeObservation(tok, text), EOS_STEP];
}
