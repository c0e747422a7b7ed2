/**
 * Builds a Task from the combination-game rules (combine.ts): prompts, the step protocol, answer
 * extraction, the rule-based verifier, step checks, legal moves and the solver. Game of 24 and
 * Countdown differ only in their rules, prompts and problem sources.
 */
import type { ChatMessage } from '../../models/types.js';
import type { AugmentOptions, LoadOptions, Problem, StepCheck, Task, VerifyResult } from '../types.js';
import { augmentNumberGame } from './augment.js';
import { samplePath } from './path-sampler.js';
import { type GameRules, allSolutions, evaluateExpression, isTerminal, isWin, legalMoves, numbersMatch, replay } from './combine.js';
import { type Rational, eq, formatRational, rat } from './rational.js';

export interface NumberGameData {
  numbers: number[];
  target: number;
}

export type NumberGameProblem = Problem & { data: NumberGameData };

export interface NumberGameSpec {
  name: string;
  description: string;
  splits: readonly string[];
  rules: Omit<GameRules, 'target'>;
  /** Plain prompt before the "|" marker, e.g. "4 4 6 8" or "25 3 7 19 =83". */
  plainPrompt(data: NumberGameData): string;
  /** Chat instructions for one problem. */
  chatPrompt(data: NumberGameData): string;
  load(options: LoadOptions): Promise<NumberGameProblem[]>;
  /**
   * SFT augmentation (Task.augment): the order-free number keys (augment.ts numbersKey) of the
   * held-out puzzles that auxiliary puzzles must never repeat, and how to build a problem. A task
   * without it has no `augment`.
   */
  augmentation?: { heldOut(): ReadonlySet<string>; toProblem(id: string, data: NumberGameData): NumberGameProblem };
}

export function rulesFor(spec: Pick<NumberGameSpec, 'rules'>, data: NumberGameData): GameRules {
  return { ...spec.rules, target: rat(data.target) };
}

const startOf = (data: NumberGameData): Rational[] => data.numbers.map((n) => rat(n));

/** Step lines of a completion: the text after the last "|" (plain prompts), one step per line. */
export function stepLines(text: string): string[] {
  const body = text.includes('|') ? text.slice(text.lastIndexOf('|') + 1) : text;
  return body
    .replace(/<END>/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

const STEP_LIKE = /^[-\d/+*×÷\s]+=\s*-?\d+(?:\/\d+)?\s*\([^()]*\)\s*$/;

export function makeNumberGameTask(spec: NumberGameSpec): Task<NumberGameProblem> {
  const task: Task<NumberGameProblem> = {
    name: spec.name,
    description: spec.description,
    splits: spec.splits,
    verifierNeedsAnswer: false,
    chatStepStop: ['\n'],

    problems: (options) => spec.load(options),

    renderPlain(problem, steps = []) {
      return `${spec.plainPrompt(problem.data)}|${steps.map((s) => `${s}\n`).join('')}`;
    },

    renderChat(problem, steps = []): ChatMessage[] {
      const messages: ChatMessage[] = [
        { role: 'system', content: 'You solve number puzzles step by step. Write one step per line and nothing else.' },
        { role: 'user', content: spec.chatPrompt(problem.data) },
      ];
      if (steps.length > 0) messages.push({ role: 'assistant', content: steps.map((s) => `${s}\n`).join('') });
      return messages;
    },

    /**
     * In order: a TinyZero-style `<answer>...</answer>` tag, an "Answer:" line, a step transcript
     * (replayed against the true state; any invalid step means no answer), or a final "expr = n" line.
     */
    extractAnswer(text, problem) {
      const tag = /<answer>([\s\S]*?)<\/answer>/i.exec(text);
      if (tag)
        return (
          tag[1]
            .trim()
            .replace(/=\s*-?\d+(?:\/\d+)?\s*$/, '')
            .trim() || null
        );
      const answerLine = /answer\s*:\s*([^\n]+)/i.exec(text);
      if (answerLine)
        return (
          answerLine[1]
            .trim()
            .replace(/=\s*-?\d+(?:\/\d+)?\s*$/, '')
            .trim() || null
        );
      const lines = stepLines(text);
      if (problem && lines.length > 0 && lines.every((l) => STEP_LIKE.test(l))) {
        const rules = rulesFor(spec, problem.data);
        const r = replay(startOf(problem.data), lines, rules);
        if (r.invalidAt >= 0 || !isTerminal(r.state, rules)) return null;
        const k = rules.useAll
          ? 0
          : Math.max(
              0,
              r.state.findIndex((x) => eq(x, rules.target)),
            );
        return r.expressions[k] ?? null;
      }
      const last = lines[lines.length - 1];
      if (last && /^[\d\s()+\-*/×÷]+=\s*-?\d+\s*$/.test(last)) return last.replace(/=.*$/, '').trim();
      return null;
    },

    async verify(answer, problem): Promise<VerifyResult> {
      if (answer === null || answer.trim() === '') return { correct: false, score: 0, extracted: null, details: 'no answer' };
      const rules = rulesFor(spec, problem.data);
      const expr = answer.replace(/=\s*-?\d+(?:\/\d+)?\s*$/, '').trim();
      const v = evaluateExpression(expr, rules);
      if (v.value === null) return { correct: false, score: 0, extracted: expr, details: `invalid expression: ${v.error}` };
      const mismatch = numbersMatch(v.numbers, startOf(problem.data), rules.useAll);
      if (mismatch) return { correct: false, score: 0, extracted: expr, details: mismatch };
      if (!eq(v.value, rules.target)) {
        return {
          correct: false,
          score: 0,
          extracted: expr,
          details: `evaluates to ${formatRational(v.value)}, not ${problem.data.target}`,
        };
      }
      return { correct: true, score: 1, extracted: expr, details: `${expr} = ${problem.data.target}` };
    },

    sameAnswer(a, b) {
      return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
    },

    checkStep(problem, steps): StepCheck {
      const rules = rulesFor(spec, problem.data);
      const r = replay(startOf(problem.data), steps, rules);
      if (r.invalidAt >= 0) {
        const last = r.invalidAt === steps.length - 1;
        return { valid: false, terminal: false, reason: last ? r.reason : `step ${r.invalidAt + 1} is already invalid: ${r.reason}` };
      }
      const terminal = isTerminal(r.state, rules);
      if (!terminal) return { valid: true, terminal: false };
      const k = rules.useAll
        ? 0
        : Math.max(
            0,
            r.state.findIndex((x) => eq(x, rules.target)),
          );
      return {
        valid: true,
        terminal: true,
        answer: r.expressions[k] ?? null,
        reason: isWin(r.state, rules) ? 'reached the target' : 'finished without reaching the target',
      };
    },

    legalSteps(problem, steps) {
      const rules = rulesFor(spec, problem.data);
      const r = replay(startOf(problem.data), steps, rules);
      if (r.invalidAt >= 0 || isTerminal(r.state, rules)) return [];
      return legalMoves(r.state, rules).map((m) => m.text);
    },

    solve(problem, rng) {
      if (rng) {
        // Uniform over allSolutions' paths, without building them all (path-sampler.ts).
        const fast = samplePath(problem.data.numbers, { ...spec.rules, target: problem.data.target }, rng);
        if (fast !== undefined) return fast;
      }
      const paths = allSolutions(startOf(problem.data), rulesFor(spec, problem.data));
      if (paths.length === 0) return null;
      return rng ? paths[Math.floor(rng.next() * paths.length)] : paths[0];
    },
  };
  const aug = spec.augmentation;
  if (aug) {
    task.augment = (problem: NumberGameProblem, rng: { next(): number }, options: AugmentOptions): NumberGameProblem => {
      const r = augmentNumberGame(problem, rng, options, spec.rules, aug.heldOut(), spec.name);
      if (r.data === problem.data) return problem;
      return r.id === problem.id ? { ...problem, data: r.data } : aug.toProblem(r.id, r.data);
    };
  }
  return task;
}
