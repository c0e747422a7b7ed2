/** The finish-reason mapping of every server style (src/models/dialects/finish.ts), by hand. */
import { describe, expect, it } from 'vitest';
import { mapFinishReason } from '../../src/models/dialects/finish.js';

describe('mapFinishReason', () => {
  it('a stop string found in the text (client-side cut) is a stop, named', () => {
    expect(mapFinishReason({ finish: 'stop', stopReason: undefined }, ['\n'], '\n')).toEqual({ finishReason: 'stop', stopSequence: '\n' });
    // Even when the server said "length": the text holds the stop, so the server did not apply it.
    expect(mapFinishReason({ finish: 'length', stopReason: undefined }, ['###'], '###')).toEqual({
      finishReason: 'stop',
      stopSequence: '###',
    });
  });

  it('max_tokens is length (OpenAI, llama.cpp, vLLM alike)', () => {
    expect(mapFinishReason({ finish: 'length', stopReason: undefined }, undefined, undefined)).toEqual({ finishReason: 'length' });
    expect(mapFinishReason({ finish: 'length', stopReason: null }, ['\n'], undefined)).toEqual({ finishReason: 'length' });
  });

  it('vLLM / SGLang stop_reason: the stop string, a stop token id, or null for end of sequence', () => {
    expect(mapFinishReason({ finish: 'stop', stopReason: '\n\n' }, ['\n\n', 'END'], undefined)).toEqual({
      finishReason: 'stop',
      stopSequence: '\n\n',
    });
    expect(mapFinishReason({ finish: 'stop', stopReason: null }, ['\n'], undefined)).toEqual({ finishReason: 'eos' });
    expect(mapFinishReason({ finish: 'stop', stopReason: 128009 }, ['\n'], undefined)).toEqual({ finishReason: 'eos' });
    // A stop_reason string the request did not ask for is not a stop sequence of ours.
    expect(mapFinishReason({ finish: 'stop', stopReason: '<|eot_id|>' }, ['\n'], undefined)).toEqual({ finishReason: 'eos' });
  });

  it('only finish_reason "stop" (OpenAI, llama.cpp): a stop when the request had stop strings, else end of sequence', () => {
    expect(mapFinishReason({ finish: 'stop', stopReason: undefined }, ['\n'], undefined)).toEqual({
      finishReason: 'stop',
      stopSequence: '\n',
    });
    expect(mapFinishReason({ finish: 'stop', stopReason: undefined }, ['\n', 'END'], undefined)).toEqual({ finishReason: 'stop' });
    expect(mapFinishReason({ finish: 'stop', stopReason: undefined }, [], undefined)).toEqual({ finishReason: 'eos' });
    expect(mapFinishReason({ finish: 'stop', stopReason: undefined }, undefined, undefined)).toEqual({ finishReason: 'eos' });
  });

  it('an unknown or missing finish_reason without stop strings is the end of sequence', () => {
    expect(mapFinishReason({ finish: null, stopReason: undefined }, undefined, undefined)).toEqual({ finishReason: 'eos' });
    expect(mapFinishReason({ finish: 'content_filter', stopReason: undefined }, undefined, undefined)).toEqual({ finishReason: 'eos' });
  });
});
