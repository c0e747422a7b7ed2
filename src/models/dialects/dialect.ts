/**
 * Dialects of the OpenAI API: what each OpenAI-compatible server really does with a request. The
 * HTTP backend (src/models/http.ts) reads these facts instead of assuming OpenAI's own behaviour,
 * and refuses, by capability name, a request a server cannot serve.
 *
 * Facts per server (from each project's docs and source; the llama-cpp-python ones are tested
 * against the real server in test/models/llamacpp-server.test.ts):
 * - OpenAI (hosted): at most 4 stop sequences; no `top_k`; no way to continue an assistant message.
 * - vLLM, SGLang: `n`, any number of stops, `top_k`; chat continues the final assistant message
 *   with `continue_final_message: true, add_generation_prompt: false` (transformers' semantics);
 *   vLLM reports which stop string ended a choice in `stop_reason`.
 * - llama.cpp `llama-server`: `n` works, but `usage` covers only the first choice; log-probs come
 *   as `logprobs.content[]` (with token ids) on /v1/completions too; a chat that ends with an
 *   assistant message is continued (prefill). Its samplers default to top_k 40, top_p 0.95,
 *   min_p 0.05, so rlmkit sends neutral values (the contract's T=1 distribution).
 * - llama-cpp-python: ignores `n` (one choice); its chat handler always adds a generation prompt;
 *   defaults top_k 40, top_p 0.95, min_p 0.05, repeat_penalty 1.1, temperature 0.8 (neutralised);
 *   the end-of-sequence token is sampled but left out of `completion_tokens` and the log-probs,
 *   and finish "stop" means either a stop string or end-of-sequence.
 * - Ollama: no `n`; continues a final assistant message; its OpenAI layer takes no top_k.
 * - rlmkit serve: `n`, `stop_reason`, continues a final assistant message as its model renders it.
 */

export type DialectName = 'openai' | 'vllm' | 'sglang' | 'llama.cpp' | 'llama-cpp-python' | 'ollama' | 'rlmkit' | 'generic';

export const DIALECT_NAMES: readonly DialectName[] = [
  'openai',
  'vllm',
  'sglang',
  'llama.cpp',
  'llama-cpp-python',
  'ollama',
  'rlmkit',
  'generic',
];

/** How a chat request that ends with an assistant message gets that message continued. */
export type ContinueMode =
  /** `continue_final_message: true, add_generation_prompt: false` in the body (vLLM, SGLang). */
  | 'continue_final_message'
  /** The server continues a final assistant message by itself (llama-server, Ollama, rlmkit). */
  | 'prefill'
  /** The server cannot: rlmkit renders the chat template itself and uses /v1/completions. */
  | 'none';

export interface Dialect {
  name: DialectName;
  /** `n > 1` returns n choices ('unknown': try it, fall back to separate calls when it does not). */
  nativeN: boolean | 'unknown';
  /** Most stop sequences the server accepts (null: no limit known). */
  maxStops: number | null;
  /** Accepts `top_k`. */
  topK: boolean;
  continueMode: ContinueMode;
  /** `usage.completion_tokens` covers every choice of an n > 1 request. */
  usageCoversAllChoices: boolean | 'unknown';
  /** Extra sampling fields that make the server sample from the plain temperature-scaled distribution. */
  neutralSampling: Record<string, number>;
  /** Settings this server applies that rlmkit cannot turn off (reported as warnings). */
  fixedSettings?: string;
  /**
   * The server leaves the end-of-sequence token out of `completion_tokens` and reports a stop
   * sequence and the end of sequence alike (finish "stop", no `stop_reason`). Its tokenize
   * endpoint (path from the server root, JSON field of the text) tells them apart: a choice whose
   * text is exactly `completion_tokens` long ended at end-of-sequence.
   */
  uncountedEos?: { tokenizePath: string; field: string };
}

const LLAMA_CPP_NEUTRAL = { top_k: 0, min_p: 0, repeat_penalty: 1, presence_penalty: 0, frequency_penalty: 0 };

export const DIALECTS: Record<DialectName, Dialect> = {
  openai: {
    name: 'openai',
    nativeN: true,
    maxStops: 4,
    topK: false,
    continueMode: 'none',
    usageCoversAllChoices: true,
    neutralSampling: {},
  },
  vllm: {
    name: 'vllm',
    nativeN: true,
    maxStops: null,
    topK: true,
    continueMode: 'continue_final_message',
    usageCoversAllChoices: true,
    neutralSampling: { top_k: -1, min_p: 0, repetition_penalty: 1 },
  },
  sglang: {
    name: 'sglang',
    nativeN: true,
    maxStops: null,
    topK: true,
    continueMode: 'continue_final_message',
    usageCoversAllChoices: true,
    neutralSampling: { top_k: -1, min_p: 0, repetition_penalty: 1 },
  },
  'llama.cpp': {
    name: 'llama.cpp',
    nativeN: true,
    maxStops: null,
    topK: true,
    continueMode: 'prefill',
    usageCoversAllChoices: false,
    neutralSampling: LLAMA_CPP_NEUTRAL,
  },
  'llama-cpp-python': {
    name: 'llama-cpp-python',
    nativeN: false,
    maxStops: null,
    topK: true,
    continueMode: 'none',
    usageCoversAllChoices: false,
    neutralSampling: LLAMA_CPP_NEUTRAL,
    uncountedEos: { tokenizePath: '/extras/tokenize', field: 'input' },
  },
  ollama: {
    name: 'ollama',
    nativeN: false,
    maxStops: null,
    topK: false,
    continueMode: 'prefill',
    usageCoversAllChoices: false,
    neutralSampling: {},
    fixedSettings: "Ollama's own top_k/repeat_penalty defaults (set them in the Modelfile)",
  },
  rlmkit: {
    name: 'rlmkit',
    nativeN: true,
    maxStops: null,
    topK: true,
    continueMode: 'prefill',
    usageCoversAllChoices: true,
    neutralSampling: {},
  },
  generic: {
    name: 'generic',
    nativeN: 'unknown',
    maxStops: null,
    topK: true,
    continueMode: 'none',
    usageCoversAllChoices: 'unknown',
    neutralSampling: {},
  },
};

/** What GET /v1/models (and the base URL) say about the server. */
export interface ModelsInfo {
  ownedBy?: string;
  /** Context length where the server tells it (vLLM max_model_len, llama-server n_ctx_train). */
  contextTokens?: number;
  /** The model ids listed. */
  ids: string[];
  /** llama-server's listing has a `models` array beside `data`. */
  llamaServerShape: boolean;
}

/** Reads a /v1/models body. */
export function readModelsInfo(body: unknown, model: string): ModelsInfo {
  const b = (body ?? {}) as { data?: unknown; models?: unknown };
  const data = Array.isArray(b.data) ? (b.data as Record<string, unknown>[]) : [];
  const entry = data.find((m) => m?.id === model) ?? data[0];
  const meta = (entry?.meta ?? {}) as Record<string, unknown>;
  const ctx =
    typeof entry?.max_model_len === 'number' ? entry.max_model_len : typeof meta.n_ctx_train === 'number' ? meta.n_ctx_train : undefined;
  return {
    ownedBy: typeof entry?.owned_by === 'string' ? entry.owned_by : undefined,
    ...(typeof ctx === 'number' && ctx > 0 ? { contextTokens: ctx } : {}),
    ids: data.map((m) => String(m?.id)),
    llamaServerShape: Array.isArray(b.models),
  };
}

/** The dialect a server speaks, from its /v1/models answer and its URL. */
export function detectDialect(baseURL: string, info: ModelsInfo | null): DialectName {
  let host = '';
  try {
    host = new URL(baseURL).hostname;
  } catch {
    /* validated elsewhere */
  }
  if (host === 'api.openai.com') return 'openai';
  const owner = (info?.ownedBy ?? '').toLowerCase();
  if (owner === 'vllm') return 'vllm';
  if (owner === 'sglang') return 'sglang';
  if (owner === 'llamacpp' || info?.llamaServerShape) return 'llama.cpp';
  if (owner === 'me') return 'llama-cpp-python';
  if (owner === 'library' || owner === 'ollama') return 'ollama';
  if (owner === 'rlmkit' || owner.startsWith('rlmkit:')) return 'rlmkit';
  if (owner === 'openai' || owner === 'system' || owner === 'openai-internal') return 'openai';
  return 'generic';
}
