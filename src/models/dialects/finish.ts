/**
 * Why a choice ended, from what an OpenAI-compatible server said. Servers report it differently:
 * OpenAI and llama.cpp give only `finish_reason` ("stop" for both a stop string and the end of
 * sequence, "length" at max_tokens); vLLM and SGLang add `stop_reason` (the stop string, a stop
 * token id, or null for end of sequence); llama-server adds `stopping_word`. rlmkit's contract
 * (src/models/types.ts) tells the three apart: 'stop' (a stop string ended it, named in
 * `stopSequence`), 'eos' (the model ended it) and 'length'.
 */
import type { FinishReason } from '../types.js';
import type { ParsedChoice } from './parse.js';

export interface FinishMapping {
  finishReason: FinishReason;
  /** The stop string that ended the choice, when one did and it is known. */
  stopSequence?: string;
}

/**
 * Maps a parsed choice to rlmkit's finish reason.
 * @param choice what the server said (`finish`, `stopReason`)
 * @param stop the request's stop strings
 * @param cutAt the stop string rlmkit found in the text itself (client-side cut), if any
 */
export function mapFinishReason(
  choice: Pick<ParsedChoice, 'finish' | 'stopReason'>,
  stop: readonly string[] | undefined,
  cutAt: string | undefined,
): FinishMapping {
  // A stop string present in the returned text wins: the server did not apply it, rlmkit did.
  if (cutAt !== undefined) return { finishReason: 'stop', stopSequence: cutAt };
  if (choice.finish === 'length') return { finishReason: 'length' };
  // vLLM / SGLang / llama-server name the stop string that ended the choice.
  if (typeof choice.stopReason === 'string' && stop?.includes(choice.stopReason))
    return { finishReason: 'stop', stopSequence: choice.stopReason };
  // They say null (end of sequence) or a stop token id: the model ended it.
  if (choice.stopReason !== undefined) return { finishReason: 'eos' };
  // Only "stop" was said: with stop strings in the request it is taken as one of them (named when
  // there is just one), without any it can only be the end of sequence.
  if (stop && stop.length > 0 && choice.finish === 'stop')
    return stop.length === 1 ? { finishReason: 'stop', stopSequence: stop[0] } : { finishReason: 'stop' };
  return { finishReason: 'eos' };
}
