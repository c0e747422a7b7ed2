/**
 * GGUF backend: any GGUF file (a llama.cpp model, or an rlmkit model exported with
 * `rlmkit export gguf`) run in-process by node-llama-cpp (pinned 3.22.1; its CPU binaries ship in
 * npm packages, nothing is built or downloaded at run time).
 *
 * - `threads` is always set explicitly (default 1 for small files, 2 otherwise: the cores of the
 *   machines rlmkit targets), so llama.cpp never sizes its pool from a machine it shares.
 * - Requests run on a pool of context sequences (`parallel`, default 4), which llama.cpp batches
 *   together in one evaluation; each of n completions uses its own sequence.
 * - Stop sequences are matched on the detokenised text as tokens arrive and end generation early.
 * - Chat requests are rendered with the model's own chat template when the GGUF has one
 *   (`tokenizer.chat_template`, rendered by src/models/chat-template.ts, so a conversation that
 *   ends with an assistant message is continued), else with the plain rendering of
 *   src/models/text.ts. `capabilities.chat` is true only for a real chat format: rlmkit's exports
 *   carry a plain template (contents joined by "\n") and are prompted in plain style.
 * - A prompt with characters the vocabulary cannot encode is refused by name: llama.cpp would drop
 *   them (byte-level BPE) or abort (SentencePiece without byte tokens).
 * - node-llama-cpp is an optional dependency, imported only when a GGUF model is opened.
 * - Log-probs are log of llama.cpp's probability of the chosen token after its sampling chain
 *   (temperature, top-k, top-p applied), so they match temperature-1 log-probs only at temperature 1
 *   without truncation.
 */
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { inputError, runtimeError, usageError } from '../core/errors.js';
import * as fs from 'node:fs';
import { ChatTemplate, ggufChatTemplate } from './chat-template.js';
import { readGgufHeader } from './gguf-read.js';
import { requestText, truncateAtStop } from './text.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from './types.js';
import { validateGenerateOptions, validateRequests } from './validate.js';

export interface GgufOptions {
  /** CPU threads for llama.cpp (default 1 for files under 64 MiB, else 2). */
  threads?: number;
  /** Sequences evaluated together (default 4). */
  parallel?: number;
  /** Context size per sequence (default: the model's training context, at most 4096). */
  contextSize?: number;
  id?: string;
}

let llamaPromise: Promise<Llama> | undefined;

/** The process-wide llama.cpp binding (CPU build, prebuilt binaries only: never builds or downloads). */
export async function getCpuLlama(): Promise<Llama> {
  llamaPromise ??= (async () => {
    let mod: typeof import('node-llama-cpp');
    try {
      mod = await import('node-llama-cpp');
    } catch (e) {
      throw runtimeError(
        `GGUF models need node-llama-cpp, an optional dependency that is not installed (${(e as Error).message.split('\n')[0]})`,
        'install it in the rlmkit folder: npm install --no-save node-llama-cpp@3.22.1',
      );
    }
    try {
      return await mod.getLlama({
        gpu: false,
        build: 'never',
        usePrebuiltBinaries: true,
        progressLogs: false,
        logLevel: mod.LlamaLogLevel.error,
      });
    } catch (e) {
      throw runtimeError(
        `node-llama-cpp could not load its prebuilt llama.cpp binary: ${(e as Error).message}`,
        'check that @node-llama-cpp/linux-x64 (or your platform package) is installed',
      );
    }
  })();
  llamaPromise.catch(() => (llamaPromise = undefined));
  return llamaPromise;
}

export class GgufPolicy implements Policy {
  readonly id: string;
  /** The model interface version implemented (./interface-version.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: PolicyCapabilities;
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: ((s: LlamaContextSequence) => void)[] = [];
  /** The model's chat template (null: none, chat is rendered as plain text). */
  readonly chatTemplate: ChatTemplate | null;

  private constructor(
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly file: string,
    o: GgufOptions,
    template: ChatTemplate | null,
  ) {
    this.id = o.id ?? `gguf:${file}`;
    const parallel = context.totalSequences;
    for (let i = 0; i < parallel; i++) this.free.push(context.getSequence());
    this.chatTemplate = template;
    const chat = template !== null && !template.isPlain();
    this.capabilities = {
      logprobs: true,
      n: true,
      tokenIds: true,
      prefixCaching: false,
      chat,
      maxBatch: parallel,
      contextTokens: context.contextSize,
    };
  }

  static async load(file: string, o: GgufOptions = {}): Promise<GgufPolicy> {
    if (!fs.existsSync(file))
      throw inputError(`GGUF file ${file} does not exist`, 'check the path, or export one with `rlmkit export gguf`');
    // Explicit thread count. Tiny models (our exports) run fastest on one thread: llama.cpp
    // synchronises its threads after every op, which costs more than the op itself and stalls
    // badly on a busy machine. Bigger models get the 2 cores this project targets.
    const threads = o.threads ?? (fs.statSync(file).size < 64 * 1024 * 1024 ? 1 : 2);
    const parallel = o.parallel ?? 4;
    if (!Number.isInteger(threads) || threads < 1) throw usageError(`gguf: threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(parallel) || parallel < 1) throw usageError(`gguf: parallel must be a positive integer, got ${parallel}`);
    // llama.cpp can hang or abort on a truncated file: check the header and sizes first.
    const header = readGgufHeader(file);
    const template = ggufChatTemplate(header.metadata, file);
    const llama = await getCpuLlama();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    } catch (e) {
      throw inputError(`cannot load GGUF ${file}: ${(e as Error).message}`, 'check that the file is a complete GGUF model');
    }
    const contextSize = o.contextSize ?? Math.min(model.trainContextSize, 4096);
    const context = await model.createContext({
      contextSize,
      sequences: parallel,
      threads,
      batchSize: Math.min(512, contextSize * parallel),
    });
    return new GgufPolicy(model, context, file, o, template);
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** Prompt tokens: the chat template when the model has one, else the plain text. */
  private promptTokens(r: GenerateRequest): Token[] {
    const meta = this.model.fileInfo.metadata as { tokenizer?: { ggml?: { add_bos_token?: boolean } } };
    const bos = this.model.tokens.bos;
    let text: string;
    let special = false;
    if (r.messages && this.chatTemplate) {
      const last = r.messages[r.messages.length - 1];
      text = this.chatTemplate.render(r.messages, { continueFinalMessage: last?.role === 'assistant' });
      special = true;
    } else text = requestText(r);
    const tokens = this.model.tokenize(text, special);
    this.checkEncodable(text, tokens, special);
    const addBos = meta.tokenizer?.ggml?.add_bos_token;
    return addBos && bos !== null && tokens[0] !== bos ? [bos, ...tokens] : tokens;
  }

  /** Refuses text whose characters the vocabulary cannot encode (llama.cpp would drop them). */
  private checkEncodable(text: string, tokens: Token[], special: boolean): void {
    if (this.model.detokenize(tokens, special) === text) return;
    // Whole-text detokenizing may tidy spaces (" ." -> "."); token pieces are exact.
    const pieces = tokens.map((t) => this.model.detokenize([t], special)).join('');
    if (pieces === text) return;
    const partialBytes = pieces.includes('\uFFFD') && !text.includes('\uFFFD');
    const have = new Set(partialBytes ? this.model.detokenize(tokens, special) : pieces);
    const lost = [...new Set([...text].filter((c) => !have.has(c) && !(partialBytes && /\s/.test(c))))].slice(0, 8);
    if (lost.length === 0) return;
    throw inputError(
      `the prompt has characters the model's vocabulary cannot encode: ${lost.map((c) => JSON.stringify(c)).join(', ')}`,
      `${this.file} only knows the characters it was trained on; use the plain prompt style (--style plain) or remove them`,
    );
  }

  private async acquire(): Promise<LlamaContextSequence> {
    const s = this.free.pop();
    if (s) return s;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(s: LlamaContextSequence): void {
    const w = this.waiters.shift();
    if (w) w(s);
    else this.free.push(s);
  }

  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    validateRequests(requests);
    validateGenerateOptions(o);
    const n = o.n ?? 1;
    return Promise.all(
      requests.map((r) => {
        const prompt = this.promptTokens(r);
        return Promise.all(Array.from({ length: n }, (_, j) => this.complete(prompt, o, o.seed === undefined ? undefined : o.seed + j)));
      }),
    );
  }

  private async complete(prompt: Token[], o: GenerateOptions, seed: number | undefined): Promise<Completion> {
    const contextSize = this.context.contextSize;
    if (prompt.length >= contextSize)
      throw inputError(
        `the prompt is ${prompt.length} tokens, but the context is ${contextSize}`,
        'shorten the prompt or raise the context size',
      );
    const maxTokens = Math.min(o.maxTokens ?? 256, contextSize - prompt.length);
    const seq = await this.acquire();
    const tokens: Token[] = [];
    const logprobs: number[] = [];
    let finishReason: Completion['finishReason'] = 'length';
    let stopSequence: string | undefined;
    let text = '';
    try {
      await seq.clearHistory();
      const hasStops = (o.stop?.length ?? 0) > 0;
      const eog = new Set([this.model.tokens.eos, this.model.tokens.eot].filter((t): t is Token => t !== null));
      const it = seq.evaluateWithMetadata(
        prompt,
        { confidence: true },
        {
          temperature: o.temperature ?? 1,
          topK: o.topK ?? 0,
          topP: o.topP ?? 1,
          ...(seed !== undefined ? { seed } : {}),
          yieldEogToken: true,
        },
      );
      for await (const { token, confidence } of it) {
        tokens.push(token);
        logprobs.push(Math.log(Math.max(confidence, 1e-45)));
        if (eog.has(token) || this.model.isEogToken(token)) {
          finishReason = 'eos';
          break;
        }
        if (hasStops) {
          // Stops are matched on the text so far (a stop may span tokens).
          const cut = truncateAtStop(this.model.detokenize(tokens), o.stop);
          if (cut.stopSequence !== undefined) {
            finishReason = 'stop';
            stopSequence = cut.stopSequence;
            text = cut.text;
            break;
          }
        }
        if (tokens.length >= maxTokens || o.signal?.aborted) break;
      }
      if (finishReason === 'eos') text = this.model.detokenize(tokens.slice(0, -1));
      else if (finishReason === 'length') text = this.model.detokenize(tokens);
    } finally {
      this.release(seq);
    }
    const c: Completion = {
      text,
      tokenIds: tokens.map(Number),
      tokens: tokens.map((t) => this.model.detokenize([t])),
      finishReason,
      usage: { promptTokens: prompt.length, completionTokens: tokens.length },
    };
    if (stopSequence !== undefined) c.stopSequence = stopSequence;
    if (o.logprobs) c.logprobs = logprobs;
    return c;
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
