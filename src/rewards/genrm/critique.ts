/**
 * The text protocol of rlmkit's generative reward model (GenRM), after RM-R1 (Chen et al. 2025,
 * "RM-R1: Reward Modeling as Reasoning"): the judge reads a problem and a candidate solution, WRITES
 * a critique first, then a verdict token. For the combination games (Game of 24, Countdown) the
 * critique is a compact re-check a character-level model can learn, one entry per candidate step:
 *
 *   judge prompt   4 4 6 8|4+8=12 (4 6 12);6-4=2 (12 2);12*2=24 (24)>
 *   critique       12 (4 6 12) ok;2 (12 2) ok;24 (24) ok#Y
 *
 * Each entry recomputes the step from the TRUE state (the judge's own previous entry, never the
 * candidate's claims): the true result and the true numbers left, then `ok` when the candidate
 * wrote the same (numbers left compared as a multiset, written in the candidate's order), `no`
 * otherwise. A step whose operands are not both available, that divides by zero or breaks an
 * integer rule, or that cannot be read, is `? no`. The critique stops at the first `no`. The verdict
 * after `#` is `Y` when every step is `ok` and the last numbers reach the target (the game's win
 * rule), else `N`.
 *
 * The "teacher" that writes these critiques for reasoning distillation (RM-R1's stage 1, where a
 * stronger LLM writes them) is here the game's rule checker: `teacherCritique` replays the steps
 * with the exact rational arithmetic of src/tasks/games/combine.ts. The judge learns to imitate a
 * rule checker's trace; that is the honest description of what it knows.
 */
import { usageError } from '../../core/errors.js';
import { type GameRules, applyStep, formatList, isTerminal, isWin, parseStep } from '../../tasks/games/combine.js';
import { type Rational, apply, eq, formatRational, rat } from '../../tasks/games/rational.js';

/** Characters the judge writes beyond the policy's (verdicts, step marks, separators). */
export const GENRM_EXTRA_CHARS = ['Y', 'N', 'o', 'k', 'n', ';', '#', '>', '?'] as const;
/** Separates candidate steps in the judge prompt and critique entries in its reply. */
export const ENTRY_SEPARATOR = ';';
/** Ends the candidate in the judge prompt. */
export const CANDIDATE_END = '>';
/** Precedes the verdict token. */
export const VERDICT_MARK = '#';
export const VERDICT_CORRECT = 'Y';
export const VERDICT_WRONG = 'N';

export type Verdict = 'correct' | 'wrong';

/** Characters a candidate may show the judge; anything else is shown as "?" (an unreadable step). */
const CANDIDATE_CHARS = new Set([...'0123456789 ()*+-/=|.']);

/** The game rules behind a task the judge knows (the combination games). */
export function genrmRules(taskName: string, target: number): GameRules {
  const base = taskName.split(':')[0];
  if (base === 'game24' || base === 'countdown') return { useAll: true, integerOnly: false, target: rat(target) };
  if (base === 'countdown-classic') return { useAll: false, integerOnly: true, target: rat(target) };
  throw usageError(
    `the generative reward model has no critique protocol for task "${taskName}"`,
    'use it with game24, countdown or countdown-classic',
  );
}

/**
 * The judge prompt: the policy's plain prompt ("4 4 6 8|", "25 3 7 19 =83|"), the candidate's
 * steps joined by ";", and ">". Characters outside the candidate alphabet become "?", so a judge
 * with a character vocabulary can always read the prompt (such a step then reads as unreadable).
 */
export function judgePrompt(policyPrompt: string, steps: readonly string[]): string {
  const clean = (s: string) => [...s].map((c) => (CANDIDATE_CHARS.has(c) ? c : '?')).join('');
  return `${clean(policyPrompt)}${steps.map((s) => clean(s.trim())).join(ENTRY_SEPARATOR)}${CANDIDATE_END}`;
}

export interface CritiqueEntry {
  /** The entry's text, e.g. "12 (4 6 12) ok" or "? no". */
  text: string;
  ok: boolean;
}

export interface TeacherCritique {
  entries: CritiqueEntry[];
  verdict: Verdict;
  /** The whole reply: entries joined by ";", "#", the verdict token. */
  text: string;
}

function removeOne(xs: readonly Rational[], x: Rational): Rational[] | null {
  const i = xs.findIndex((y) => eq(x, y));
  return i < 0 ? null : [...xs.slice(0, i), ...xs.slice(i + 1)];
}

/** One step checked against the true state: the entry and the state after it (null when the step fails). */
/** How an entry opens: `result` writes the true result only; `operation` restates the step's operation first (`4*8=32 ...`). */
export type CritiqueStyle = 'result' | 'operation';

const opText = (s: { a: Rational; op: string; b: Rational }) => `${formatRational(s.a)}${s.op}${formatRational(s.b)}=`;

function checkOne(
  state: readonly Rational[],
  step: string,
  rules: GameRules,
  style: CritiqueStyle,
): { entry: CritiqueEntry; next: Rational[] | null } {
  const unreadable = { entry: { text: '? no', ok: false }, next: null };
  const outcome = applyStep(state, step, rules);
  if (outcome.valid && outcome.state && outcome.step) {
    // claimed numbers left equal the true ones as a multiset: write them as the candidate did
    const shown = outcome.step.claimedRest ?? outcome.state;
    const head = style === 'operation' ? opText(outcome.step) : '';
    return { entry: { text: `${head}${formatRational(outcome.step.claimed)} (${formatList(shown)}) ok`, ok: true }, next: outcome.state };
  }
  // Invalid: recompute from the first reading whose operands are available.
  for (const s of parseStep(step)) {
    const afterA = removeOne(state, s.a);
    const afterB = afterA && removeOne(afterA, s.b);
    if (!afterB) continue;
    const r = apply(s.op, s.a, s.b);
    if (r === null) return unreadable;
    if (rules.integerOnly && !(r.d === 1n && r.n > 0n)) return unreadable;
    const head = style === 'operation' ? opText(s) : '';
    return { entry: { text: `${head}${formatRational(r)} (${formatList([...afterB, r])}) no`, ok: false }, next: null };
  }
  return unreadable;
}

/**
 * The rule checker as RM-R1's teacher: the critique of `steps` for the puzzle `numbers` → target
 * under `rules`. Its verdict equals the game's rule verifier on a step transcript.
 */
export function teacherCritique(
  numbers: readonly number[],
  steps: readonly string[],
  rules: GameRules,
  style: CritiqueStyle = 'result',
): TeacherCritique {
  let state: Rational[] = numbers.map((n) => rat(n));
  const entries: CritiqueEntry[] = [];
  let failed = false;
  for (const step of steps) {
    const { entry, next } = checkOne(state, step, rules, style);
    entries.push(entry);
    if (!next) {
      failed = true;
      break;
    }
    state = next;
    if (isTerminal(state, rules)) break;
  }
  const finishedEarly = entries.length < steps.length && !failed; // steps after a terminal state
  const win = !failed && !finishedEarly && steps.length > 0 && isTerminal(state, rules) && isWin(state, rules);
  const verdict: Verdict = win ? 'correct' : 'wrong';
  return { entries, verdict, text: critiqueText(entries, verdict) };
}

export function critiqueText(entries: readonly CritiqueEntry[], verdict: Verdict): string {
  return `${entries.map((e) => e.text).join(ENTRY_SEPARATOR)}${VERDICT_MARK}${verdict === 'correct' ? VERDICT_CORRECT : VERDICT_WRONG}`;
}

export interface ParsedJudgement {
  verdict: Verdict | null;
  /** The critique text before the verdict mark (the whole reply when there is no mark). */
  critique: string;
  /** The critique's entries as written. */
  entries: CritiqueEntry[];
  /** Why the verdict could not be read (verdict null). */
  reason?: string;
}

const NUM = '-?\\d+(?:/\\d+)?';
const ENTRY = new RegExp(`^(?:\\? no|(?:${NUM}[-+*/]${NUM}=)?${NUM} \\([^()]*\\) (?:ok|no))$`);

/**
 * Reads a judge reply: the critique, then "#" and exactly one verdict token (Y or N) at the end.
 * No mark, several marks, anything but Y/N after the mark, or text after the verdict is
 * unparseable (verdict null, with the reason); a critique whose entries do not follow the protocol
 * still yields its verdict (entries are reported for inspection, not trusted).
 */
export function parseJudgement(reply: string): ParsedJudgement {
  const text = reply.trim();
  const at = text.lastIndexOf(VERDICT_MARK);
  const critique = at < 0 ? text : text.slice(0, at);
  const entries = critique
    .split(ENTRY_SEPARATOR)
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => ({ text: e, ok: e.endsWith(' ok') }));
  if (at < 0) return { verdict: null, critique, entries, reason: `no verdict mark "${VERDICT_MARK}"` };
  if (text.indexOf(VERDICT_MARK) !== at)
    return { verdict: null, critique, entries, reason: `more than one verdict mark "${VERDICT_MARK}"` };
  const token = text.slice(at + 1).trim();
  if (token === VERDICT_CORRECT) return { verdict: 'correct', critique, entries };
  if (token === VERDICT_WRONG) return { verdict: 'wrong', critique, entries };
  return {
    verdict: null,
    critique,
    entries,
    reason: `the verdict must be "${VERDICT_CORRECT}" or "${VERDICT_WRONG}", got ${JSON.stringify(token.slice(0, 20))}`,
  };
}

/** Whether every entry of a critique follows the protocol (format checks, tests, reports). */
export function wellFormedCritique(j: ParsedJudgement): boolean {
  return j.entries.length > 0 && j.entries.every((e) => ENTRY.test(e.text));
}
