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
 * - Chat requests use the model's own chat template when the GGUF has one
 *   (`tokenizer.chat_template`), else the plain rendering of src/models/text.ts.
 * - Log-probs are log of llama.cpp's probability of the chosen token after its sampling chain
 *   (temperature, top-k, top-p applied), so they match temperature-1 log-probs only at temperature 1
 *   without truncation.
 */
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { inputError, runtimeError, usageError } from '../core/errors.js';
import * as fs from 'node:fs';
import { readGgufHeader } from './gguf-read.js';
import { requestText, truncateAtStop } from './text.js';
import type { ChatMessage, Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from './types.js';
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
      throw runtimeError(`node-llama-cpp is not installed: ${(e as Error).message}`, 'run npm install in the rlmkit folder');
    }
    try {
      return await mod.getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, progressLogs: false, logLevel: mod.LlamaLogLevel.error });
    } catch (e) {
      throw runtimeError(`node-llama-cpp could not load its prebuilt llama.cpp binary: ${(e as Error).message}`, 'check that @node-llama-cpp/linux-x64 (or your platform package) is installed');
    }
  })();
  llamaPromise.catch(() => (llamaPromise = undefined));
  return llamaPromise;
}

export class GgufPolicy implements Policy {
  readonly id: string;
  readonly capabilities: PolicyCapabilities;
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: ((s: LlamaContextSequence) => void)[] = [];
  private readonly hasChatTemplate: boolean;

  private constructor(readonly model: LlamaModel, private readonly context: LlamaContext, readonly file: string, o: GgufOptions) {
    this.id = o.id ?? `gguf:${file}`;
    const parallel = context.totalSequences;
    for (let i = 0; i < parallel; i++) this.free.push(context.getSequence());
    const meta = model.fileInfo.metadata as { tokenizer?: { chat_template?: unknown } };
    this.hasChatTemplate = typeof meta.tokenizer?.chat_template === 'string';
    this.capabilities = { logprobs: true, n: true, tokenIds: true, prefixCaching: false, chat: this.hasChatTemplate, maxBatch: parallel, contextTokens: context.contextSize };
  }

  static async load(file: string, o: GgufOptions = {}): Promise<GgufPolicy> {
    if (!fs.existsSync(file)) throw inputError(`GGUF file ${file} does not exist`, 'check the path, or export one with `rlmkit export gguf`');
    // Explicit thread count. Tiny models (our exports) run fastest on one thread: llama.cpp
    // synchronises its threads after every op, which costs more than the op itself and stalls
    // badly on a busy machine. Bigger models get the 2 cores this project targets.
    const threads = o.threads ?? (fs.statSync(file).size < 64 * 1024 * 1024 ? 1 : 2);
    const parallel = o.parallel ?? 4;
    if (!Number.isInteger(threads) || threads < 1) throw usageError(`gguf: threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(parallel) || parallel < 1) throw usageError(`gguf: parallel must be a positive integer, got ${parallel}`);
    // llama.cpp can hang or abort on a truncated file: check the header and sizes first.
    readGgufHeader(file);
    const llama = await getCpuLlama();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    } catch (e) {
      throw inputError(`cannot load GGUF ${file}: ${(e as Error).message}`, 'check that the file is a complete GGUF model');
    }
    const contextSize = o.contextSize ?? Math.min(model.trainContextSize, 4096);
    const context = await model.createContext({ contextSize, sequences: parallel, threads, batchSize: Math.min(512, contextSize * parallel) });
    return new GgufPolicy(model, context, file, o);
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** Prompt tokens: the chat template when the model has one, else the plain text. */
  private promptTokens(r: GenerateRequest): Token[] {
    if (r.messages && this.hasChatTemplate) return this.chatTokens(r.messages);
    const tokens = this.model.tokenize(requestText(r));
    const bos = this.model.tokens.bos;
    const addBos = (this.model.fileInfo.metadata as { tokenizer?: { ggml?: { add_bos_token?: boolean } } }).tokenizer?.ggml?.add_bos_token;
    return addBos && bos !== null && tokens[0] !== bos ? [bos, ...tokens] : tokens;
  }

  private chatTokensCache?: (m: ChatMessage[]) => Token[];
  private chatTokens(messages: ChatMessage[]): Token[] {
    if (!this.chatTokensCache) throw runtimeError('chat template not initialised');
    return this.chatTokensCache(messages);
  }

  /** Prepares the chat template renderer (async: node-llama-cpp's chat wrappers load lazily). */
  async initChat(): Promise<void> {
    if (!this.hasChatTemplate || this.chatTokensCache) return;
    const mod = await import('node-llama-cpp');
    const wrapper = mod.resolveChatWrapper(this.model);
    this.chatTokensCache = (messages) => {
      const history = messages.map((m) =>
        m.role === 'system' ? { type: 'system' as const, text: m.content } : m.role === 'user' ? { type: 'user' as const, text: m.content } : { type: 'model' as const, response: [m.content] },
      );
      if (history[history.length - 1]?.type !== 'model') history.push({ type: 'model', response: [] });
      const { contextText } = wrapper.generateContextState({ chatHistory: history });
      return contextText.tokenize(this.model.tokenizer);
    };
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
    if (requests.some((r) => r.messages)) await this.initChat();
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
    if (prompt.length >= contextSize) throw inputError(`the prompt is ${prompt.length} tokens, but the context is ${contextSize}`, 'shorten the prompt or raise the context size');
    const maxTokens = Math.min(o.maxTokens ?? 256, contextSize - prompt.length);
    const seq = await this.acquire();
    const tokens: Token[] = [];
    const logprobs: number[] = [];
    let finishReason: Completion['finishReason'] = 'length';
    let stopSequence: string | undefined;
    let text = '';
    try {
      await seq.clearHistory();
      const eog = new Set([this.model.tokens.eos, this.model.tokens.eot].filter((t): t is Token => t !== null));
      const it = seq.evaluateWithMetadata(prompt, { confidence: true }, {
        temperature: o.temperature ?? 1,
        topK: o.topK ?? 0,
        topP: o.topP ?? 1,
        ...(seed !== undefined ? { seed } : {}),
        yieldEogToken: true,
      });
      for await (const { token, confidence } of it) {
        tokens.push(token);
        logprobs.push(Math.log(Math.max(confidence, 1e-45)));
        if (eog.has(token) || this.model.isEogToken(token)) {
          finishReason = 'eos';
          break;
        }
        text = this.model.detokenize(tokens.slice(0, tokens.length));
        const cut = truncateAtStop(text, o.stop);
        if (cut.stopSequence !== undefined) {
          finishReason = 'stop';
          stopSequence = cut.stopSequence;
          text = cut.text;
          break;
        }
        if (tokens.length >= maxTokens || o.signal?.aborted) break;
      }
      if (finishReason === 'eos') text = this.model.detokenize(tokens.slice(0, -1));
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
