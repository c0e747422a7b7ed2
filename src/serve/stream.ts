/**
 * SSE responses. Backends answer whole batches (the embedded sampler decodes all rows together),
 * so a plain stream starts once its completions are ready and then sends one chunk per token.
 *
 * Searches (`<strategy>@<model>`) stream progress while they run. Progress goes out as SSE
 * *comment* lines (`: rlmkit_progress {...}`), which every SSE client skips by the protocol, so
 * no chunk without choices ever reaches a `for chunk in stream: chunk.choices[0]` loop. The
 * answer's chunks follow; the last one carries `rlmkit.trace_id`. An error after the stream opened
 * is sent as an `error` event (the openai clients raise it), then `[DONE]`.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Completion, GenerateOptions, GenerateRequest, Policy } from '../models/types.js';
import type { Budget } from '../reasoning/budget.js';
import type { Trace } from '../reasoning/trace.js';
import { errorBody, toHttpError } from './errors.js';
import { responseId } from './openai-format.js';
import type { RequestScope } from './request.js';

/** A policy that wants the whole request: its extra body fields and a progress callback (the reasoning proxy). */
export type RequestAwarePolicy = Policy & {
  strategy: { name: string };
  settingsFrom(body: Record<string, unknown>): { settings: Record<string, unknown>; budget: Budget };
  generateForRequest(
    requests: GenerateRequest[],
    options: GenerateOptions,
    request: {
      body: Record<string, unknown>;
      onProgress?: (e: Record<string, unknown>) => void;
      budgetCap?: Budget;
      onTraces?: (t: Trace[]) => void;
    },
  ): Promise<Completion[][]>;
};

function sseHeaders(c: Context) {
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
}

/** Streams ready chunks, then `[DONE]`; the request's slot is released when the stream ends. */
export function streamAnswer(c: Context, scope: RequestScope, chunks: unknown[]) {
  sseHeaders(c);
  return streamSSE(c, async (stream) => {
    try {
      for (const chunk of chunks) await stream.writeSSE({ data: JSON.stringify(chunk) });
      await stream.writeSSE({ data: '[DONE]' });
    } finally {
      scope.release();
    }
  });
}

/** Streams a search: progress comments while it runs, then the answer's chunks (see the file comment). */
export function streamSearch<R>(
  c: Context,
  scope: RequestScope,
  object: string,
  model: string,
  traceId: string | undefined,
  work: (onProgress: (e: Record<string, unknown>) => void) => Promise<R>,
  chunks: (id: string, result: R, created: number) => unknown[],
) {
  sseHeaders(c);
  const id = responseId(object === 'text_completion' ? 'cmpl' : 'chatcmpl');
  return streamSSE(c, async (stream) => {
    let writing: Promise<unknown> = Promise.resolve();
    const onProgress = (e: Record<string, unknown>) => {
      if (stream.aborted || stream.closed) return;
      const line = `: rlmkit_progress ${JSON.stringify({ id, model, ...e }).replace(/[\r\n]/g, ' ')}\n\n`;
      writing = writing.then(() => stream.write(line)).catch(() => undefined);
    };
    try {
      const result = await work(onProgress);
      await writing;
      const out = chunks(id, result, Math.floor(Date.now() / 1000));
      for (let i = 0; i < out.length; i++) {
        const chunk = i === out.length - 1 && traceId ? { ...(out[i] as object), rlmkit: { trace_id: traceId } } : out[i];
        await stream.writeSSE({ data: JSON.stringify(chunk) });
      }
    } catch (e) {
      await writing;
      const h = toHttpError(e);
      await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(h.message, h.type, h.param, h.code)) });
    } finally {
      scope.release();
    }
    await stream.writeSSE({ data: '[DONE]' });
  });
}
