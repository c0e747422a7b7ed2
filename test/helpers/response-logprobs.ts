/**
 * The policy's log-probs of each response token laid out as the trainer sees them: row i, column
 * j holds log p(seq[j+1] | seq[..j]) for response positions (mask 1), zero elsewhere, in a B x T
 * matrix. Used by the tests that hold the tensor losses equal to their host twins.
 */
import { type LlamaModel, LogprobScorer } from '../../src/engine/index.js';
import { type Matrix, matrix } from '../../src/training/algos/index.js';

export async function responseLogprobs(
  model: LlamaModel,
  seqs: number[][],
  promptLen: number,
  T: number,
): Promise<{ logp: Matrix; mask: Matrix }> {
  const scorer = new LogprobScorer(model);
  const lp = await scorer.logprobs(
    seqs,
    seqs.map(() => promptLen),
  );
  scorer.dispose();
  const logp = matrix(seqs.length, T);
  const mask = matrix(seqs.length, T);
  // trainer position j predicts seq[j+1]; the scorer's k-th log-prob is for seq[promptLen + k]
  lp.forEach((row, i) =>
    row.forEach((x, k) => {
      const j = promptLen + k - 1;
      logp.data[i * T + j] = x;
      mask.data[i * T + j] = 1;
    }),
  );
  return { logp, mask };
}
