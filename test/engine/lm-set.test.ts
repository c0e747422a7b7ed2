/**
 * `rlmkit lm train --set`: model settings by their snake_case names (as in recipes' model section),
 * camelCase accepted for compatibility, one setting in both spellings refused, errors in snake_case.
 */
import { describe, expect, it } from 'vitest';
import { parseModelSets } from '../../src/cli/commands/lm.js';

describe('lm train --set model settings', () => {
  it('reads snake_case and camelCase into the same ModelConfig fields', () => {
    const snake = parseModelSets(['d_model=16', 'n_layers=1', 'n_heads=2', 'd_ff=32', 'max_seq_len=16', 'tie_embeddings=false']);
    expect(snake).toEqual({ dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 16, tieEmbeddings: false });
    expect(parseModelSets(['dModel=16', 'nLayers=1', 'nHeads=2', 'dFF=32', 'maxSeqLen=16', 'tieEmbeddings=false'])).toEqual(snake);
  });

  it('refuses unknown names, both spellings of one setting and bad values, naming the setting in snake_case', () => {
    expect(() => parseModelSets(['depth=3'])).toThrow(/unknown model setting "depth"/);
    expect(() => parseModelSets(['d_model=16', 'dModel=32'])).toThrow(/d_model is given twice \(as d_model and as dModel\)/);
    expect(() => parseModelSets(['dModel=x'])).toThrow(/d_model must be a number/);
    expect(() => parseModelSets(['valueHead=1'])).toThrow(/value_head must be true or false/);
    try {
      parseModelSets(['depth=3']);
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/^keys: vocab_size, d_model, n_layers, n_heads, d_ff, max_seq_len,/);
    }
  });
});
