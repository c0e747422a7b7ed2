/**
 * `calc-duo`: a two-agent task for MARFT (Liao et al. 2025, "MARFT: Multi-Agent Reinforcement
 * Fine-Tuning"). A solver and a checker share one transcript of a calc-tool problem, both with the
 * calculator. The solver computes and proposes `answer: X`; the environment hands the turn to the
 * checker ("> check X"), who may recompute and replies `verdict: accept` or `verdict: reject`. A
 * rejection gives the solver one more proposal. Per-agent credit: the solver's answer turn earns 1
 * when X is right; the checker's verdict turn earns 1 when the verdict is right (accepting a right
 * answer or rejecting a wrong one). The team succeeds when a right answer is accepted.
 *
 * Solver episodes for SFT: 30% start with a wrong proposal (an off-by-one slip) that the checker
 * rejects after recomputing, so both roles have something to learn.
 */
import type { Rng } from '../../core/rng.js';
import { calculatorTool } from '../tools/calculator.js';
import { callTool } from '../tools/run.js';
import type { ToolResult } from '../tools/types.js';
import { answerStepCheck, exactVerify, extractAnswerLine, renderChatTranscript, renderPlainTranscript } from './base.js';
import { type CalcProblem, calcSolverTurns, calcToolTask } from './calculator-task.js';
import { observationOf } from './env.js';
import { parseAction } from './protocol.js';
import type { Environment, StepOutcome } from './types.js';
import type { MultiTurnTask } from './types.js';

const norm = (s: string) => s.replace(/[\s,]/g, '');

class DuoEnv implements Environment {
  readonly tools;
  private turns = 0;
  private agent: 'solver' | 'checker' = 'solver';
  private proposal: string | null = null;
  private rounds = 0;
  private done = false;
  private readonly calc = calculatorTool();

  constructor(
    private readonly p: CalcProblem,
    private readonly withTools: boolean,
    private readonly maxTurns = 10,
  ) {
    this.tools = withTools ? [this.calc.spec] : [];
  }

  async reset() {
    this.turns = 0;
    this.agent = 'solver';
    this.proposal = null;
    this.rounds = 0;
    this.done = false;
    return { observation: this.p.question, info: { agents: ['solver', 'checker'] } };
  }

  async step(action: string): Promise<StepOutcome> {
    if (this.done) throw new Error('step() after the episode ended; call reset() first');
    this.turns++;
    const out = (o: {
      observation?: string;
      reward?: number;
      terminated?: boolean;
      correct?: boolean;
      toolResults?: ToolResult[];
      malformed?: boolean;
      answer?: string;
    }): StepOutcome => {
      const terminated = o.terminated ?? false;
      const truncated = !terminated && this.turns >= this.maxTurns;
      this.done = terminated || truncated;
      return {
        observation: this.done ? '' : (o.observation ?? ''),
        reward: o.reward ?? 0,
        terminated,
        truncated,
        done: this.done,
        info: {
          toolResults: o.toolResults,
          malformed: o.malformed,
          answer: o.answer,
          correct: this.done ? (o.correct ?? false) : undefined,
          nextAgent: this.agent,
        },
      };
    };
    const t = action.trim();
    const verdict = /^verdict\s*:\s*(accept|reject)\s*$/i.exec(t);
    if (this.agent === 'checker' && verdict) {
      const right = this.proposal !== null && norm(this.proposal) === norm(this.p.answer!);
      const accept = verdict[1].toLowerCase() === 'accept';
      const reward = accept === right ? 1 : 0;
      this.rounds++;
      if (accept || this.rounds >= 2)
        return out({ reward, terminated: true, correct: accept && right, answer: this.proposal ?? undefined });
      this.agent = 'solver';
      return out({ reward, observation: '> rejected' });
    }
    const parsed = parseAction(t, this.tools);
    if (parsed.kind === 'answer' && this.agent === 'solver') {
      this.proposal = parsed.answer;
      this.agent = 'checker';
      return out({
        reward: norm(parsed.answer) === norm(this.p.answer!) ? 1 : 0,
        observation: `> check ${parsed.answer}`,
        answer: parsed.answer,
      });
    }
    if (parsed.kind === 'tool-calls') {
      const results: ToolResult[] = [];
      for (const c of parsed.calls) results.push(await callTool(this.withTools ? [this.calc] : [], c));
      return out({ observation: observationOf(results), toolResults: results });
    }
    const reason =
      parsed.kind === 'malformed'
        ? parsed.reason
        : this.agent === 'checker'
          ? 'the checker replies "verdict: accept" or "verdict: reject"'
          : 'unexpected action';
    return out({ observation: `> error: ${reason}`, malformed: true });
  }
}

/** Solver and checker actions of one episode, in turn order. */
export function duoSolverTurns(p: CalcProblem, rng?: { next(): number }, tools = true): string[] {
  const solve = calcSolverTurns(p, tools);
  const check = tools ? [`calculator: ${p.question}`] : [];
  if (rng && rng.next() < 0.3) {
    const wrong = (BigInt(p.answer!) + (rng.next() < 0.5 ? 1n : -1n) * 10n).toString();
    return [...solve.slice(0, -1), `answer: ${wrong}`, ...check, 'verdict: reject', solve.at(-1)!, ...check, 'verdict: accept'];
  }
  return [...solve, ...check, 'verdict: accept'];
}

export const calcDuoTask: MultiTurnTask<CalcProblem> = {
  ...calcToolTask,
  name: 'calc-duo',
  description:
    'Two agents (MARFT): a solver computes with the calculator and proposes an answer, a checker recomputes and accepts or rejects; per-agent rewards',
  agents: ['solver', 'checker'],
  maxTurns: 10,
  meta: { kind: 'multi-turn', source: { kind: 'generated' }, verifier: 'exact (accepted answer)', splitSizes: { train: 10000, test: 500 } },
  renderPlain: (p, steps = []) => renderPlainTranscript(p.question, steps),
  renderChat: (p, steps = []) =>
    renderChatTranscript(
      'Two agents share this transcript: a solver proposes "answer: X"; a checker replies "verdict: accept" or "verdict: reject".',
      p.question,
      [calculatorTool().spec],
      steps,
    ),
  extractAnswer: (text) => extractAnswerLine(text),
  async verify(answer, p) {
    return exactVerify(answer, p.answer!, norm);
  },
  checkStep: (_p, steps) => answerStepCheck(steps),
  createEnv: (p, o = {}) => new DuoEnv(p, o.tools !== false),
  solveTurns: (p, rng?: Rng | { next(): number }, o = {}) => duoSolverTurns(p, rng, o.tools !== false),
};
