/**
 * Checks generate() arguments once, at the edge (scheduler and backends), so that a bad option is a
 * usage error naming the field instead of a confusing failure deep in a backend.
 */
import { usageError } from '../core/errors.js';
import type { GenerateOptions, GenerateRequest } from './types.js';

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function validateGenerateOptions(o: GenerateOptions): void {
  if (o.n !== undefined && (!isInt(o.n) || o.n < 1))
    throw usageError(`generate: n must be a positive integer, got ${JSON.stringify(o.n)}`, 'pass n >= 1');
  if (o.maxTokens !== undefined && (!isInt(o.maxTokens) || o.maxTokens < 1))
    throw usageError(`generate: maxTokens must be a positive integer, got ${JSON.stringify(o.maxTokens)}`, 'pass maxTokens >= 1');
  if (o.temperature !== undefined && !(typeof o.temperature === 'number' && o.temperature >= 0 && Number.isFinite(o.temperature)))
    throw usageError(`generate: temperature must be a number >= 0, got ${JSON.stringify(o.temperature)}`, 'use 0 for greedy decoding');
  if (o.topP !== undefined && !(typeof o.topP === 'number' && o.topP > 0 && o.topP <= 1))
    throw usageError(`generate: topP must be in (0, 1], got ${JSON.stringify(o.topP)}`);
  if (o.topK !== undefined && (!isInt(o.topK) || o.topK < 0))
    throw usageError(`generate: topK must be an integer >= 0, got ${JSON.stringify(o.topK)}`);
  if (o.stop !== undefined && (!Array.isArray(o.stop) || o.stop.some((s) => typeof s !== 'string' || s.length === 0)))
    throw usageError('generate: stop must be a list of non-empty strings');
  if (o.seed !== undefined && !isInt(o.seed)) throw usageError(`generate: seed must be an integer, got ${JSON.stringify(o.seed)}`);
}

export function validateRequests(requests: readonly GenerateRequest[]): void {
  if (!Array.isArray(requests)) throw usageError('generate: requests must be a list');
  requests.forEach((r, i) => {
    const hasPrompt = typeof r?.prompt === 'string';
    const hasMessages = Array.isArray(r?.messages);
    if (hasPrompt === hasMessages) throw usageError(`generate: request ${i} must have exactly one of prompt and messages`);
  });
}
