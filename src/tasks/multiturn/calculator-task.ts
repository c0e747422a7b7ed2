/**
 * `calc-tool`: multi-digit arithmetic with a calculator tool. A problem is a two-operator
 * expression over 2-3 digit numbers (`347*589+612`, usual precedence), exact integer answer.
 * A tiny model cannot multiply 3-digit numbers in its head, but can copy operands into the
 * calculator and its results into the answer: the solver's episode is
 *
 *   347*589+612|calculator: 347*589      (policy)
 *   > 204383                             (environment)
 *   calculator: 204383+612               (policy)
 *   > 204995                             (environment)
 *   answer: 204995                       (policy; ends the episode, reward 1 if right)
 *
 * Without tools (`createEnv(p, {tools: false})`, the baseline) the solver's episode is the answer
 * line alone. A second solver strategy, `whole`, copies the question into one call
 * (`calculator: 347*589+612`); recipes mix the two with `multiturn.solver_strategies`. Generated: train 10000, test 500, test removed from train.
 */
import type { Rng } from '../../core/rng.js';
import { calculate, calculatorTool } from '../tools/calculator.js';
import type { Problem } from '../types.js';
import { ToolEnv } from './env.js';
import { answerStepCheck, exactVerify, extractAnswerLine, generatedSplits, renderChatTranscript, renderPlainTranscript } from './base.js';
import type { MultiTurnTask } from './types.js';

export interface CalcProblem extends Problem {
  data: { a: number; b: number; c: number; ops: [string, string] };
}

const OPS = ['+', '-', '*'] as const;

function makeProblem(rng: Rng, split: string, i: number): CalcProblem | null {
  const num = () => rng.int(10, 999);
  const a = num();
  const b = num();
  const c = num();
  const o1 = OPS[rng.int(0, 2)];
  const o2 = OPS[rng.int(0, 2)];
  if (o1 !== '*' && o2 !== '*') return null; // at least one product: too hard in the head
  const question = `${a}${o1}${b}${o2}${c}`;
  return { id: `calc-tool/${split}/${i}`, question, answer: calculate(question), data: { a, b, c, ops: [o1, o2] } };
}

/** The solver's strategies: `stepwise` (default) one operation per call, `whole` the expression in one call. */
export const CALC_SOLVER_STRATEGIES = ['stepwise', 'whole'] as const;

/**
 * The solver's tool calls. `stepwise`: the higher-precedence (or left) operation first, then the
 * other, copying the first result and the remaining operand into the second call. `whole`: the
 * question copied into one call.
 */
export function calcSolverTurns(p: CalcProblem, tools = true, strategy: string = 'stepwise'): string[] {
  if (!tools) return [`answer: ${p.answer}`];
  if (!(CALC_SOLVER_STRATEGIES as readonly string[]).includes(strategy))
    throw new RangeError(`calc-tool has no solver strategy "${strategy}" (strategies: ${CALC_SOLVER_STRATEGIES.join(', ')})`);
  if (strategy === 'whole') return [`calculator: ${p.question}`, `answer: ${p.answer}`];
  const { a, b, c, ops } = p.data;
  const [o1, o2] = ops;
  if (o2 === '*' && o1 !== '*') {
    const bc = calculate(`${b}*${c}`);
    return [`calculator: ${b}*${c}`, `calculator: ${a}${o1}${bc}`, `answer: ${p.answer}`];
  }
  const ab = calculate(`${a}${o1}${b}`);
  return [`calculator: ${a}${o1}${b}`, `calculator: ${ab}${o2}${c}`, `answer: ${p.answer}`];
}

const normalise = (s: string) => s.replace(/[\s,]/g, '');
const spec = calculatorTool().spec;

export const calcToolTask: MultiTurnTask<CalcProblem> = {
  kind: 'multi-turn',
  name: 'calc-tool',
  description: 'Multi-digit arithmetic (two operators over 2-3 digit numbers) with a calculator tool; exact answer',
  splits: ['train', 'test'],
  verifierNeedsAnswer: true,
  chatStepStop: ['\n'],
  tools: [spec],
  maxTurns: 5,
  agents: ['agent'],
  meta: { kind: 'multi-turn', source: { kind: 'generated' }, verifier: 'exact', splitSizes: { train: 10000, test: 500 } },
  problems: generatedSplits('calc-tool', { train: 10000, test: 500 }, makeProblem, (p) => p.question),
  renderPlain: (p, steps = []) => renderPlainTranscript(p.question, steps),
  renderChat: (p, steps = []) => renderChatTranscript('Compute the value of the expression exactly.', p.question, [spec], steps),
  extractAnswer: (text) => extractAnswerLine(text),
  async verify(answer, p) {
    return exactVerify(answer, p.answer!, normalise);
  },
  sameAnswer: (a, b) => normalise(a) === normalise(b),
  checkStep: (_p, steps) => answerStepCheck(steps),
  createEnv(p, o = {}) {
    return new ToolEnv({
      prompt: p.question,
      tools: o.tools === false ? [] : [calculatorTool()],
      maxTurns: 5,
      score: (ans) => {
        const ok = normalise(ans) === normalise(p.answer!);
        return { reward: ok ? 1 : 0, correct: ok };
      },
    });
  },
  solveTurns: (p, _rng, o = {}) => calcSolverTurns(p, o.tools !== false, o.strategy),
  solverStrategies: CALC_SOLVER_STRATEGIES,
};
