/**
 * `rlmkit reward-server`: rlmkit's verifiers (math grader, Python sandbox, Game of 24 / Countdown
 * rule checks) and reward-shaping recipes over HTTP, in the shapes of OpenRLHF's `--remote_rm_url`
 * and verl's `compute_score` (src/serve/reward/README.md). Runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { isRlmkitError, usageError } from '../../core/errors.js';
import { readInputText } from '../../core/input.js';
import { logger } from '../../core/log.js';
import { parseRewardConfig } from '../../rewards/registry.js';
import { VERIFIER_NAMES, verifierKind } from '../../serve/reward/labels.js';
import { RewardScorer } from '../../serve/reward/scorer.js';
import { startRewardServer } from '../../serve/reward/server.js';
import { intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

interface Flags {
  host: string;
  port: number;
  task: string;
  reward?: string;
  maxBody: number;
  maxBatch: number;
  maxConcurrent: number;
  concurrency: number;
  sampleTimeoutMs: number;
  drainMs: number;
}

function readRecipe(file: string): unknown {
  let text: string;
  try {
    text = readInputText(file, { kind: 'config', what: '--reward recipe' });
  } catch (e) {
    if (isRlmkitError(e) && !/no such file/.test(e.message)) throw e;
    throw usageError(
      `cannot read --reward ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'give a YAML reward recipe (src/rewards/README.md)',
    );
  }
  return parseRewardConfig(text);
}

export const rewardServerCommand: CommandModule = {
  name: 'reward-server',
  summary: "rlmkit's verifiers and rewards over HTTP for Python trainers (OpenRLHF --remote_rm_url, verl compute_score)",
  register(program: Command) {
    program
      .command('reward-server')
      .description('serve verifiers and reward recipes to OpenRLHF / verl until SIGINT/SIGTERM (see src/serve/reward/README.md)')
      .option('--host <host>', 'address to listen on (0.0.0.0 serves the network)', '127.0.0.1')
      .option('--port <n>', 'port (0 = any free port)', intOption(0, 65535), 5000)
      .option('--task <name>', `verifier for OpenRLHF labels that name none (${VERIFIER_NAMES.join(', ')})`, 'math')
      .option('--reward <file.yaml>', 'reward-shaping recipe (src/rewards); default: 1 for correct, 0 for wrong')
      .option('--max-body <bytes>', 'largest request body', intOption(1024), 32 * 1024 * 1024)
      .option('--max-batch <n>', 'largest batch in samples; larger get 413', intOption(1), 8192)
      .option('--max-concurrent <n>', 'requests scored at once; more get 429', intOption(1), 16)
      .option('--concurrency <n>', 'samples verified at once within a request', intOption(1, 1024), 8)
      .option('--sample-timeout-ms <ms>', 'time limit per sample; past it the sample scores as wrong', intOption(100), 30_000)
      .option('--drain-ms <ms>', 'on shutdown, how long in-flight batches may still run', intOption(0), 30_000)
      .action(async (f: Flags) => {
        if (!verifierKind(f.task)) throw usageError(`unknown --task "${f.task}"`, `known: ${VERIFIER_NAMES.join(', ')}`);
        const scorer = new RewardScorer({
          ...(f.reward ? { reward: readRecipe(f.reward) } : {}),
          sampleTimeoutMs: f.sampleTimeoutMs,
          concurrency: f.concurrency,
        });
        const server = await startRewardServer({
          scorer,
          defaultTask: f.task,
          host: f.host,
          port: f.port,
          maxBodyBytes: f.maxBody,
          maxBatch: f.maxBatch,
          maxConcurrent: f.maxConcurrent,
          drainMs: f.drainMs,
        });
        process.stdout.write(
          `${JSON.stringify({ event: 'listening', url: server.url, openrlhf: `${server.url}/get_reward`, verl: `${server.url}/compute_score` })}\n`,
        );
        logger.info(`reward server on ${server.url} (OpenRLHF: --remote_rm_url ${server.url}/get_reward; Ctrl-C to stop)`);
        const stop = (signal: string) => {
          logger.info(`${signal}: finishing ${server.state.inflight} in-flight request(s), then stopping`);
          void server.close();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
        await server.closed;
        logger.info('reward server stopped', { served: server.state.served });
      });
  },
};
