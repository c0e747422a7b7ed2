/**
 * Embedding backends: one small contract and an OpenAI-compatible client (`POST /v1/embeddings`,
 * as served by vLLM, llama.cpp server `--embedding`, Ollama, text-embeddings-inference, OpenAI).
 * The contrastive goal reward (src/rewards/contrastive.ts) uses any of them.
 *
 *   spec: http(s)://host:port/v1#<model>
 */
import { RlmkitError, usageError } from '../core/errors.js';

export interface EmbeddingModel {
  readonly id: string;
  /** One vector per input, in order. */
  embed(inputs: string[]): Promise<number[][]>;
}

export interface HttpEmbeddingsConfig {
  baseURL: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
}

export class HttpEmbeddings implements EmbeddingModel {
  readonly id: string;
  constructor(private readonly cfg: HttpEmbeddingsConfig) {
    this.id = `http-embeddings:${cfg.model}@${cfg.baseURL}`;
  }

  async embed(inputs: string[]): Promise<number[][]> {
    if (inputs.length === 0) return [];
    const url = `${this.cfg.baseURL.replace(/\/+$/, '')}/embeddings`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.cfg.apiKey ? { authorization: `Bearer ${this.cfg.apiKey}` } : {}) },
        body: JSON.stringify({ model: this.cfg.model, input: inputs }),
        signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 60_000),
      });
    } catch (e) {
      throw new RlmkitError(`cannot reach the embedding server at ${url}: ${(e as Error).message}`, {
        kind: 'network',
        hint: 'start the server or fix the embeddings spec (http://host:port/v1#model)',
      });
    }
    const text = await res.text();
    if (!res.ok) throw new RlmkitError(`embedding server ${url} answered ${res.status}: ${text.slice(0, 200)}`, { kind: 'network' });
    let body: { data?: Array<{ index?: number; embedding?: unknown }> };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RlmkitError(`embedding server ${url} did not answer JSON`, { kind: 'network' });
    }
    const data = body.data;
    if (!Array.isArray(data) || data.length !== inputs.length)
      throw new RlmkitError(
        `embedding server ${url} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${inputs.length} inputs`,
        {
          kind: 'network',
        },
      );
    const out = new Array<number[]>(inputs.length);
    data.forEach((d, i) => {
      const v = d.embedding;
      if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
        throw new RlmkitError(`embedding server ${url}: embedding ${i} is not a list of finite numbers (base64 encoding is not read)`, {
          kind: 'network',
        });
      out[typeof d.index === 'number' ? d.index : i] = v as number[];
    });
    return out;
  }
}

/** `http(s)://host:port/v1#model` → an embedding backend. */
export function openEmbeddings(spec: string, env: NodeJS.ProcessEnv = process.env): EmbeddingModel {
  const m = /^(https?:\/\/[^#\s]+)#(.+)$/.exec(spec.trim());
  if (!m)
    throw usageError(`bad embeddings spec "${spec}"`, 'write http://host:port/v1#<model> (an OpenAI-compatible /v1/embeddings server)');
  return new HttpEmbeddings({ baseURL: m[1], model: m[2], apiKey: env.RLMKIT_API_KEY ?? env.OPENAI_API_KEY });
}
