import { describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/errors.js';
import { BOS, CharTokenizer, EOS, EOS_STEP, PAD, tokenizerFromSpec } from '../../src/engine/tokenizer.js';

describe('CharTokenizer', () => {
  const tok = CharTokenizer.fromTexts(['4 4 6 8|4+8=12 (4 6 12)\n6-4=2', 'xyz']);

  it('reserves pad, bos, eos, eos_step and maps newline to eos_step', () => {
    expect([PAD, BOS, EOS, EOS_STEP]).toEqual([0, 1, 2, 3]);
    const ids = tok.encode('4+8\n12', { bos: true, eos: true });
    expect(ids[0]).toBe(BOS);
    expect(ids[ids.length - 1]).toBe(EOS);
    expect(ids[4]).toBe(EOS_STEP);
    expect(ids.slice(1, -1).every((i) => i >= 3)).toBe(true);
    expect(tok.decode(ids)).toBe('4+8\n12');
    expect(tok.decode([EOS])).toBe('');
    expect(tok.tokenName(EOS_STEP)).toBe('<eos_step>');
  });

  it('round-trips any text over its characters and through its JSON spec', () => {
    const text = '12-2=24 (24)\nxyz|';
    const again = tokenizerFromSpec(JSON.parse(JSON.stringify(tok.spec())));
    expect(again.vocabSize).toBe(tok.vocabSize);
    expect(again.encode(text)).toEqual(tok.encode(text));
    expect(again.decode(tok.encode(text))).toBe(text);
  });

  it('names an out-of-vocabulary character or id and an over-long text', () => {
    const check = (fn: () => unknown, re: RegExp) => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(isRlmkitError(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(re);
    };
    check(() => tok.encode('4+Q'), /character "Q" \(U\+0051\) at position 2 is not in the tokenizer's vocabulary/);
    check(() => tok.decode([999]), /token id 999 is not in the tokenizer's vocabulary/);
    check(() => tok.encode('4444444444', { maxLength: 8 }), /10 tokens long, more than the limit of 8/);
    check(() => tokenizerFromSpec({ type: 'bpe' }), /unsupported tokenizer spec/);
  });
});
