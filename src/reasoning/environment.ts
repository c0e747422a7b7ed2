/**
 * The environment (llm-reasoners' "world model"): it turns (task, problem, steps) into policy
 * prompts and turns completions back into steps with a terminal flag, a rule-validity flag and an
 * answer. Strategies never render prompts or parse answers themselves, so one strategy works on
 * every task and with every model.
 *
 * Prompt styles: `plain` for completion models such as the embedded character-level ones (the
 * prompt is task.renderPlain and a step ends at the end-of-intermediate-step marker "\n", the final
 * step at end-of-sequence, x1's protocol); `chat` for instruction-tuned models (task.renderChat,
 * steps end at task.chatStepStop; a completion that ends without a stop sequence is final).
 */
import type { Completion, GenerateRequest, ScoredSolution } from '../models/types.js';
import type { Problem, PromptStyle, StepCheck, Task } from '../tasks/types.js';

/** End-of-intermediate-step marker of plain prompts (x1). */
export const PLAIN_STEP_STOP = '\n';

export interface EnvironmentOptions {
  style: PromptStyle;
  /** Steps after which a solution is cut off and counted as finished. */
  maxDepth: number;
  /** Tokens allowed for one step. */
  stepMaxTokens: number;
  /**
   * Use task.checkStep's rule validity to drop invalid steps during the search. Game of 24 style
   * tasks decide validity by their rules without an answer key, so this is fair at evaluation
   * time; it is reported in the trace's checksUsed as "rule-check".
   */
  ruleCheck: boolean;
}

export interface Interpreted {
  step: string;
  terminal: boolean;
  valid: boolean | null;
  answer: string | null;
  reason?: string;
}

export class Environment<P extends Problem = Problem> {
  constructor(
    readonly task: Task<P>,
    readonly problem: P,
    readonly options: EnvironmentOptions,
  ) {}

  get style(): PromptStyle {
    return this.options.style;
  }

  /** The prompt that asks for the next step after `steps`. */
  request(steps: readonly string[]): GenerateRequest {
    return this.options.style === 'plain'
      ? { prompt: this.task.renderPlain(this.problem, steps) }
      : { messages: this.task.renderChat(this.problem, steps) };
  }

  /** Stop sequences that end one step. */
  stepStops(): string[] {
    return this.options.style === 'plain' ? [PLAIN_STEP_STOP] : [...this.task.chatStepStop];
  }

  /** Text a value model or PRM reads for a state: the plain rendering, as the policy sees it. */
  stateText(steps: readonly string[]): string {
    return this.task.renderPlain(this.problem, steps);
  }

  /** The question text reward models and judges read. */
  promptText(): string {
    return this.task.renderPlain(this.problem, []);
  }

  solution(steps: readonly string[], answer: string | null): ScoredSolution {
    return { prompt: this.promptText(), steps: [...steps], answer };
  }

  check(steps: readonly string[]): StepCheck | null {
    return this.task.checkStep ? this.task.checkStep(this.problem, steps) : null;
  }

  legalSteps(steps: readonly string[]): string[] | null {
    return this.task.legalSteps ? this.task.legalSteps(this.problem, steps) : null;
  }

  /**
   * Reads a completion that continues `steps`. Terminal when the task's rules say the solution is
   * finished, when the model ended the sequence, or at the depth limit.
   */
  interpret(steps: readonly string[], c: Pick<Completion, 'text' | 'finishReason' | 'stopSequence'>): Interpreted {
    const step = this.cleanStep(c.text);
    const all = [...steps, step];
    const modelEnded =
      c.finishReason === 'eos' || (this.options.style === 'chat' && c.finishReason === 'stop' && c.stopSequence === undefined);
    const chk = this.check(all);
    let terminal = chk?.terminal ?? false;
    let valid: boolean | null = chk ? chk.valid : null;
    let answer: string | null = chk?.terminal ? (chk.answer ?? null) : null;
    if (!terminal && (modelEnded || all.length >= this.options.maxDepth)) {
      // The model stopped (or the depth limit hit) before the rules call it finished.
      terminal = true;
      answer = this.task.extractAnswer(all.join('\n'), this.problem);
    }
    if (!chk && answer === null && !terminal) {
      // Without a rule check, a step that states the final answer ends the solution.
      const a = this.task.extractAnswer(step, this.problem);
      if (a !== null) {
        terminal = true;
        answer = a;
      }
    }
    if (step === '' && !terminal && c.finishReason !== 'length') valid = false;
    return { step, terminal, valid, answer, reason: chk?.reason };
  }

  private cleanStep(text: string): string {
    return this.options.style === 'plain' ? text.replace(/\n+$/, '') : text.trim();
  }
}
