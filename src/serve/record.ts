/**
 * `rlmkit serve --record <run>`: everything the server answers goes into a run directory, so any
 * application that talks to an LLM through rlmkit's base URL produces training data (the
 * black-box-agent pattern of AReaL and ART):
 *
 * - `traces/<trace id>-<i>.json`: the trace of every search (`<strategy>@<model>`), one file per
 *   problem, in the schema `rlmkit data export --traces runs/<run>/traces` reads (SFT chains,
 *   preference pairs, step labels, ...);
 * - `exchanges.jsonl`: one line per answered request: the model, the prompt (text or chat
 *   messages), the sampling options, and per completion the text, finish reason, token ids, token
 *   texts and log-probs where the backend returned them, plus `prompt`/`completion` text fields
 *   (an SFT record as is) and the trace id for searches.
 *
 * Files are written atomically (traces) or appended a whole line at a time (exchanges). A run is
 * reopened and appended to when it was recorded by the same models; other models are refused.
 */
import * as path from 'node:path';
import { appendJsonl, writeJsonAtomic } from '../core/fs.js';
import { RunDir } from '../core/rundir.js';
import type { Exchange } from './app.js';

export interface Recorder {
  dir: string;
  record(e: Exchange): void;
  /** Exchanges and traces written so far. */
  counts(): { exchanges: number; traces: number };
}

/** Opens (or reopens) the record run: `name` under runs/, or a path such as `out/serve1`. */
export function openRecorder(where: string, models: string[]): Recorder {
  const name = path.basename(where);
  const root = where.includes('/') || where.includes(path.sep) ? path.dirname(where) : 'runs';
  const run = RunDir.open(name, { root, mode: 'auto', config: { command: 'serve', record: true, models: [...models].sort() } });
  const exchangesFile = run.path('exchanges.jsonl');
  let exchanges = 0;
  let traces = 0;
  return {
    dir: run.dir,
    counts: () => ({ exchanges, traces }),
    record(e) {
      e.traces?.forEach((t, i) => {
        writeJsonAtomic(path.join(run.tracesDir, `${e.traceId ?? 'trace'}-${i}.json`), t);
        traces++;
      });
      e.requests.forEach((r, i) => {
        const promptText = r.prompt ?? (r.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n');
        const { signal: _s, flow: _f, ...options } = e.options;
        for (const c of e.completions[i] ?? []) {
          appendJsonl(exchangesFile, {
            time: new Date().toISOString(),
            kind: e.kind,
            model: e.model,
            ...(e.traceId ? { traceId: e.traceId } : {}),
            request: r.prompt !== undefined ? { prompt: r.prompt } : { messages: r.messages },
            options,
            prompt: promptText,
            completion: c.text,
            finishReason: c.finishReason,
            ...(c.stopSequence !== undefined ? { stopSequence: c.stopSequence } : {}),
            ...(c.tokenIds ? { tokenIds: c.tokenIds } : {}),
            ...(c.tokens ? { tokens: c.tokens } : {}),
            ...(c.logprobs ? { logprobs: c.logprobs } : {}),
            usage: c.usage,
          });
          exchanges++;
        }
      });
    },
  };
}
