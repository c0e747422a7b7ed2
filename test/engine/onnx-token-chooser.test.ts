/** The allocation-free token chooser of the ONNX sampler makes exactly the choices of ../choose.ts. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { chooseToken } from '../../src/engine/choose.js';
import { TokenChooser } from '../../src/engine/onnx/token-chooser.js';
import type { SampleOptions } from '../../src/engine/sampler-types.js';

describe('TokenChooser', () => {
  it('matches chooseToken bit for bit over random logits and options', () => {
    const gen = new Rng(99);
    for (let trial = 0; trial < 400; trial++) {
      const V = gen.int(2, 70);
      const chooser = new TokenChooser(V);
      const logits = new Float32Array(V + 5).map(() => gen.normal(0, gen.pick([0.1, 1, 4])));
      // ties and duplicates exercise the sort order
      if (trial % 5 === 0) logits[3 % V] = logits[1 % V];
      const offset = gen.int(0, 5);
      const o: SampleOptions = {
        maxNewTokens: 1,
        temperature: gen.pick([0, 0.5, 1, 1.7]),
        topK: gen.pick([undefined, 0, 1, 3, 100]),
        topP: gen.pick([undefined, 1, 0.9, 0.3, 1e-9]),
      };
      const seed = gen.int(0, 1000);
      const a = chooseToken(logits.subarray(offset, offset + V), o, new Rng(seed));
      const rng = new Rng(seed);
      const b = chooser.choose(logits, offset, o, rng);
      expect(b, JSON.stringify({ trial, o })).toEqual(a);
      // same random-number consumption: the next draw agrees too
      const ref = new Rng(seed);
      chooseToken(logits.subarray(offset, offset + V), o, ref);
      expect(rng.next()).toBe(ref.next());
    }
  });
});
