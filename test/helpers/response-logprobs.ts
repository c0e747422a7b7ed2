/**
 * The policy's log-probs of each response token laid out as the trainer sees them: row i, column
 * j holds log p(seq[j+1] | seq[..j]) for response positions (mask 1), zero elsewhere, in a B x T
 * matrix. Used by the tests that hold the tensor losses equal to their host twins.
 */
import { Rng } from '../../src/core/index.js';
import { LlamaModel, LogprobScorer, initEngine, validateModelConfig } from '../../src/engine/index.js';
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

/**
 * The fixture of the tensor-vs-host policy-loss tests: three fixed sequences (B = 3, T = 10) under a
 * tiny random model, its response log-probs (`load`, in `beforeAll`), rows laid out for a
 * TrainBatch (`rowsOf`) and noisy copies of the log-probs as behaviour or proximal policies (`noisy`).
 */
export function lossFixture(o: { modelSeed: number; rngSeed: number; promptLen: number }) {
  const cfg = validateModelConfig({ vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 16 });
  const seqs = [
    [1, 5, 6, 7, 8, 9, 2],
    [1, 4, 4, 10, 11, 5, 6, 7, 8, 2],
    [1, 6, 7, 5, 2],
  ];
  const B = seqs.length;
  const T = 10;
  const rng = new Rng(o.rngSeed);
  let logp = matrix(B, T);
  let mask = matrix(B, T);
  return {
    cfg,
    seqs,
    B,
    T,
    rng,
    async load(): Promise<{ model: LlamaModel; logp: Matrix; mask: Matrix }> {
      await initEngine();
      const model = LlamaModel.init(cfg, o.modelSeed);
      ({ logp, mask } = await responseLogprobs(model, seqs, o.promptLen, T));
      return { model, logp, mask };
    },
    rowsOf(m: Matrix | Float32Array): number[][] {
      const d = m instanceof Float32Array ? m : m.data;
      return Array.from({ length: B }, (_, i) => Array.from(d.slice(i * T, (i + 1) * T)));
    },
    noisy(scale: number): Matrix {
      return matrix(
        B,
        T,
        logp.data.map((x, k) => (mask.data[k] ? x + scale * (rng.next() * 2 - 1) : 0)),
      );
    },
  };
}
