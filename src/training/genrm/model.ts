/**
 * The judge's starting model: the policy's weights (RM-R1 starts its reward models from an
 * instruction-tuned LLM; here the Game of 24 policy, which already reads the puzzles and does the
 * arithmetic), with the characters the critique protocol needs added to the vocabulary (new
 * embedding and output rows, small random values; old ids unchanged) and a longer context (RoPE
 * has no learnt positions, so only the rotary tables grow).
 */
import { Rng } from '../../core/index.js';
import { CharTokenizer, type HostWeights, type TokenizerSpec } from '../../engine/index.js';
import { GENRM_EXTRA_CHARS } from '../../rewards/genrm/index.js';
import type { LoadedModel } from '../models.js';

export function judgeStartModel(policy: LoadedModel, maxSeqLen: number, seed: number): LoadedModel {
  const spec = policy.tokenizer.spec() as TokenizerSpec;
  if (spec.type !== 'char') throw new Error('the generative judge starts from a character-level policy');
  const chars = [...(spec.chars as string[])];
  const added = GENRM_EXTRA_CHARS.filter((c) => !chars.includes(c));
  const tokenizer = new CharTokenizer([...chars, ...added]);
  const config = { ...policy.config, vocabSize: tokenizer.vocabSize, maxSeqLen: Math.max(maxSeqLen, policy.config.maxSeqLen) };
  const rng = new Rng(seed).fork('genrm.init');
  const weights: HostWeights = new Map(policy.weights);
  const grow = (name: string): void => {
    const w = weights.get(name);
    if (!w) return;
    const [rows, d] = w.shape;
    const extra = config.vocabSize - rows;
    if (extra <= 0) return;
    const data = new Float32Array((rows + extra) * d);
    data.set(w.data);
    for (let i = rows * d; i < data.length; i++) data[i] = rng.normal(0, 0.02);
    weights.set(name, { shape: [rows + extra, d], data });
  };
  grow('tok_embeddings.weight');
  grow('output.weight');
  return { config, tokenizer, weights, source: `${policy.source} (judge: +${added.length} characters, context ${config.maxSeqLen})` };
}
