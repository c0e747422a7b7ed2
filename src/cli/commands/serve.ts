/**
 * `rlmkit serve --model <spec> [--model name=<spec> ...]`: an OpenAI-compatible server for embedded,
 * GGUF and remote models. Runs until SIGINT/SIGTERM, then finishes in-flight requests and exits.
 */
import type { Command } from 'commander';
import { logger } from '../../core/log.js';
import { buildRegistry } from '../../serve/build.js';
import { DEFAULT_LIMITS } from '../../serve/limits.js';
import { openRecorder } from '../../serve/record.js';
import { startServer } from '../../serve/server.js';
import { collect, intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

/** Node's timers hold at most 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface ServeFlags {
  model: string[];
  host: string;
  port: number;
  apiKey?: string;
  maxBody: number;
  maxConcurrent: number;
  maxBatch?: number;
  maxWaitMs: number;
  timeoutMs: number;
  retries: number;
  cache?: boolean;
  defaultMaxTokens: number;
  drainMs: number;
  maxRequestTokens: number;
  maxSearchNodes: number;
  maxSearchTokens: number;
  maxSearchWallMs: number;
  maxRequestMs: number;
  bodyTimeoutMs: number;
  record?: string;
}

export const serveCommand: CommandModule = {
  name: 'serve',
  summary: 'OpenAI-compatible HTTP server (/v1/completions, /v1/chat/completions) for embedded, GGUF and remote models',
  register(program: Command) {
    program
      .command('serve')
      .description('serve models over an OpenAI-compatible API until SIGINT/SIGTERM (see src/serve/README.md)')
      .option(
        '-m, --model <spec>',
        'model to serve, [name=]<spec>; repeatable (embedded:<ckpt>, gguf:<file>, http://host/v1#<model>, openai:<model>)',
        collect,
        [],
      )
      .option('--host <host>', 'address to listen on (0.0.0.0 serves the network)', '127.0.0.1')
      .option('--port <n>', 'port (0 = any free port)', intOption(0, 65535), 8000)
      .option('--api-key <key>', 'require "Authorization: Bearer <key>" (default: $RLMKIT_SERVE_API_KEY)')
      .option('--max-body <bytes>', 'largest request body', intOption(1024), 1024 * 1024)
      .option('--max-concurrent <n>', 'requests handled at once; more get 429', intOption(1), 64)
      .option(
        '--max-batch <n>',
        "requests merged into one backend call (default: 16 for embedded models, else the backend's)",
        intOption(1),
      )
      .option('--max-wait-ms <ms>', 'how long a request waits for others to batch with', intOption(0), 2)
      .option('--timeout-ms <ms>', 'time limit of one backend call (0 = none)', intOption(0, MAX_TIMER_MS), 120_000)
      .option('--retries <n>', 'retries of a failed backend call', intOption(0, 10), 1)
      .option('--cache', 'cache answers of greedy or seeded requests')
      .option('--default-max-tokens <n>', 'max_tokens when a request gives none', intOption(1), 256)
      .option('--drain-ms <ms>', 'on shutdown, how long in-flight requests may still run', intOption(0, MAX_TIMER_MS), 30_000)
      .option(
        '--max-request-tokens <n>',
        'largest prompts x n x max_tokens of one request (400 above)',
        intOption(1),
        DEFAULT_LIMITS.maxRequestTokens,
      )
      .option(
        '--max-search-nodes <n>',
        'largest search of one <strategy>@<model> request: problems x breadth settings, e.g. simulations x children (400 above)',
        intOption(1),
        DEFAULT_LIMITS.maxSearchNodes,
      )
      .option(
        '--max-search-tokens <n>',
        'largest token budget of one search (and its default budget)',
        intOption(1),
        DEFAULT_LIMITS.maxSearchTokens,
      )
      .option(
        '--max-search-wall-ms <ms>',
        'longest wall-time budget of one search (and its default budget)',
        intOption(1, MAX_TIMER_MS),
        DEFAULT_LIMITS.maxSearchWallMs,
      )
      .option(
        '--max-request-ms <ms>',
        'any request still running after this is cancelled (504)',
        intOption(1, MAX_TIMER_MS),
        DEFAULT_LIMITS.maxRequestMs,
      )
      .option(
        '--body-timeout-ms <ms>',
        'time allowed for a request body to arrive (408 after)',
        intOption(1, MAX_TIMER_MS),
        DEFAULT_LIMITS.bodyTimeoutMs,
      )
      .option(
        '--record <run>',
        'store every search trace and every exchange in a run directory (runs/<run>, or a path) for `rlmkit data export`',
      )
      .action(async (f: ServeFlags) => {
        const { registry, names } = await buildRegistry(f.model, {
          ...(f.maxBatch ? { maxBatch: f.maxBatch } : {}),
          maxWaitMs: f.maxWaitMs,
          timeoutMs: f.timeoutMs,
          retries: f.retries,
          cache: f.cache === true,
        });
        let recorder: ReturnType<typeof openRecorder> | undefined;
        try {
          recorder = f.record ? openRecorder(f.record, names) : undefined;
        } catch (e) {
          await registry.close();
          throw e;
        }
        const server = await startServer({
          registry,
          ...(recorder ? { onExchange: (e) => recorder!.record(e) } : {}),
          host: f.host,
          port: f.port,
          apiKey: f.apiKey ?? (process.env.RLMKIT_SERVE_API_KEY || undefined),
          maxBodyBytes: f.maxBody,
          maxConcurrent: f.maxConcurrent,
          defaultMaxTokens: f.defaultMaxTokens,
          drainMs: f.drainMs,
          limits: {
            maxRequestTokens: f.maxRequestTokens,
            maxSearchNodes: f.maxSearchNodes,
            maxSearchTokens: f.maxSearchTokens,
            maxSearchWallMs: f.maxSearchWallMs,
            maxRequestMs: f.maxRequestMs,
            bodyTimeoutMs: f.bodyTimeoutMs,
          },
        });
        // One machine-readable line on stdout so scripts (and tests) can find the port.
        process.stdout.write(
          `${JSON.stringify({ event: 'listening', url: `${server.url}/v1`, models: names, ...(recorder ? { record: recorder.dir } : {}) })}\n`,
        );
        logger.info(`serving ${names.join(', ')} on ${server.url}/v1 (Ctrl-C to stop)`);
        const stop = (signal: string) => {
          logger.info(`${signal}: finishing ${server.state.inflight} in-flight request(s), then stopping`);
          void server.close();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
        await server.closed;
        logger.info('server stopped', {
          served: server.state.served,
          ...(recorder ? { recorded: recorder.counts(), run: recorder.dir } : {}),
        });
      });
  },
};
