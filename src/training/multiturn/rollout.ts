/**
 * Multi-turn rollouts: a batch of episodes stepped together. Each turn, every running episode's
 * exact ids (never a re-rendering) go to the sampler of the agent that acts, which samples one
 * action up to `<eos_step>` (end of the line) or `<eos>` (end of the episode); the decoded action
 * goes to the environment, and the observation's ids are appended as environment tokens.
 *
 * An episode ends when the environment says so (answer, turn limit), when the policy emits
 * `<eos>` without the environment ending (no answer: reward 0), when an action runs past
 * `maxTurnTokens` without ending its line, or when the next observation would not fit the context.
 *
 * `solverTrajectory` runs a task's solver actions through the same environment: supervised data
 * gets real observations and the same token layout as rollouts.
 */
import { BOS, EOS, EOS_STEP, type Sampler, type Tokenizer } from '../../engine/index.js';
import type { Environment, MultiTurnTask } from '../../tasks/multiturn/types.js';
import type { Problem } from '../../tasks/types.js';
import { type Trajectory, TrajectoryBuilder, encodeObservation, observationIds } from './trajectory.js';

/** The prompt of an episode: `<bos>`, the first observation, then "|" (the x1 plain protocol). */
export function episodePromptIds(tok: Tokenizer, firstObservation: string): number[] {
  return [BOS, ...encodeObservation(tok, `${firstObservation}|`)];
}

export interface RolloutOptions {
  tok: Tokenizer;
  /** One sampler per agent (index = the task's agent order); one entry: shared weights. */
  samplers: readonly Sampler[];
  temperature: number;
  topP?: number;
  seed: number;
  /** Tokens at most per action. */
  maxTurnTokens: number;
  /** The model's context: an episode never grows past it. */
  maxSeqLen: number;
  /** false: environments without tools (the no-tool baseline). */
  tools?: boolean;
}

interface Running {
  b: TrajectoryBuilder;
  env: Environment;
  agent: number;
  toolCalls: number;
  done: boolean;
  traj?: Trajectory;
}

function agentIndex(task: MultiTurnTask, name: string | undefined, current: number): number {
  if (name === undefined) return current;
  const i = task.agents.indexOf(name);
  if (i < 0) throw new Error(`environment of ${task.name} names an unknown agent "${name}" (agents: ${task.agents.join(', ')})`);
  return i;
}

/** Rolls out one episode per problem (problems repeat for groups); `groups[i]` tags row i. */
export async function rolloutEpisodes(
  task: MultiTurnTask,
  problems: readonly Problem[],
  groups: readonly number[],
  o: RolloutOptions,
): Promise<Trajectory[]> {
  const rows: Running[] = await Promise.all(
    problems.map(async (p, i) => {
      const env = task.createEnv(p, { tools: o.tools !== false });
      const first = await env.reset();
      return {
        b: new TrajectoryBuilder(p, groups[i], episodePromptIds(o.tok, first.observation)),
        env,
        agent: 0,
        toolCalls: 0,
        done: false,
      };
    }),
  );
  const end = (r: Running, correct: boolean, truncated: boolean) => {
    r.done = true;
    r.traj = r.b.finish({ correct, truncated, toolCalls: r.toolCalls });
    r.env.close?.();
  };
  try {
    for (let turn = 0; rows.some((r) => !r.done); turn++) {
      const active = rows.filter((r) => !r.done);
      for (const r of active) if (o.maxSeqLen - r.b.length < 1) end(r, false, true);
      for (let agent = 0; agent < o.samplers.length; agent++) {
        const mine = active.filter((r) => !r.done && (o.samplers.length === 1 || r.agent === agent));
        if (mine.length === 0) continue;
        // One call per distinct token budget keeps each row inside the context.
        const budgets = new Map<number, Running[]>();
        for (const r of mine) {
          const n = Math.min(o.maxTurnTokens, o.maxSeqLen - r.b.length);
          budgets.set(n, [...(budgets.get(n) ?? []), r]);
        }
        for (const [maxNew, rs] of budgets) {
          const res = await o.samplers[agent].sample(
            rs.map((r) => r.b.context()),
            {
              maxNewTokens: maxNew,
              temperature: o.temperature,
              topP: o.topP ?? 1,
              stopTokens: [EOS_STEP],
              seed: (o.seed + turn * 7919 + agent * 104729 + maxNew) >>> 0,
            },
          );
          await Promise.all(
            rs.map(async (r, k) => {
              const s = res[k];
              const text = o.tok.decode(s.tokens.filter((t) => t !== EOS && t !== EOS_STEP));
              r.b.addPolicy(s.tokens, s.logprobs, text, r.agent);
              if (s.finishReason === 'length') return end(r, false, true);
              const out = await r.env.step(text);
              r.b.rewardLast(out.reward);
              r.toolCalls += out.info.toolResults?.length ?? 0;
              if (out.done) return end(r, out.info.correct ?? false, out.truncated);
              if (s.finishReason === 'eos') return end(r, false, false);
              const next = agentIndex(task, out.info.nextAgent, r.agent);
              const obs = observationIds(o.tok, out.observation);
              if (r.b.length + obs.length + 1 > o.maxSeqLen) return end(r, false, true);
              r.b.addEnv(obs, out.observation, next);
              r.agent = next;
            }),
          );
        }
      }
    }
  } finally {
    for (const r of rows) if (!r.done) r.env.close?.();
  }
  return rows.map((r) => r.traj!);
}

/** A trajectory of the solver's actions through the real environment (log-probs 0). */
export async function solverTrajectory(
  task: MultiTurnTask,
  tok: Tokenizer,
  problem: Problem,
  actions: readonly string[],
  o: { tools?: boolean; group?: number } = {},
): Promise<Trajectory> {
  const env = task.createEnv(problem, { tools: o.tools !== false });
  try {
    const first = await env.reset();
    const b = new TrajectoryBuilder(problem, o.group ?? 0, episodePromptIds(tok, first.observation));
    let agent = 0;
    let toolCalls = 0;
    for (let i = 0; i < actions.length; i++) {
      const last = i === actions.length - 1;
      const ids = [...tok.encode(actions[i]), last ? EOS : EOS_STEP];
      b.addPolicy(
        ids,
        ids.map(() => 0),
        actions[i],
        agent,
      );
      const out = await env.step(actions[i]);
      b.rewardLast(out.reward);
      toolCalls += out.info.toolResults?.length ?? 0;
      if (out.done) {
        if (!last) throw new Error(`${task.name}: the solver's episode ended after ${i + 1} of ${actions.length} actions`);
        return b.finish({ correct: out.info.correct ?? false, truncated: out.truncated, toolCalls });
      }
      if (last) return b.finish({ correct: false, truncated: false, toolCalls });
      agent = agentIndex(task, out.info.nextAgent, agent);
      b.addEnv(observationIds(tok, out.observation), out.observation, agent);
    }
    return b.finish({ correct: false, truncated: false, toolCalls });
  } finally {
    env.close?.();
  }
}
