/**
 * Chat templates: the Jinja program a chat model ships (Hugging Face `tokenizer_config.json`
 * `chat_template`, or GGUF `tokenizer.chat_template`) rendered with @huggingface/jinja, the Jinja
 * implementation written for chat templates. With it, rlmkit builds the exact prompt a chat model
 * expects and sends it to a completions endpoint: step-level search over a chat model then needs
 * no server support for continuing an assistant message.
 *
 * Rendering follows transformers' `apply_chat_template` (the reference every server copies):
 * - variables `messages`, `add_generation_prompt`, `bos_token`, `eos_token` (+ the other special
 *   tokens the config names); `raise_exception(msg)` is built into @huggingface/jinja;
 * - `continueFinalMessage`: the conversation is rendered without a generation prompt and cut right
 *   after the final message's content, so the model continues that message instead of starting
 *   a new turn (the template's end-of-turn marker is dropped). Templates that trim contents get
 *   the content as trimmed.
 *
 * A template that renders every conversation as the plain join of its contents (the one rlmkit
 * writes into GGUF exports) is a "plain" template: the model reads chat as plain text, so rlmkit
 * prompts it in plain style (`isPlainTemplate`).
 */
import * as fs from 'node:fs';
import { Template } from '@huggingface/jinja';
import { inputError, isRlmkitError } from '../core/errors.js';
import { readInputText } from '../core/input.js';
import { readGgufHeader } from './gguf-read.js';
import { renderChatAsText } from './text.js';
import type { ChatMessage } from './types.js';
import { assertTextOnly } from './multimodal.js';

export interface RenderOptions {
  /** Append the template's assistant-turn header (default: true unless continuing). */
  addGenerationPrompt?: boolean;
  /** Cut after the final (assistant) message's content so the model continues it. */
  continueFinalMessage?: boolean;
}

export interface ChatTemplateSource {
  template: string;
  /** Special token texts the template may use: bos_token, eos_token, pad_token, unk_token... */
  specialTokens?: Record<string, string>;
  /** Where the template came from, for messages. */
  origin?: string;
}

export class ChatTemplate {
  readonly source: string;
  readonly origin: string;
  private readonly program: Template;
  private readonly specials: Record<string, string>;

  constructor(src: ChatTemplateSource) {
    this.source = src.template;
    this.origin = src.origin ?? 'chat template';
    this.specials = { ...(src.specialTokens ?? {}) };
    try {
      this.program = new Template(src.template);
    } catch (e) {
      throw inputError(
        `${this.origin}: the chat template does not parse: ${(e as Error).message}`,
        'check the template (Jinja syntax as in Hugging Face chat templates)',
      );
    }
  }

  /** The prompt text for `messages`. */
  render(messages: readonly ChatMessage[], o: RenderOptions = {}): string {
    assertTextOnly(`the chat template ${this.origin}`, messages); // rendered text cannot carry images
    const cont = o.continueFinalMessage === true;
    if (cont && messages[messages.length - 1]?.role !== 'assistant')
      throw inputError(
        'continuing the final message needs a conversation that ends with an assistant message',
        'append the partial assistant message, or render with a generation prompt',
      );
    const addGen = cont ? false : (o.addGenerationPrompt ?? true);
    let text: string;
    try {
      text = this.program.render({
        ...this.specials,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: addGen,
      });
    } catch (e) {
      throw inputError(
        `${this.origin}: rendering the chat template failed: ${(e as Error).message}`,
        'the template rejects this conversation (e.g. roles in an order it does not allow)',
      );
    }
    if (!cont) return text;
    return cutAfterFinalMessage(text, messages[messages.length - 1].content, this.origin);
  }

  /**
   * Whether the template renders conversations as the plain join of their contents (rlmkit's
   * exports). Checked on probe conversations with and without a system message and a partial
   * assistant turn.
   */
  isPlain(): boolean {
    const probes: ChatMessage[][] = [
      [{ role: 'user', content: 'q1' }],
      [
        { role: 'system', content: 's1' },
        { role: 'user', content: 'q2' },
      ],
      [
        { role: 'user', content: 'q3' },
        { role: 'assistant', content: 'a3' },
      ],
    ];
    // A leading BOS is tokenizer business (the plain prompt gets it too when the model wants one).
    const bos = this.specials.bos_token;
    const strip = (t: string) => (bos && t.startsWith(bos) ? t.slice(bos.length) : t);
    try {
      return probes.every(
        (m) => strip(this.render(m, { addGenerationPrompt: m[m.length - 1].role !== 'assistant' })) === renderChatAsText(m),
      );
    } catch {
      return false;
    }
  }
}

/** transformers' continue_final_message cut: right after the final content's last occurrence. */
function cutAfterFinalMessage(rendered: string, content: string, origin: string): string {
  const core = content.trim();
  if (core === '') return rendered.replace(/\s+$/, '');
  const at = rendered.lastIndexOf(core);
  if (at < 0)
    throw inputError(
      `${origin}: the final message does not appear in the rendered conversation, so it cannot be continued`,
      'the template rewrites message contents; use the plain prompt style',
    );
  const lead = content.length - content.trimStart().length;
  const whole = content.slice(lead);
  // The template kept the content as given (trailing whitespace included): cut after all of it.
  if (rendered.startsWith(whole, at)) return rendered.slice(0, at + whole.length);
  return rendered.slice(0, at + core.length);
}

/** The chat template of a Hugging Face model folder or tokenizer_config.json file. */
export function loadTokenizerConfigTemplate(file: string, name = 'default'): ChatTemplate {
  const path = fs.existsSync(file) && fs.statSync(file).isDirectory() ? `${file}/tokenizer_config.json` : file;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readInputText(path, { kind: 'json', what: 'tokenizer config' })) as Record<string, unknown>;
  } catch (e) {
    if (isRlmkitError(e)) throw e;
    throw inputError(`cannot read ${path}: ${(e as Error).message}`, 'give a tokenizer_config.json (or the model folder holding it)');
  }
  let template = cfg.chat_template;
  if (Array.isArray(template)) {
    // Newer configs list named templates: [{name: "default", template: "..."}, {name: "tool_use", ...}].
    const hit = (template as { name?: string; template?: string }[]).find((t) => t.name === name);
    template = hit?.template;
  }
  if (typeof template !== 'string') {
    // transformers >= 4.43 may keep it beside the config.
    const jinja = path.replace(/tokenizer_config\.json$/, 'chat_template.jinja');
    if (jinja !== path && fs.existsSync(jinja)) template = readInputText(jinja, { kind: 'json', what: 'chat template' });
  }
  if (typeof template !== 'string')
    throw inputError(
      `${path} has no chat template${name !== 'default' ? ` named "${name}"` : ''}`,
      'the model is not a chat model: use the plain prompt style',
    );
  const specialTokens: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token']) {
    const v = cfg[key];
    const text =
      typeof v === 'string'
        ? v
        : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
          ? (v as { content: string }).content
          : undefined;
    if (text !== undefined) specialTokens[key] = text;
  }
  return new ChatTemplate({ template, specialTokens, origin: path });
}

/** The chat template stored in GGUF metadata (null when the file has none). */
export function ggufChatTemplate(metadata: Record<string, unknown>, origin = 'GGUF'): ChatTemplate | null {
  const template = metadata['tokenizer.chat_template'];
  if (typeof template !== 'string') return null;
  const tokens = metadata['tokenizer.ggml.tokens'];
  const specialTokens: Record<string, string> = {};
  const text = (key: string) => {
    const id = metadata[key];
    return Array.isArray(tokens) && typeof id === 'number' && typeof tokens[id] === 'string' ? (tokens[id] as string) : undefined;
  };
  for (const [k, key] of [
    ['bos_token', 'tokenizer.ggml.bos_token_id'],
    ['eos_token', 'tokenizer.ggml.eos_token_id'],
    ['pad_token', 'tokenizer.ggml.padding_token_id'],
    ['unk_token', 'tokenizer.ggml.unknown_token_id'],
  ] as const) {
    const t = text(key);
    if (t !== undefined) specialTokens[k] = t;
  }
  return new ChatTemplate({ template, specialTokens, origin });
}

/** A chat template from a tokenizer_config.json (or its folder), a .gguf file or a raw .jinja file. */
export function loadChatTemplate(file: string): ChatTemplate {
  if (!fs.existsSync(file))
    throw inputError(
      `chat template source ${file} does not exist`,
      'give a tokenizer_config.json, a model folder, a .gguf or a .jinja file',
    );
  if (/\.gguf$/i.test(file)) {
    const t = ggufChatTemplate(readGgufHeader(file).metadata, file);
    if (!t)
      throw inputError(
        `${file} has no chat template (tokenizer.chat_template)`,
        'the model is not a chat model: use the plain prompt style',
      );
    return t;
  }
  if (/\.jinja$/i.test(file))
    return new ChatTemplate({ template: readInputText(file, { kind: 'json', what: 'chat template' }), origin: file });
  return loadTokenizerConfigTemplate(file);
}
