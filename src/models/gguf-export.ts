/**
 * Writes an embedded rlmkit model as a llama-architecture GGUF v3 file, so it runs in llama.cpp,
 * Ollama and node-llama-cpp unchanged. Format (ggml's docs/gguf.md):
 *
 *   header   : magic "GGUF", version u32 = 3, tensor count u64, metadata KV count u64
 *   metadata : key (u64 length + UTF-8), value type u32, value
 *   tensors  : name, n_dims u32, dims u64[] (fastest-varying first), ggml type u32, offset u64
 *   padding to `general.alignment` (32), then the tensor data, each tensor aligned to 32 bytes.
 *
 * Weights: our linear weights are stored [out, in] row-major (PyTorch layout, y = x W^T), which is
 * exactly ggml's [ne0 = in, ne1 = out]; no transpose is needed. RoPE is on adjacent pairs, which is
 * llama.cpp's "normal" rope for the llama architecture, so q/k need no permutation (the HF
 * converter permutes only because HF uses the half-split form).
 *
 * Tokenizer: a character vocabulary maps onto llama.cpp's byte-level BPE ("gpt2") model, one token
 * per character, its text in GPT-2's byte alphabet, merges only inside multi-byte characters (see
 * `ggufVocabulary`). `<pad>`, `<bos>` and `<eos>` are control tokens; `<eos_step>` is the newline.
 * Text with characters outside the vocabulary loses them in llama.cpp's tokenizer (it skips bytes
 * it has no token for) instead of aborting; the GGUF backend refuses such prompts by name.
 *
 * Chat: `tokenizer.chat_template` is PLAIN_CHAT_TEMPLATE (messages joined by "\n", as our models
 * read them), so llama-server, llama-cpp-python, node-llama-cpp and Ollama can all chat with it.
 */
import { inputError, usageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs.js';
import type { ModelConfig } from '../engine/config.js';
import type { HostWeights } from '../engine/sampler-types.js';
import type { Tokenizer } from '../engine/tokenizer.js';
import { byteLevelChars } from './byte-level.js';

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const GGUF_VERSION = 3;
const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;

const enum T {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

/** llama.cpp token types (llama_token_type). */
const TOKEN_NORMAL = 1;
const TOKEN_CONTROL = 3;
const TOKEN_UNUSED = 5;

type KvValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string }
  | { type: 'str[]'; value: string[] }
  | { type: 'f32[]'; value: number[] }
  | { type: 'i32[]'; value: number[] };

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v | 0, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeKv(w: ByteWriter, key: string, v: KvValue): void {
  w.str(key);
  switch (v.type) {
    case 'u32':
      w.u32(T.UINT32);
      w.u32(v.value);
      break;
    case 'i32':
      w.u32(T.INT32);
      w.i32(v.value);
      break;
    case 'f32':
      w.u32(T.FLOAT32);
      w.f32(v.value);
      break;
    case 'bool':
      w.u32(T.BOOL);
      w.u8(v.value ? 1 : 0);
      break;
    case 'str':
      w.u32(T.STRING);
      w.str(v.value);
      break;
    case 'str[]':
      w.u32(T.ARRAY);
      w.u32(T.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      break;
    case 'f32[]':
      w.u32(T.ARRAY);
      w.u32(T.FLOAT32);
      w.u64(v.value.length);
      for (const x of v.value) w.f32(x);
      break;
    case 'i32[]':
      w.u32(T.ARRAY);
      w.u32(T.INT32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      break;
  }
}

/** Our weight names -> llama.cpp tensor names. */
export function ggufTensorName(name: string): string {
  const fixed: Record<string, string> = {
    'tok_embeddings.weight': 'token_embd.weight',
    'norm.weight': 'output_norm.weight',
    'output.weight': 'output.weight',
  };
  if (fixed[name]) return fixed[name];
  const m = /^layers\.(\d+)\.(.+)$/.exec(name);
  const per: Record<string, string> = {
    'attention_norm.weight': 'attn_norm.weight',
    'attention.wq.weight': 'attn_q.weight',
    'attention.wk.weight': 'attn_k.weight',
    'attention.wv.weight': 'attn_v.weight',
    'attention.wo.weight': 'attn_output.weight',
    'ffn_norm.weight': 'ffn_norm.weight',
    'feed_forward.w1.weight': 'ffn_gate.weight',
    'feed_forward.w3.weight': 'ffn_up.weight',
    'feed_forward.w2.weight': 'ffn_down.weight',
  };
  if (m && per[m[2]]) return `blk.${m[1]}.${per[m[2]]}`;
  throw inputError(`weight "${name}" has no llama.cpp equivalent`, 'only policy weights export to GGUF (a value head cannot)');
}

/**
 * The chat template written into exports: the message contents joined by "\n", exactly
 * `renderChatAsText` (src/models/text.ts). Our models were trained on plain text, so a chat
 * request must reach them as the same text a plain request would; roles are not rendered and the
 * generation prompt adds nothing, which also makes "continue the final assistant message" the
 * natural reading of a conversation that ends with one. Backends that compare a model's template
 * with the plain join (src/models/chat-template.ts) therefore see a plain-text model.
 */
export const PLAIN_CHAT_TEMPLATE =
  "{% for message in messages %}{% if not loop.first %}{{ '\\n' }}{% endif %}{{ message['content'] }}{% endfor %}";

/**
 * The vocabulary of a character tokenizer as llama.cpp's byte-level BPE ("gpt2") model, padded to
 * the model's vocabSize. Each character is one token whose text is its UTF-8 bytes in GPT-2's
 * byte alphabet (src/models/byte-level.ts): the space is "Ġ", `<eos_step>` is the newline "Ċ".
 * Characters of more than one byte come with merges that join their bytes back into the one
 * token, so every tokenizer maps exactly, whatever its characters are (no letters, no space,
 * emoji...).
 *
 * Why not SentencePiece ("llama"), which earlier exports used: when text holds a character the
 * vocabulary lacks, llama.cpp's SPM tokenizer falls back to byte tokens `<0xXX>` and aborts the
 * process (std::out_of_range) when they are missing; a character vocabulary has no room for 256
 * byte tokens, and node-llama-cpp tokenizes text of its own (letters) while loading a model. The
 * BPE tokenizer skips bytes it has no token for instead.
 */
export function ggufVocabulary(tokenizer: Tokenizer, vocabSize: number): { tokens: string[]; types: number[]; merges: string[] } {
  if (tokenizer.vocabSize > vocabSize)
    throw inputError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${vocabSize}`,
      'use the tokenizer stored with the checkpoint',
    );
  const tokens: string[] = [];
  const types: number[] = [];
  const merges: string[] = [];
  const seenMerges = new Set<string>();
  for (let id = 0; id < vocabSize; id++) {
    if (id === tokenizer.pad || id === tokenizer.bos || id === tokenizer.eos) {
      tokens.push(tokenizer.tokenName(id));
      types.push(TOKEN_CONTROL);
    } else if (id < tokenizer.vocabSize) {
      // <eos_step> decodes to "\n".
      const ch = id === tokenizer.eosStep ? '\n' : tokenizer.decode([id]);
      const bytes = byteLevelChars(ch);
      for (let k = 1; k < bytes.length; k++) {
        const merge = `${bytes.slice(0, k).join('')} ${bytes[k]}`;
        if (!seenMerges.has(merge)) {
          seenMerges.add(merge);
          merges.push(merge);
        }
      }
      tokens.push(bytes.join(''));
      types.push(TOKEN_NORMAL);
    } else {
      tokens.push(`<unused${id}>`);
      types.push(TOKEN_UNUSED);
    }
  }
  if (new Set(tokens).size !== tokens.length)
    throw inputError('two tokens of the vocabulary have the same text', 'GGUF needs distinct token texts');
  return { tokens, types, merges };
}

export interface GgufExportOptions {
  name?: string;
  /** Whether llama.cpp should prepend <bos> when it tokenizes text (default false, as rlmkit prompts). */
  addBos?: boolean;
  /** Jinja chat template stored as `tokenizer.chat_template` (default PLAIN_CHAT_TEMPLATE). */
  chatTemplate?: string;
}

/** Encodes the model as GGUF bytes. */
export function encodeGguf(config: ModelConfig, weights: HostWeights, tokenizer: Tokenizer, o: GgufExportOptions = {}): Buffer {
  const headDim = config.dModel / config.nHeads;
  const vocab = ggufVocabulary(tokenizer, config.vocabSize);
  const kv: [string, KvValue][] = [
    ['general.architecture', { type: 'str', value: 'llama' }],
    ['general.name', { type: 'str', value: o.name ?? 'rlmkit' }],
    ['general.alignment', { type: 'u32', value: ALIGNMENT }],
    ['general.file_type', { type: 'u32', value: 0 }], // all F32
    ['llama.vocab_size', { type: 'u32', value: config.vocabSize }],
    ['llama.context_length', { type: 'u32', value: config.maxSeqLen }],
    ['llama.embedding_length', { type: 'u32', value: config.dModel }],
    ['llama.block_count', { type: 'u32', value: config.nLayers }],
    ['llama.feed_forward_length', { type: 'u32', value: config.dFF }],
    ['llama.attention.head_count', { type: 'u32', value: config.nHeads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: config.nHeads }],
    ['llama.rope.dimension_count', { type: 'u32', value: headDim }],
    ['llama.rope.freq_base', { type: 'f32', value: config.ropeTheta }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: config.normEps }],
    ['tokenizer.ggml.model', { type: 'str', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'str', value: 'default' }],
    ['tokenizer.ggml.tokens', { type: 'str[]', value: vocab.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.merges', { type: 'str[]', value: vocab.merges }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: tokenizer.bos }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: tokenizer.eos }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: tokenizer.pad }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: o.addBos ?? false }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }],
    [
      'tokenizer.chat_template',
      { type: 'str', value: o.chatTemplate ?? (o.addBos ? `{{ bos_token }}${PLAIN_CHAT_TEMPLATE}` : PLAIN_CHAT_TEMPLATE) },
    ],
  ];
  const names = [...weights.keys()].filter((n) => !n.startsWith('value_head.'));
  if (names.length === 0) throw inputError('the checkpoint has no weights', 'export a trained or initialised policy checkpoint');
  const tensors = names.map((name) => {
    const w = weights.get(name)!;
    return { name: ggufTensorName(name), dims: [...w.shape].reverse(), data: w.data };
  });

  const head = new ByteWriter();
  head.u32(GGUF_MAGIC);
  head.u32(GGUF_VERSION);
  head.u64(tensors.length);
  head.u64(kv.length);
  for (const [k, v] of kv) writeKv(head, k, v);
  let offset = 0;
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(GGML_TYPE_F32);
    head.u64(offset);
    offset += Math.ceil((t.data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  head.padTo(ALIGNMENT);
  const out = Buffer.alloc(head.length + offset);
  head.result().copy(out, 0);
  let at = head.length;
  for (const t of tensors) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += Math.ceil((t.data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  return out;
}

export function writeGguf(
  file: string,
  config: ModelConfig,
  weights: HostWeights,
  tokenizer: Tokenizer,
  o: GgufExportOptions = {},
): number {
  if (!file.endsWith('.gguf')) throw usageError(`output ${file} must end in .gguf`, 'for example --out model.gguf');
  const bytes = encodeGguf(config, weights, tokenizer, o);
  writeFileAtomic(file, bytes);
  return bytes.length;
}
