/**
 * A small known world for strategy tests: an explicit tree of steps ("tree task"), a scripted
 * deterministic policy with a preference order per state, and scripted value / reward models.
 */
import { hashString, Rng } from '../../src/core/rng.js';
import type {
  Completion,
  GenerateOptions,
  GenerateRequest,
  Policy,
  RewardModel,
  ScoredSolution,
  ValueModel,
} from '../../src/models/types.js';
import type { Problem, StepCheck, Task } from '../../src/tasks/types.js';

export interface TreeData {
  /** Children of each state (state key = steps joined by "/", root = ""). */
  tree: Record<string, string[]>;
  /** Answer at each leaf state. Leaves without an entry end with no answer. */
  leaves: Record<string, string>;
}
export type TreeProblem = Problem & { data: TreeData };

const key = (steps: readonly string[]) => steps.join('/');

function num(a: string): number | null {
  const m = /^(-?\d+)(?:\/(\d+))?$/.exec(a.trim());
  if (m) return m[2] ? Number(m[1]) / Number(m[2]) : Number(m[1]);
  const x = Number(a);
  return Number.isFinite(x) && a.trim() !== '' ? x : null;
}

export function makeTreeTask(verifierNeedsAnswer = true): Task<TreeProblem> {
  return {
    name: verifierNeedsAnswer ? 'tree' : 'tree-rules',
    description: 'explicit tree world for tests',
    splits: ['test'],
    verifierNeedsAnswer,
    chatStepStop: ['\n'],
    async problems() {
      return [];
    },
    renderPlain: (p, steps = []) => `Q${p.id}|${steps.map((s) => `${s}\n`).join('')}`,
    renderChat: (p, steps = []) => [
      { role: 'user', content: `Q${p.id}` },
      ...(steps.length ? [{ role: 'assistant' as const, content: steps.map((s) => `${s}\n`).join('') }] : []),
    ],
    extractAnswer: (text) => /ANSWER (\S+)/.exec(text)?.[1] ?? null,
    async verify(answer, p) {
      if (!verifierNeedsAnswer) {
        // Rule verifier: an answer is right when it is one of the winning leaves' answers (all equal here).
        const wins = Object.values(p.data.leaves).filter((a) => a === p.answer);
        const ok = answer !== null && wins.some((w) => num(w) === num(answer));
        return { correct: ok, score: ok ? 1 : 0, extracted: answer };
      }
      const ok = answer !== null && p.answer !== undefined && num(answer) !== null && num(answer) === num(p.answer);
      return { correct: ok, score: ok ? 1 : 0, extracted: answer };
    },
    sameAnswer: (a, b) => {
      const x = num(a);
      const y = num(b);
      return x !== null && y !== null ? x === y : a === b;
    },
    checkStep(p, steps): StepCheck {
      const prev = key(steps.slice(0, -1));
      const last = steps[steps.length - 1];
      if (!(p.data.tree[prev] ?? []).includes(last))
        return { valid: false, terminal: false, reason: `"${last}" is not a move from "${prev}"` };
      const k = key(steps);
      if (p.data.tree[k] && p.data.tree[k].length > 0) return { valid: true, terminal: false };
      return { valid: true, terminal: true, answer: p.data.leaves[k] ?? null };
    },
    legalSteps: (p, steps) => p.data.tree[key(steps)] ?? [],
  };
}

/** Parses the steps back out of a plain or chat prompt of the tree task. */
export function stepsOf(r: GenerateRequest | string): { id: string; steps: string[] } {
  const text =
    typeof r === 'string' ? r : (r.prompt ?? (r.messages ?? []).map((m) => (m.role === 'user' ? `${m.content}|` : m.content)).join(''));
  const bar = text.indexOf('|');
  const id = text.slice(1, bar);
  const steps = text
    .slice(bar + 1)
    .split('\n')
    .slice(0, -1);
  return { id, steps };
}

/**
 * A deterministic policy over tree problems: temperature 0 returns the first preferred step;
 * sampling returns the preference list rotated by a seeded offset, so n <= children gives
 * distinct children. `prefs` overrides the order per state key; `bad` adds an illegal step.
 */
export class ScriptedPolicy implements Policy {
  readonly id = 'scripted';
  readonly capabilities = { logprobs: false, n: true, tokenIds: false, prefixCaching: false, chat: false, maxBatch: 64 };
  calls = 0;
  requests = 0;
  batchSizes: number[] = [];
  constructor(
    private readonly problems: Map<string, TreeProblem>,
    private readonly prefs: Record<string, string[]> = {},
    private readonly o: { chat?: boolean; delayMs?: number; rotate?: boolean } = {},
  ) {
    if (o.chat) this.capabilities.chat = true;
  }
  countTokens(text: string): number {
    return text.length;
  }
  async generate(requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> {
    this.calls++;
    if (this.o.delayMs) await delay(this.o.delayMs, options.signal);
    this.requests += requests.length;
    this.batchSizes.push(requests.length);
    const n = options.n ?? 1;
    return requests.map((r, ri) => {
      const { id, steps } = stepsOf(r);
      const p = this.problems.get(id);
      if (!p) {
        // Not a step prompt (judge / refine / aggregate prompts): answer like a weak model.
        return Array.from({ length: n }, () => ({
          text: '5',
          finishReason: 'stop' as const,
          usage: { promptTokens: this.countTokens(r.prompt ?? ''), completionTokens: 1 },
        }));
      }
      const k = key(steps);
      const order = this.prefs[`${p.id}:${k}`] ?? this.prefs[k] ?? p.data.tree[k] ?? [];
      const promptTokens = this.countTokens(r.prompt ?? stepsOf(r).steps.join('\n'));
      if (order.length === 0)
        return Array.from({ length: n }, () => ({ text: '', finishReason: 'eos' as const, usage: { promptTokens, completionTokens: 1 } }));
      const offset =
        (options.temperature ?? 1) <= 0 || this.o.rotate === false
          ? 0
          : new Rng(((options.seed ?? 0) ^ hashString(k) ^ Math.imul(ri + 1, 0x9e3779b1)) >>> 0).int(0, order.length - 1);
      return Array.from({ length: n }, (_, j) => {
        const step = order[(offset + ((options.temperature ?? 1) <= 0 ? 0 : j)) % order.length];
        const leaf = !p.data.tree[key([...steps, step])]?.length;
        return leaf
          ? { text: step, finishReason: 'eos' as const, usage: { promptTokens, completionTokens: step.length + 1 } }
          : { text: step, finishReason: 'stop' as const, stopSequence: '\n', usage: { promptTokens, completionTokens: step.length + 1 } };
      });
    });
  }
}

/** V(s) from a table keyed by state key (default 0). */
export class ScriptedValue implements ValueModel {
  readonly id = 'scripted-value';
  calls = 0;
  constructor(private readonly table: Record<string, number>) {}
  async value(states: string[]): Promise<number[]> {
    this.calls++;
    return states.map((s) => this.table[key(stepsOf(s).steps)] ?? 0);
  }
}

/** ORM/PRM from a value table mapped to [0, 1]. */
export class ScriptedReward implements RewardModel {
  calls = 0;
  constructor(
    readonly kind: 'process' | 'outcome',
    private readonly table: Record<string, number>,
    readonly id = `scripted-${kind}`,
  ) {}
  async outcome(solutions: ScoredSolution[]): Promise<number[]> {
    this.calls++;
    return solutions.map((s) => ((this.table[key(s.steps)] ?? 0) + 1) / 2);
  }
  async process(solutions: ScoredSolution[]): Promise<number[][]> {
    this.calls++;
    return solutions.map((s) => s.steps.map((_, i) => ((this.table[key(s.steps.slice(0, i + 1))] ?? 0) + 1) / 2));
  }
}

/**
 * The greedy trap: the policy prefers "a", whose leaves are wrong; "b/b1" holds the answer 7.
 * The value model knows better.
 */
export function trapWorld(id = 'trap'): { problem: TreeProblem; values: Record<string, number> } {
  const problem: TreeProblem = {
    id,
    question: 'find 7',
    answer: '7',
    data: {
      tree: { '': ['a', 'b'], a: ['a1', 'a2'], b: ['b1', 'b2'] },
      leaves: { 'a/a1': '1', 'a/a2': '2', 'b/b1': '7', 'b/b2': '3' },
    },
  };
  const values = { a: -0.5, b: 0.5, 'a/a1': -0.9, 'a/a2': -0.8, 'b/b1': 0.9, 'b/b2': -0.2 };
  return { problem, values };
}

/** Three one-step answers, two of them the same number written differently. */
export function voteWorld(): TreeProblem {
  return { id: 'vote', question: 'vote', answer: '0.5', data: { tree: { '': ['x', 'y', 'z'] }, leaves: { x: '1/2', y: '0.5', z: '3' } } };
}

export function problemsMap(...ps: TreeProblem[]): Map<string, TreeProblem> {
  return new Map(ps.map((p) => [p.id, p]));
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      },
      { once: true },
    );
  });
}

/** A random tree world (for property tests): depth <= maxDepth, answers "1".."5", "3" is right. */
export function randomWorld(rng: Rng, id: string, maxDepth = 3, maxBranch = 3): TreeProblem {
  const tree: Record<string, string[]> = {};
  const leaves: Record<string, string> = {};
  const grow = (steps: string[]) => {
    const k = key(steps);
    if (steps.length >= maxDepth || (steps.length > 0 && rng.bool(0.25))) {
      leaves[k] = String(rng.int(1, 5));
      return;
    }
    const n = rng.int(1, maxBranch);
    tree[k] = Array.from({ length: n }, (_, i) => `s${steps.length}${String.fromCharCode(97 + i)}`);
    for (const c of tree[k]) grow([...steps, c]);
  };
  grow([]);
  return { id, question: id, answer: '3', data: { tree, leaves } };
}

/** A random value table over a world's states. */
export function randomValues(rng: Rng, p: TreeProblem): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, kids] of Object.entries(p.data.tree)) for (const c of kids) out[k ? `${k}/${c}` : c] = rng.next() * 2 - 1;
  return out;
}
