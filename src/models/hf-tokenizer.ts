/**
 * A Hugging Face tokenizer (`tokenizer.json`, BPE as used by Llama 3, Qwen, Mistral, GPT-2...)
 * loaded from disk with @huggingface/tokenizers, to count and split the tokens of real models:
 * budgets in tokens, usage estimates, and step splitting by token for models served over HTTP.
 * Nothing is downloaded: give the file, or the model folder holding tokenizer.json and
 * tokenizer_config.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { inputError, isRlmkitError } from '../core/errors.js';
import { readInputText } from '../core/input.js';

function readJson(file: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(readInputText(file, { kind: 'json', what: what })) as Record<string, unknown>;
  } catch (e) {
    if (isRlmkitError(e)) throw e;
    throw inputError(
      `cannot read the ${what} ${file}: ${(e as Error).message}`,
      'give a Hugging Face tokenizer.json (or the model folder holding it)',
    );
  }
}

export class HfTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    /** The tokenizer.json file. */
    readonly file: string,
    /** The model type in tokenizer.json ("BPE", "Unigram", "WordPiece"...). */
    readonly modelType: string,
    private readonly addsSpecial: boolean,
  ) {}

  /** Loads tokenizer.json (a file, or a folder with tokenizer.json and maybe tokenizer_config.json). */
  static load(p: string): HfTokenizer {
    if (!fs.existsSync(p))
      throw inputError(`tokenizer ${p} does not exist`, 'give a Hugging Face tokenizer.json or the model folder holding it');
    const file = fs.statSync(p).isDirectory() ? path.join(p, 'tokenizer.json') : p;
    const json = readJson(file, 'tokenizer');
    const model = json.model as { type?: unknown; vocab?: unknown } | undefined;
    if (!model || typeof model !== 'object' || !model.vocab)
      throw inputError(
        `${file} is not a Hugging Face tokenizer.json (no model.vocab)`,
        'give the tokenizer.json saved by tokenizers / transformers',
      );
    const cfgFile = path.join(path.dirname(file), 'tokenizer_config.json');
    const config = fs.existsSync(cfgFile) ? readJson(cfgFile, 'tokenizer config') : {};
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json, config);
    } catch (e) {
      throw inputError(
        `cannot load ${file}: ${(e as Error).message}`,
        'the tokenizer uses a component @huggingface/tokenizers does not support',
      );
    }
    const type = typeof model.type === 'string' ? model.type : 'BPE';
    return new HfTokenizer(tok, file, type, json.post_processor !== null && json.post_processor !== undefined);
  }

  /** Token ids of `text` (special tokens of the post-processor, e.g. BOS, only when asked). */
  encode(text: string, o: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: o.addSpecialTokens ?? false }).ids;
  }

  /** Text of token ids. */
  decode(ids: number[], o: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.tok.decode(ids, { skip_special_tokens: o.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  countTokens(text: string): number {
    return this.encode(text).length;
  }

  /** `text` cut into the text of each of its tokens (concatenated, they give `text` back). */
  split(text: string): string[] {
    const ids = this.encode(text);
    const out: string[] = [];
    let done = '';
    // Decoding prefixes keeps multi-byte characters whole: a token that ends inside a character
    // gives "" and the character goes to the token that completes it.
    for (let i = 0; i < ids.length; i++) {
      const upto = this.decode(ids.slice(0, i + 1));
      if (upto.endsWith('\uFFFD') && i + 1 < ids.length) {
        out.push('');
        continue;
      }
      out.push(upto.slice(done.length));
      done = upto;
    }
    return out;
  }

  /** The id of a token string (e.g. "<|im_end|>"), or undefined. */
  tokenId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  /** Whether the tokenizer adds special tokens (BOS...) around encoded text when asked. */
  get hasPostProcessor(): boolean {
    return this.addsSpecial;
  }
}
