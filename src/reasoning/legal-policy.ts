/**
 * The model-free baseline policy: each step is drawn uniformly from task.legalSteps (CALIBRATION.md:
 * "any claim that search with a learned policy helps must beat this model-free search at the same
 * number of expansions"). It is a real `Policy`, so every strategy runs with it unchanged: it reads
 * the problem and the steps so far back out of the prompt the environment rendered, for plain
 * prompts (task.renderPlain prefix, steps ended by "\n") and chat prompts (task.renderChat).
 *
 * Temperature 0 picks the first legal step (deterministic "greedy"); otherwise each of the n
 * completions is an independent uniform draw. Problems must be attached first (solve() does it).
 */
import { hashString, Rng } from '../core/rng.js';
import { runtimeError, usageError } from '../core/errors.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from '../models/types.js';
import type { Problem, Task } from '../tasks/types.js';

/** A policy that needs to know the problems it is asked about (model-free baselines). */
export interface ProblemAwarePolicy {
  attach(task: Task<any>, problem: Problem): void;
}

export function isProblemAware(p: unknown): p is ProblemAwarePolicy {
  return typeof (p as ProblemAwarePolicy | null)?.attach === 'function';
}

interface Known {
  task: Task<any>;
  problem: Problem;
}

export class LegalUniformPolicy implements Policy, ProblemAwarePolicy {
  readonly id: string;
  /** The model interface version implemented (../models/interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: PolicyCapabilities = {
    logprobs: true,
    n: true,
    tokenIds: false,
    prefixCaching: false,
    chat: false,
    maxBatch: 1 << 16,
  };
  private readonly plain = new Map<string, Known>();
  private readonly chat = new Map<string, Known>();
  private calls = 0;

  constructor(
    readonly seed = 0,
    id = 'legal-uniform',
  ) {
    this.id = id;
  }

  attach(task: Task<any>, problem: Problem): void {
    if (!task.legalSteps)
      throw usageError(
        `the legal-uniform policy needs task.legalSteps, which task ${task.name} does not define`,
        'use a task with enumerable moves (game24, countdown) or a real model',
      );
    this.plain.set(task.renderPlain(problem, []), { task, problem });
    const user = task
      .renderChat(problem, [])
      .filter((m) => m.role !== 'assistant')
      .map((m) => m.content)
      .join('\u0000');
    this.chat.set(user, { task, problem });
  }

  countTokens(text: string): number {
    return text.length;
  }

  async generate(requests: GenerateRequest[], options: GenerateOptions = {}): Promise<Completion[][]> {
    const n = options.n ?? 1;
    const temperature = options.temperature ?? 1;
    const callSeed = options.seed ?? this.seed + 7919 * this.calls++;
    return requests.map((r, i) => {
      const { known, steps, promptText } = this.locate(r);
      const legal = known.task.legalSteps!(known.problem, steps);
      const rng = new Rng((callSeed ^ hashString(promptText) ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      return Array.from({ length: n }, () => {
        if (legal.length === 0)
          return { text: '', finishReason: 'eos' as const, logprobs: [], usage: { promptTokens: promptText.length, completionTokens: 1 } };
        const step = temperature <= 0 ? legal[0] : legal[Math.floor(rng.next() * legal.length)];
        const done = known.task.checkStep?.(known.problem, [...steps, step]).terminal ?? false;
        const c: Completion = done
          ? { text: step, finishReason: 'eos', usage: { promptTokens: promptText.length, completionTokens: step.length + 1 } }
          : {
              text: step,
              finishReason: 'stop',
              stopSequence: '\n',
              usage: { promptTokens: promptText.length, completionTokens: step.length + 1 },
            };
        if (options.logprobs) c.logprobs = [Math.log(1 / legal.length)];
        return c;
      });
    });
  }

  private locate(r: GenerateRequest): { known: Known; steps: string[]; promptText: string } {
    if (typeof r.prompt === 'string') {
      let best: [string, Known] | null = null;
      for (const entry of this.plain) if (r.prompt.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
      if (!best)
        throw runtimeError(
          'the legal-uniform policy got a prompt for a problem it was not given',
          'call solve()/solveMany() (which attach problems), or attach(task, problem) first',
        );
      const rest = r.prompt.slice(best[0].length);
      const steps = rest.split('\n').slice(0, -1);
      return { known: best[1], steps, promptText: r.prompt };
    }
    const messages = r.messages ?? [];
    const user = messages
      .filter((m) => m.role !== 'assistant')
      .map((m) => m.content)
      .join('\u0000');
    const known = this.chat.get(user);
    if (!known)
      throw runtimeError('the legal-uniform policy got a chat prompt for a problem it was not given', 'attach(task, problem) first');
    const assistant = messages
      .filter((m) => m.role === 'assistant')
      .map((m) => m.content)
      .join('');
    const steps = assistant.split('\n').filter((s) => s.length > 0);
    return { known, steps, promptText: messages.map((m) => m.content).join('\n') };
  }
}
