/**
 * Multimodal chat messages: image parts pass unchanged to backends that take them (OpenAI-compatible
 * vision-language servers: vLLM, SGLang, llama.cpp server with a projector, hosted APIs), and are
 * refused with one clear message by text-only models, never silently dropped.
 *
 * A `ChatMessage` keeps `content` as its text (text parts joined), so every text-only path reads it
 * as before; `parts` holds the content parts as the client sent them, images included:
 *
 * - `{ "type": "text", "text": "..." }`
 * - `{ "type": "image_url", "image_url": { "url": "https://... | data:image/png;base64,...", "detail"?: ... } }`
 *   (Chat Completions)
 * - `{ "type": "input_image", "image_url": "https://... | data:image/...;base64,...", "detail"?: ... }`
 *   (the Responses API's form, which some OpenAI-compatible servers also take in chat)
 *
 * On the wire (`toWireMessage`) a message with parts sends `content: parts` unchanged; one without
 * sends its string. Parts are checked for shape only (`checkContentParts`): a URL must be http(s)
 * or a `data:image/...` URL; rlmkit never fetches or decodes the image.
 */
import { usageError } from '../core/errors.js';
import type { ChatContentPart, ChatMessage } from './types.js';

const IMAGE_TYPES = new Set(['image_url', 'input_image']);

export function isImagePart(p: ChatContentPart): boolean {
  return IMAGE_TYPES.has(p.type);
}

/** Number of image parts in a conversation. */
export function countImages(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages) for (const p of m.parts ?? []) if (isImagePart(p)) n++;
  return n;
}

/** The URL of an image part (either form). */
export function imageUrlOf(p: ChatContentPart): string | undefined {
  if (p.type === 'image_url') return p.image_url?.url;
  if (p.type === 'input_image') return typeof p.image_url === 'string' ? p.image_url : p.image_url?.url;
  return undefined;
}

/** The error text-only backends give for a conversation with images. */
export function imagesRefused(model: string, messages: readonly ChatMessage[]): Error {
  const n = countImages(messages);
  return usageError(
    `${model} reads text only, and the messages hold ${n} image part${n === 1 ? '' : 's'} (image_url / input_image)`,
    'send images to a vision-language model behind an OpenAI-compatible server (--model http://host:port/v1#<model>), or remove the image parts',
  );
}

/** Throws `imagesRefused` when a conversation holds images (called where messages become text). */
export function assertTextOnly(model: string, messages: readonly ChatMessage[]): void {
  if (countImages(messages) > 0) throw imagesRefused(model, messages);
}

/** Checks the shape of content parts; returns a message naming the first bad part, or null. */
export function checkContentParts(parts: readonly unknown[]): string | null {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as Record<string, unknown> | null;
    if (!p || typeof p !== 'object') return `part ${i} is not an object`;
    if (p.type === 'text') {
      if (typeof p.text !== 'string') return `part ${i}: a text part needs "text" (a string)`;
      continue;
    }
    if (!IMAGE_TYPES.has(p.type as string)) return `part ${i}: unknown type "${String(p.type)}"; use text, image_url or input_image`;
    const url = imageUrlOf(p as ChatContentPart);
    if (typeof url !== 'string' || url.length === 0)
      return p.type === 'image_url'
        ? `part ${i}: an image_url part needs "image_url": {"url": "..."}`
        : `part ${i}: an input_image part needs "image_url": "..."`;
    if (!/^https?:\/\//i.test(url) && !/^data:image\/[a-z0-9.+-]+;base64,/i.test(url))
      return `part ${i}: an image URL must be http(s) or data:image/...;base64,... (got "${url.slice(0, 40)}")`;
  }
  return null;
}

/** A message built from OpenAI content (a string or parts): text joined into `content`, parts kept when any is an image. */
export function messageFromContent(
  role: ChatMessage['role'],
  content: string | readonly ChatContentPart[] | null | undefined,
): ChatMessage {
  if (content === null || content === undefined) return { role, content: '' };
  if (typeof content === 'string') return { role, content };
  const text = content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  return content.some(isImagePart) ? { role, content: text, parts: [...content] } : { role, content: text };
}

/** What goes on the wire to an OpenAI-compatible chat endpoint: role and content (the parts, unchanged, when present). */
export function toWireMessage(m: ChatMessage): { role: string; content: string | ChatContentPart[] } {
  return { role: m.role, content: m.parts ? m.parts : m.content };
}
