/**
 * Search over multi-turn environments: best-of-N, beam search and MCTS where a step is one action
 * of the agent (a tool call or the answer) and the environment's observation follows it. Any
 * `Policy` drives it (embedded, GGUF, an OpenAI-compatible server): the policy continues the plain
 * transcript `question|action\n> observation\n...` one line at a time (stop "\n").
 *
 * Environments are not cloned: a node's environment is rebuilt by replaying its actions from
 * `reset()` (the built-in tools are deterministic), then stepped with the new action.
 *
 * Scoring never uses the answer key unless `allowGroundTruth` is set (data generation only):
 *   best-of-N   N episodes; the answer most episodes agree on wins (self-consistency), ties by the
 *               mean log-prob of the actions;
 *   beam        per turn, every beam samples `expand` actions; beams are ranked by the mean log-prob
 *               of their actions; finished episodes compete by the same score;
 *   MCTS        UCT (Kocsis & Szepesvari 2006) over actions: select by q + c*sqrt(ln N / n),
 *               expand `expand` sampled actions, roll out to the end with the policy, back up the
 *               terminal value: the share of terminal episodes so far that gave the same answer
 *               (self-consistency), or the environment's reward with `allowGroundTruth`.
 */
import type { Policy } from '../models/types.js';
import type { Environment, MultiTurnTask } from '../tasks/multiturn/types.js';
import type { Problem } from '../tasks/types.js';

export interface AgentSearchOptions {
  strategy: 'best-of-n' | 'beam' | 'mcts';
  /** best-of-N: episodes. */
  n?: number;
  /** beam: beams kept per turn. */
  width?: number;
  /** beam and MCTS: actions sampled per expansion. */
  expand?: number;
  /** MCTS: simulations and exploration constant. */
  simulations?: number;
  c?: number;
  temperature?: number;
  maxActionTokens?: number;
  tools?: boolean;
  seed?: number;
  allowGroundTruth?: boolean;
}

export interface AgentEpisode {
  actions: string[];
  observations: string[];
  answer: string | null;
  reward: number;
  done: boolean;
  logprob: number;
  transcript: string;
}

export interface AgentSearchResult {
  answer: string | null;
  correct: boolean;
  best: AgentEpisode | null;
  /** Environment steps taken (actions applied, replays included) and policy calls made. */
  envSteps: number;
  policyCalls: number;
  completionTokens: number;
  episodes: number;
  usedGroundTruth: boolean;
}

interface Node {
  ep: AgentEpisode;
  children: Node[];
  visits: number;
  value: number;
}

class Searcher {
  envSteps = 0;
  policyCalls = 0;
  tokens = 0;
  private seed: number;
  constructor(
    readonly task: MultiTurnTask,
    readonly problem: Problem,
    readonly policy: Policy,
    readonly o: AgentSearchOptions,
  ) {
    this.seed = o.seed ?? 0;
  }

  root(): AgentEpisode {
    return {
      actions: [],
      observations: [],
      answer: null,
      reward: 0,
      done: false,
      logprob: 0,
      transcript: this.task.renderPlain(this.problem, []),
    };
  }

  /** Samples k next actions of an episode (one policy call). */
  async sample(ep: AgentEpisode, k: number): Promise<Array<{ text: string; logprob: number }>> {
    this.policyCalls++;
    const [cs] = await this.policy.generate([{ prompt: ep.transcript }], {
      n: k,
      temperature: this.o.temperature ?? 1,
      maxTokens: this.o.maxActionTokens ?? 40,
      stop: ['\n'],
      logprobs: true,
      seed: this.seed++,
    });
    return cs.map((c) => {
      this.tokens += c.usage.completionTokens;
      return { text: c.text.trim(), logprob: (c.logprobs ?? []).reduce((a, b) => a + b, 0) / Math.max(1, c.logprobs?.length ?? 1) };
    });
  }

  /** The environment after `ep`'s actions, then stepped with `action`. */
  async child(ep: AgentEpisode, action: { text: string; logprob: number }): Promise<AgentEpisode> {
    const env: Environment = this.task.createEnv(this.problem, { tools: this.o.tools !== false });
    try {
      await env.reset();
      for (const a of ep.actions) {
        await env.step(a);
        this.envSteps++;
      }
      const out = await env.step(action.text);
      this.envSteps++;
      const n = ep.actions.length + 1;
      return {
        actions: [...ep.actions, action.text],
        observations: [...ep.observations, out.observation],
        answer: out.info.answer ?? ep.answer,
        reward: ep.reward + out.reward,
        done: out.done,
        logprob: (ep.logprob * (n - 1) + action.logprob) / n,
        transcript: `${ep.transcript}${action.text}\n${out.done ? '' : `${out.observation}\n`}`,
      };
    } finally {
      env.close?.();
    }
  }

  async rollout(ep: AgentEpisode): Promise<AgentEpisode> {
    let cur = ep;
    while (!cur.done) cur = await this.child(cur, (await this.sample(cur, 1))[0]);
    return cur;
  }
}

/** The answer most finished episodes agree on; ties by mean log-prob. */
function vote(task: MultiTurnTask, problem: Problem, eps: readonly AgentEpisode[]): AgentEpisode | null {
  const answered = eps.filter((e) => e.answer !== null);
  if (answered.length === 0) return eps[0] ?? null;
  const count = (e: AgentEpisode) => answered.filter((x) => task.sameAnswer(x.answer!, e.answer!, problem)).length;
  return [...answered].sort((a, b) => count(b) - count(a) || b.logprob - a.logprob)[0];
}

export async function agentSearch(
  task: MultiTurnTask,
  problem: Problem,
  policy: Policy,
  o: AgentSearchOptions,
): Promise<AgentSearchResult> {
  const s = new Searcher(task, problem, policy, o);
  const finished: AgentEpisode[] = [];
  let best: AgentEpisode | null = null;
  const gt = o.allowGroundTruth === true;
  if (o.strategy === 'best-of-n') {
    for (let i = 0; i < (o.n ?? 8); i++) finished.push(await s.rollout(s.root()));
    best = gt ? [...finished].sort((a, b) => b.reward - a.reward || b.logprob - a.logprob)[0] : vote(task, problem, finished);
  } else if (o.strategy === 'beam') {
    let beams = [s.root()];
    for (let turn = 0; beams.length && turn < task.maxTurns; turn++) {
      const next: AgentEpisode[] = [];
      for (const b of beams) for (const a of await s.sample(b, o.expand ?? 4)) next.push(await s.child(b, a));
      finished.push(...next.filter((e) => e.done));
      beams = next
        .filter((e) => !e.done)
        .sort((a, b) => b.logprob - a.logprob)
        .slice(0, o.width ?? 4);
    }
    best = [...finished].sort((a, b) => (gt ? b.reward - a.reward : 0) || b.logprob - a.logprob)[0] ?? null;
  } else {
    const root: Node = { ep: s.root(), children: [], visits: 0, value: 0 };
    const c = o.c ?? 1.0;
    const terminalValue = (e: AgentEpisode) =>
      gt
        ? e.reward
        : e.answer === null
          ? 0
          : finished.filter((x) => x.answer !== null && task.sameAnswer(x.answer, e.answer!, problem)).length / finished.length;
    for (let sim = 0; sim < (o.simulations ?? 16); sim++) {
      const path: Node[] = [root];
      let node = root;
      while (node.children.length && !node.ep.done) {
        const parent = node;
        node = parent.children.reduce((bst, ch) => {
          const ucb = (x: Node) => (x.visits === 0 ? Infinity : x.value / x.visits + c * Math.sqrt(Math.log(parent.visits + 1) / x.visits));
          return ucb(ch) > ucb(bst) ? ch : bst;
        });
        path.push(node);
      }
      if (!node.ep.done) {
        for (const a of await s.sample(node.ep, o.expand ?? 3))
          node.children.push({ ep: await s.child(node.ep, a), children: [], visits: 0, value: 0 });
        node = node.children[0];
        path.push(node);
      }
      const end = await s.rollout(node.ep);
      finished.push(end);
      const v = terminalValue(end);
      for (const n of path) {
        n.visits++;
        n.value += v;
      }
    }
    best = gt ? ([...finished].sort((a, b) => b.reward - a.reward)[0] ?? null) : vote(task, problem, finished);
  }
  const verdict = best?.answer != null ? await task.verify(best.answer, problem) : { correct: false };
  return {
    answer: best?.answer ?? null,
    correct: verdict.correct,
    best,
    envSteps: s.envSteps,
    policyCalls: s.policyCalls,
    completionTokens: s.tokens,
    episodes: finished.length,
    usedGroundTruth: gt,
  };
}
