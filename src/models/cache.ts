/**
 * Response cache for the scheduler: completions keyed by model id, prompt, sampling parameters and
 * seed. Only deterministic requests (temperature 0) or seeded ones are cacheable: caching an
 * unseeded sample would silently turn "draw 8 samples" into "draw 1 sample 8 times".
 */
import { createHash } from 'node:crypto';
import type { Completion, GenerateOptions, GenerateRequest } from './types.js';

/** The options that change what a backend returns (caller and signal do not). */
export function samplingParams(o: GenerateOptions): Record<string, unknown> {
  return {
    n: o.n ?? 1,
    maxTokens: o.maxTokens ?? null,
    temperature: o.temperature ?? 1,
    topP: o.topP ?? 1,
    topK: o.topK ?? 0,
    stop: o.stop ?? [],
    logprobs: o.logprobs ?? false,
    seed: o.seed ?? null,
    // Only when set, so existing keys (and batching of plain requests) stay as they were.
    ...(o.logitBias && Object.keys(o.logitBias).length > 0 ? { logitBias: o.logitBias } : {}),
    ...(o.presencePenalty ? { presencePenalty: o.presencePenalty } : {}),
    ...(o.frequencyPenalty ? { frequencyPenalty: o.frequencyPenalty } : {}),
    ...(o.topLogprobs ? { topLogprobs: o.topLogprobs } : {}),
  };
}

export function isCacheable(o: GenerateOptions): boolean {
  return (o.temperature ?? 1) === 0 || o.seed !== undefined;
}

export function cacheKey(modelId: string, request: GenerateRequest, o: GenerateOptions): string {
  const body = JSON.stringify({
    model: modelId,
    prompt: request.prompt ?? null,
    messages: request.messages ?? null,
    params: samplingParams(o),
  });
  return createHash('sha256').update(body).digest('hex');
}

/** A least-recently-used map of cache keys to completions. */
export class ResponseCache {
  private readonly entries = new Map<string, Completion[]>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 10_000) {}

  get(key: string): Completion[] | undefined {
    const v = this.entries.get(key);
    if (!v) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Refresh recency: Map iteration order is insertion order.
    this.entries.delete(key);
    this.entries.set(key, v);
    return structuredClone(v);
  }

  set(key: string, completions: Completion[]): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, structuredClone(completions));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
