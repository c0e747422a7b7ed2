/**
 * Token sequences for training, in the x1 step protocol (docs/design.md): the prompt is `<bos>` plus the
 * task's plain rendering; every intermediate step ends with `<eos_step>` (the "\n" of the text) and
 * the final step with `<eos>`. This is exactly what the embedded Policy (bos: true) and the
 * reasoning Environment read back.
 *
 * Coordinates: a sequence `ids` with prompt length p has response tokens ids[p..]. The engine's
 * trainer feeds ids[0..n-1) and predicts ids[1..n), so response token k (ids[p+k]) is scored at
 * trainer position p+k-1. Host algorithms work in response coordinates ([rows, maxResponseLen],
 * verl's layout); `toTrainerRows` moves per-token values to trainer positions.
 */
import { inputError } from '../core/index.js';
import { BOS, EOS, type TrainBatch, type Tokenizer } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';

export interface Sequence {
  ids: number[];
  promptLen: number;
}

export function promptIds(tok: Tokenizer, task: Task<Problem>, problem: Problem, steps: readonly string[] = []): number[] {
  return [BOS, ...tok.encode(task.renderPlain(problem, steps))];
}

/** Steps as response tokens: intermediate steps + <eos_step>, the final one + <eos>. */
export function solutionIds(tok: Tokenizer, steps: readonly string[], final = true): number[] {
  if (steps.length === 0) return [];
  const body = steps.map((s, i) => (i < steps.length - 1 || !final ? `${s}\n` : s)).join('');
  return [...tok.encode(body), ...(final ? [EOS] : [])];
}

/** One step as an action: its tokens and the marker that ends it (<eos> if it finishes the solution). */
export function stepIds(tok: Tokenizer, step: string, terminal: boolean): number[] {
  return [...tok.encode(step), terminal ? EOS : tok.eosStep];
}

export function responseLength(s: Sequence): number {
  return s.ids.length - s.promptLen;
}

/** Checks that every sequence fits the trainer's length (n ids give n-1 positions). */
export function checkFits(seqs: readonly Sequence[], seqLen: number, what: string): void {
  for (const s of seqs) {
    if (s.ids.length - 1 > seqLen)
      throw inputError(
        `${what}: a sequence of ${s.ids.length} tokens does not fit the training length ${seqLen}`,
        'raise the model max_seq_len or shorten the data',
      );
  }
}

/** Per-token rows in response coordinates -> trainer positions ([B][seqLen], zero elsewhere). */
export function toTrainerRows(seqs: readonly Sequence[], perToken: ArrayLike<number>, cols: number, seqLen: number): number[][] {
  return seqs.map((s, i) => {
    const row = new Array<number>(seqLen).fill(0);
    const n = responseLength(s);
    for (let k = 0; k < n && k < cols; k++) row[s.promptLen + k - 1] = perToken[i * cols + k];
    return row;
  });
}

/** The response mask in trainer positions. */
export function responseMaskRows(seqs: readonly Sequence[], seqLen: number, lossOnAll = false): number[][] {
  return seqs.map((s) => {
    const row = new Array<number>(seqLen).fill(0);
    const from = lossOnAll ? 0 : s.promptLen - 1;
    for (let j = from; j < s.ids.length - 1; j++) row[j] = 1;
    return row;
  });
}

/** Inputs and targets of a TrainBatch (floats added by the caller). */
export function tokenRows(seqs: readonly Sequence[]): Pick<TrainBatch, 'tokens' | 'targets'> {
  return { tokens: seqs.map((s) => s.ids.slice(0, -1)), targets: seqs.map((s) => s.ids.slice(1)) };
}
