/**
 * `ToolEnv`: the environment most tasks need. The first observation is the task prompt; each
 * action is a tool call (run through ../tools/run.ts: time limit, schema check, errors as
 * observations) or the final answer, which ends the episode with the task's score as reward.
 * Observations are the tools' outputs, each line prefixed with "> " so the policy can tell them
 * from its own lines. A malformed action costs a turn and gets an error observation; the turn
 * limit truncates the episode with reward 0.
 */
import { callTool } from '../tools/run.js';
import type { Tool, ToolResult } from '../tools/types.js';
import { parseAction } from './protocol.js';
import type { Environment, StepOutcome } from './types.js';

export interface ToolEnvOptions {
  prompt: string;
  tools: readonly Tool[];
  maxTurns: number;
  /** Scores the final answer: reward in [0, 1] and whether it is right. */
  score(answer: string): Promise<{ reward: number; correct: boolean }> | { reward: number; correct: boolean };
  /** Per-call time limit overriding each tool's own. */
  toolTimeoutMs?: number;
  /** Reward added on each malformed action (default 0). */
  malformedPenalty?: number;
  /** Closes the tools when the environment closes (default true). */
  ownsTools?: boolean;
}

/** One tool output as observation lines ("> " before every line). */
export function observationText(output: string): string {
  return output
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/** Formats tool results as observation lines ("> " before every line). */
export function observationOf(results: readonly ToolResult[]): string {
  return results.map((r) => observationText(r.output)).join('\n');
}

export class ToolEnv implements Environment {
  readonly tools;
  private turns = 0;
  private finished = false;

  constructor(private readonly o: ToolEnvOptions) {
    this.tools = o.tools.map((t) => t.spec);
  }

  async reset(): Promise<{ observation: string; info: Record<string, unknown> }> {
    this.turns = 0;
    this.finished = false;
    return { observation: this.o.prompt, info: { tools: this.tools.map((t) => t.function.name), maxTurns: this.o.maxTurns } };
  }

  async step(action: string): Promise<StepOutcome> {
    if (this.finished) throw new Error('step() after the episode ended; call reset() first');
    this.turns++;
    const parsed = parseAction(action, this.tools);
    const end = (reward: number, o: Partial<StepOutcome> & { info: StepOutcome['info'] }): StepOutcome => {
      const terminated = o.terminated ?? false;
      const truncated = !terminated && this.turns >= this.o.maxTurns;
      this.finished = terminated || truncated;
      return {
        observation: this.finished ? '' : (o.observation ?? ''),
        reward,
        terminated,
        truncated,
        done: this.finished,
        info: truncated ? { ...o.info, correct: false } : o.info,
      };
    };
    if (parsed.kind === 'answer') {
      const s = await this.o.score(parsed.answer);
      return end(s.reward, { terminated: true, info: { answer: parsed.answer, correct: s.correct } });
    }
    if (parsed.kind === 'malformed')
      return end(this.o.malformedPenalty ?? 0, { observation: `> error: ${parsed.reason}`, info: { malformed: true } });
    const results: ToolResult[] = [];
    for (const call of parsed.calls) results.push(await callTool(this.o.tools, call, this.o.toolTimeoutMs));
    return end(0, { observation: observationOf(results), info: { toolResults: results } });
  }

  close(): void {
    if (this.o.ownsTools === false) return;
    for (const t of this.o.tools) t.close?.();
  }
}
