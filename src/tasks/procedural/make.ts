/**
 * Procedural tasks with difficulty levels and exact verifiers (the reasoning-gym idea: unlimited
 * seeded problems, each checked by a program). A spec gives a generator, a checker and a solver
 * trace; this file turns it into a Task: seeded train/test splits (test removed from train),
 * levels as `name:easy|medium|hard` (the bare name is medium), plain prompts for character-level
 * policies (`<prompt>|` then one step per line), chat prompts, a final step `answer: X` (or
 * `<answer>X</answer>`), the three-way verdict, step checks and solver traces for SFT.
 */
import { usageError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { ChatMessage } from '../../models/types.js';
import { checkSplit } from '../splits.js';
import type { LoadOptions, Problem, StepCheck, Task, TaskMeta, VerifyResult } from '../types.js';

export const LEVELS = ['easy', 'medium', 'hard'] as const;
export type Level = (typeof LEVELS)[number];

export interface CheckResult {
  /** The answer could be read in the task's answer format. */
  parsed: boolean;
  correct: boolean;
  reason: string;
}

export interface ProceduralSpec<D> {
  name: string;
  description: string;
  /** Draws one instance at a level; null to try again (e.g. not unique). */
  generate(rng: Rng, level: Level): D | null;
  /** Identity of an instance, for de-duplication and keeping test out of train. */
  key(d: D): string;
  /** The question as a person reads it (chat prompts, rows). */
  question(d: D): string;
  /** Compact prompt for character-level policies (no "|" or newline inside). */
  plain(d: D): string;
  /** How to write the final answer, for chat prompts. */
  answerFormat: string;
  /** A reference answer (one correct answer; the checker may accept others). */
  answer(d: D): string;
  /** The exact verifier. */
  check(d: D, answer: string): CheckResult;
  /** A solver's trace: intermediate steps (the final `answer: X` step is added). */
  trace(d: D): string[];
  /** Whether intermediate steps[0..i] are all valid (rule check); default: they equal the trace's. */
  stepsValid?(d: D, steps: readonly string[]): { valid: boolean; reason?: string };
  /** True when `check` needs no answer key (a rule check that search may use). */
  ruleCheck: boolean;
  /** Default problems per split. */
  sizes?: { train: number; test: number };
}

export type ProceduralProblem<D> = Problem & { answer: string; data: D & { level: Level } };

const ANSWER_LINE = /^\s*answer\s*:\s*(.*)$/i;

/** The final answer in a completion: the last <answer>..</answer>, else the last "answer: X" line. */
export function extractFinal(text: string): string | null {
  const tags = [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/gi)];
  if (tags.length) return tags[tags.length - 1][1].trim();
  const body = text.includes('|') ? text.slice(text.lastIndexOf('|') + 1) : text;
  const lines = body.split('\n').map((l) => l.replace(/<END>/g, '').trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = ANSWER_LINE.exec(lines[i]);
    if (m) return m[1].trim();
  }
  return null;
}

const SPLITS = ['train', 'test'] as const;

function levelOf(name: string, base: string): Level {
  if (name === base) return 'medium';
  const lv = name.slice(base.length + 1);
  if (!(LEVELS as readonly string[]).includes(lv))
    throw usageError(`unknown level "${lv}" for task ${base}; valid levels: ${LEVELS.join(', ')}`);
  return lv as Level;
}

/** Builds the task for one level (`name` is `base` or `base:level`). */
export function makeProceduralTask<D>(spec: ProceduralSpec<D>, name = spec.name): Task<ProceduralProblem<D>> {
  const level = levelOf(name, spec.name);
  const sizes = spec.sizes ?? { train: 10_000, test: 500 };
  type P = ProceduralProblem<D>;
  const generate = (stream: string, count: number, seed: number, exclude: Set<string>): D[] => {
    const rng = new Rng(seed).fork(`${name}/${stream}`);
    const out: D[] = [];
    const seen = new Set<string>();
    for (let tries = 0; out.length < count && tries < count * 200 + 1000; tries++) {
      const d = spec.generate(rng, level);
      if (!d) continue;
      const k = spec.key(d);
      if (seen.has(k) || exclude.has(k)) continue;
      seen.add(k);
      out.push(d);
    }
    return out;
  };
  const toProblem = (d: D, split: string, seed: number, i: number): P => ({
    id: `${name}/${split}/${seed}/${i}`,
    question: spec.question(d),
    answer: spec.answer(d),
    data: { ...d, level },
  });
  const meta: TaskMeta = {
    source: { kind: 'generated' },
    verifier: spec.ruleCheck ? 'rule-check' : 'exact',
    splitSizes: { train: sizes.train, test: sizes.test },
  };
  const stepCheck = (p: P, steps: readonly string[]): StepCheck => {
    const last = steps[steps.length - 1] ?? '';
    const m = ANSWER_LINE.exec(last);
    const inter = m ? steps.slice(0, -1) : steps;
    if (inter.some((s) => ANSWER_LINE.test(s))) return { valid: false, terminal: false, reason: 'steps after the answer' };
    const v = spec.stepsValid ? spec.stepsValid(p.data, inter) : traceValid(spec.trace(p.data), inter);
    if (!v.valid) return { valid: false, terminal: false, reason: v.reason };
    if (!m) return { valid: true, terminal: false };
    // A readable answer ends the solution (valid); whether it is right is the verifier's call, as in
    // the number games, so a wrong final answer is graded wrong rather than hidden as an invalid step.
    const c = spec.check(p.data, m[1].trim());
    if (!c.parsed) return { valid: false, terminal: false, reason: c.reason };
    return { valid: true, terminal: true, answer: m[1].trim(), reason: c.reason };
  };
  return {
    name,
    description: `${spec.description} (level ${level}; ${name === spec.name ? `also ${spec.name}:easy, ${spec.name}:hard` : `base task ${spec.name}`})`,
    splits: SPLITS,
    verifierNeedsAnswer: !spec.ruleCheck,
    chatStepStop: ['\n'],
    meta,
    async problems(options: LoadOptions) {
      checkSplit(name, SPLITS, options.split);
      const seed = options.seed ?? 0;
      const split = options.split as 'train' | 'test';
      const testCount = split === 'test' ? (options.limit ?? sizes.test) : sizes.test;
      const test = generate('test', testCount, seed, new Set());
      const data = split === 'test' ? test : generate('train', options.limit ?? sizes.train, seed, new Set(test.map(spec.key)));
      return data.map((d, i) => toProblem(d, split, seed, i));
    },
    renderPlain: (p, steps = []) => `${spec.plain(p.data)}|${steps.map((s) => `${s}\n`).join('')}`,
    renderChat(p, steps = []): ChatMessage[] {
      const msgs: ChatMessage[] = [
        { role: 'system', content: 'You solve puzzles step by step, one step per line.' },
        {
          role: 'user',
          content: `${spec.question(p.data)}\n\nWork one step per line, then finish with a line "answer: ${spec.answerFormat}".`,
        },
      ];
      if (steps.length) msgs.push({ role: 'assistant', content: steps.map((s) => `${s}\n`).join('') });
      return msgs;
    },
    extractAnswer: (text) => extractFinal(text),
    async verify(answer, p): Promise<VerifyResult> {
      if (answer === null || answer.trim() === '')
        return { correct: false, verdict: 'unparseable', score: 0, extracted: null, details: 'no answer' };
      const c = spec.check(p.data, answer.trim());
      return {
        correct: c.correct,
        verdict: c.correct ? 'correct' : c.parsed ? 'wrong' : 'unparseable',
        score: c.correct ? 1 : 0,
        extracted: answer.trim(),
        details: c.reason,
      };
    },
    sameAnswer: (a, b) => a.replace(/\s+/g, ' ').trim().toLowerCase() === b.replace(/\s+/g, ' ').trim().toLowerCase(),
    checkStep: (p, steps) => stepCheck(p, steps),
    solve: (p) => [...spec.trace(p.data), `answer: ${spec.answer(p.data)}`],
  };
}

/** Default step check: each intermediate step equals the solver trace's step at that position. */
function traceValid(trace: readonly string[], steps: readonly string[]): { valid: boolean; reason?: string } {
  for (let i = 0; i < steps.length; i++) {
    if (i >= trace.length) return { valid: false, reason: `step ${i + 1}: the trace has only ${trace.length} steps before the answer` };
    if (steps[i].trim() !== trace[i]) return { valid: false, reason: `step ${i + 1}: expected "${trace[i]}"` };
  }
  return { valid: true };
}

/** Every level of a spec as tasks: the base name (medium) plus name:easy / name:hard on demand. */
export function proceduralFamily<D>(spec: ProceduralSpec<D>): {
  base: Task<ProceduralProblem<D>>;
  level(name: string): Task<ProceduralProblem<D>>;
} {
  const cache = new Map<string, Task<ProceduralProblem<D>>>();
  const base = makeProceduralTask(spec);
  cache.set(spec.name, base);
  return {
    base,
    level(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const t = makeProceduralTask(spec, name);
      cache.set(name, t);
      return t;
    },
  };
}
