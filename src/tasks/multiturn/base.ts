/**
 * Shared pieces of the built-in multi-turn tasks: the Task methods every one of them has in the
 * same form (plain and chat rendering of the prompt, answer extraction from "answer: ..." lines,
 * exact-match verification), and seeded generated splits with the test set kept out of train.
 */
import { Rng } from '../../core/rng.js';
import { checkSplit } from '../splits.js';
import type { ToolSpec } from '../tools/types.js';
import type { LoadOptions, Problem, StepCheck, VerifyResult } from '../types.js';
import type { ChatMessage } from '../../models/types.js';
import { describeTools } from './protocol.js';

/** The last "answer: X" of a transcript or action, or null. */
export function extractAnswerLine(text: string): string | null {
  const lines = text.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^answer\s*:\s*(.*)$/i.exec(lines[i]);
    if (m) return m[1].trim();
  }
  return null;
}

/** Plain prompt: the question then "|" (the x1 protocol of the single-turn tasks); each transcript line after it ends with "\n". */
export function renderPlainTranscript(prompt: string, lines: readonly string[] = []): string {
  return `${prompt}|${lines.map((l) => `${l}\n`).join('')}`;
}

export function renderChatTranscript(
  system: string,
  question: string,
  tools: readonly ToolSpec[],
  lines: readonly string[] = [],
): ChatMessage[] {
  const msgs: ChatMessage[] = [
    { role: 'system', content: `${system}\n${describeTools(tools)}` },
    { role: 'user', content: question },
  ];
  if (lines.length) msgs.push({ role: 'assistant', content: lines.join('\n') });
  return msgs;
}

export function exactVerify(answer: string | null, expected: string, normalise: (s: string) => string = (s) => s.trim()): VerifyResult {
  if (answer === null) return { correct: false, score: 0, extracted: null, details: 'no answer' };
  const ok = normalise(answer) === normalise(expected);
  return { correct: ok, score: ok ? 1 : 0, extracted: normalise(answer) };
}

/**
 * Generated splits: `test` from its own seed stream (`testSize` problems), `train` from another
 * with every test key removed. `make(rng, index)` returns a problem or null (skip).
 */
export function generatedSplits<P extends Problem>(
  name: string,
  sizes: { train: number; test: number },
  make: (rng: Rng, split: string, i: number) => P | null,
  key: (p: P) => string,
) {
  const cache = new Map<string, P[]>();
  const build = (split: string, seed: number, n: number, exclude: Set<string>): P[] => {
    const rng = new Rng(seed).fork(`${name}.${split}`);
    const out: P[] = [];
    const seen = new Set<string>();
    for (let i = 0; out.length < n && i < n * 50; i++) {
      const p = make(rng, split, out.length);
      if (!p) continue;
      const k = key(p);
      if (seen.has(k) || exclude.has(k)) continue;
      seen.add(k);
      out.push(p);
    }
    return out;
  };
  return async (o: LoadOptions): Promise<P[]> => {
    checkSplit(name, ['train', 'test'], o.split);
    const seed = o.seed ?? 0;
    const ck = `${o.split}.${seed}`;
    if (!cache.has(ck)) {
      const test = build('test', seed + 1, sizes.test, new Set());
      cache.set(`test.${seed}`, test);
      cache.set(`train.${seed}`, build('train', seed, sizes.train, new Set(test.map(key))));
    }
    const all = cache.get(ck)!;
    return o.limit ? all.slice(0, o.limit) : all;
  };
}

/** A step check that says only whether the transcript has reached an answer. */
export function answerStepCheck(steps: readonly string[]): StepCheck {
  const last = steps.at(-1) ?? '';
  const a = extractAnswerLine(last);
  return { valid: true, terminal: a !== null, answer: a };
}
