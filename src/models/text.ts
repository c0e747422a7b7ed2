/**
 * Text helpers shared by every backend: stop-sequence truncation (so all backends report stops the
 * same way) and the plain rendering of chat messages for models without a chat template.
 */
import type { ChatMessage, GenerateRequest } from './types.js';
import { assertTextOnly } from './multimodal.js';

/**
 * Cuts `text` before the earliest stop sequence it contains. When two sequences start at the same
 * place the longer one wins (so "\n\n" beats "\n").
 */
export function truncateAtStop(text: string, stops: readonly string[] | undefined): { text: string; stopSequence?: string } {
  if (!stops || stops.length === 0) return { text };
  let best = -1;
  let which: string | undefined;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i < 0) continue;
    if (best < 0 || i < best || (i === best && s.length > (which?.length ?? 0))) {
      best = i;
      which = s;
    }
  }
  return best < 0 ? { text } : { text: text.slice(0, best), stopSequence: which };
}

/**
 * Chat as plain text for models without a chat template (our character-level models): the
 * message contents joined by "\n", which is the end-of-step marker of the x1 protocol, so a
 * conversation reads as a sequence of steps. Roles are not rendered: a tiny model never saw them.
 */
export function renderChatAsText(messages: readonly ChatMessage[]): string {
  assertTextOnly('this model', messages); // images are refused, never dropped (multimodal.ts)
  return messages.map((m) => m.content).join('\n');
}

/** The text a completion-only backend continues for one request. */
export function requestText(r: GenerateRequest): string {
  if (typeof r.prompt === 'string') return r.prompt;
  return renderChatAsText(r.messages ?? []);
}

/** A stable short description of a request for logs and cache keys. */
export function requestKey(r: GenerateRequest): string {
  return typeof r.prompt === 'string' ? `p:${r.prompt}` : `m:${JSON.stringify(r.messages ?? [])}`;
}
