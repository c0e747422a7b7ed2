/**
 * Tokenizers. Every rlmkit tokenizer reserves the same special ids: `<pad>`=0, `<bos>`=1,
 * `<eos>`=2 and `<eos_step>`=3 (end of an intermediate reasoning step, the x1 protocol). The
 * newline is not a normal token: "\n" encodes to `<eos_step>` and `<eos_step>` decodes to "\n", so a
 * step never contains a newline and `stop: ["\n"]` means "end of step". `<eos>` decodes to "".
 *
 * `Tokenizer` is the interface the rest of rlmkit uses; `CharTokenizer` implements it, and a BPE
 * tokenizer (e.g. from a Hugging Face tokenizer.json) can implement it later with its own `spec`.
 */
import { inputError, usageError } from '../core/errors.js';

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const EOS_STEP = 3;
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<eos_step>'] as const;

/** JSON-serialisable description from which `tokenizerFromSpec` rebuilds a tokenizer. */
export type TokenizerSpec = { type: 'char'; chars: string[] } | { type: string; [key: string]: unknown };

export interface EncodeOptions {
  /** Prepend `<bos>` (default false). */
  bos?: boolean;
  /** Append `<eos>` (default false). */
  eos?: boolean;
  /** Fail when the result is longer than this many tokens (e.g. the model context). */
  maxLength?: number;
}

export interface Tokenizer {
  /** Number of ids (specials included); a model's vocabSize must be at least this. */
  readonly vocabSize: number;
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;
  readonly eosStep: number;
  /** Text to ids; throws an input error naming the first character it cannot encode. */
  encode(text: string, o?: EncodeOptions): number[];
  /** Ids to text; `<eos_step>` -> "\n", `<eos>`/`<pad>`/`<bos>` -> ""; throws on unknown ids. */
  decode(ids: number[]): string;
  /** The string for one id ("<eos>" etc. for specials), for display. */
  tokenName(id: number): string;
  /** The JSON-serialisable spec stored in checkpoints. */
  spec(): TokenizerSpec;
}

/** One id per character (Unicode code point), after the four specials. */
export class CharTokenizer implements Tokenizer {
  readonly pad = PAD;
  readonly bos = BOS;
  readonly eos = EOS;
  readonly eosStep = EOS_STEP;
  private readonly chars: string[];
  private readonly index = new Map<string, number>();

  constructor(chars: Iterable<string>) {
    this.chars = [];
    for (const c of chars) {
      if ([...c].length !== 1) throw usageError(`character tokenizer: "${c}" is not a single character`);
      if (c === '\n') continue; // newline is <eos_step>
      if (this.index.has(c)) continue;
      this.index.set(c, SPECIAL_TOKENS.length + this.chars.length);
      this.chars.push(c);
    }
  }

  /** The sorted set of characters in `texts` (newlines excluded: they map to <eos_step>). */
  static fromTexts(texts: Iterable<string>): CharTokenizer {
    const set = new Set<string>();
    for (const t of texts) for (const c of t) if (c !== '\n') set.add(c);
    return new CharTokenizer([...set].sort());
  }

  get vocabSize(): number {
    return SPECIAL_TOKENS.length + this.chars.length;
  }

  encode(text: string, o: EncodeOptions = {}): number[] {
    const ids: number[] = o.bos ? [BOS] : [];
    let col = 0;
    for (const c of text) {
      if (c === '\n') ids.push(EOS_STEP);
      else {
        const id = this.index.get(c);
        if (id === undefined) {
          const shown = JSON.stringify(c);
          throw inputError(
            `character ${shown} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at position ${col} is not in the tokenizer's vocabulary`,
            'remove it from the text, or train a model whose data contains it',
          );
        }
        ids.push(id);
      }
      col++;
    }
    if (o.eos) ids.push(EOS);
    if (o.maxLength !== undefined && ids.length > o.maxLength) {
      throw inputError(
        `text is ${ids.length} tokens long, more than the limit of ${o.maxLength}`,
        'shorten the text or use a model with a longer context',
      );
    }
    return ids;
  }

  decode(ids: number[]): string {
    let out = '';
    for (const id of ids) {
      if (id === EOS_STEP) out += '\n';
      else if (id === PAD || id === BOS || id === EOS) continue;
      else out += this.charOf(id);
    }
    return out;
  }

  tokenName(id: number): string {
    if (id >= 0 && id < SPECIAL_TOKENS.length) return SPECIAL_TOKENS[id];
    return this.charOf(id);
  }

  spec(): TokenizerSpec {
    return { type: 'char', chars: [...this.chars] };
  }

  private charOf(id: number): string {
    const c = Number.isInteger(id) ? this.chars[id - SPECIAL_TOKENS.length] : undefined;
    if (c === undefined)
      throw inputError(
        `token id ${id} is not in the tokenizer's vocabulary (0..${this.vocabSize - 1})`,
        'decode with the tokenizer the model was trained with',
      );
    return c;
  }
}

/** Rebuilds a tokenizer from its spec (e.g. from checkpoint metadata). */
export function tokenizerFromSpec(spec: unknown): Tokenizer {
  const s = spec as TokenizerSpec | undefined;
  if (s && s.type === 'char' && Array.isArray(s.chars) && s.chars.every((c) => typeof c === 'string'))
    return new CharTokenizer(s.chars as string[]);
  const type = s && typeof s === 'object' ? JSON.stringify((s as { type?: unknown }).type) : JSON.stringify(s);
  throw inputError(
    `unsupported tokenizer spec (type ${type})`,
    'this rlmkit build reads character tokenizers ({"type": "char", "chars": [...]})',
  );
}
