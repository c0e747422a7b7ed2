/**
 * `rlmkit ui [--runs DIR] [--port P]`: the explorer, a web UI over a runs folder (live training
 * curves, trace explorer, playground, evaluations). Serves the prebuilt app from web/dist on
 * loopback until SIGINT/SIGTERM; another --host needs --api-key.
 */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

interface UiFlags {
  runs: string;
  host: string;
  port: number;
  apiKey?: string;
  maxBody: number;
}

export const uiCommand: CommandModule = {
  name: 'ui',
  summary: 'the explorer: a web UI for runs (live curves), search traces, a playground and evaluations',
  register(program: Command) {
    program
      .command('ui')
      .description('serve the explorer web UI over a runs folder until SIGINT/SIGTERM (see src/ui/README.md)')
      .option('--runs <dir>', 'folder holding run directories', 'runs')
      .option('--host <host>', 'address to listen on (anything but loopback needs --api-key)', '127.0.0.1')
      .option('--port <n>', 'port (0 = any free port)', intOption(0, 65535), 8400)
      .option('--api-key <key>', 'require this key (open the URL with ?token=<key> once) (default: $RLMKIT_UI_API_KEY)')
      .option('--max-body <bytes>', 'largest trace upload', intOption(1024), 64 * 1024 * 1024)
      .action(async (f: UiFlags) => {
        const runsDir = path.resolve(f.runs);
        if (fs.existsSync(runsDir) && !fs.statSync(runsDir).isDirectory())
          throw usageError(`--runs ${f.runs} is not a folder`, 'give the folder that holds run directories (default: runs)');
        const { startUiServer } = await import('../../ui/server.js');
        const apiKey = f.apiKey ?? (process.env.RLMKIT_UI_API_KEY || undefined);
        const ui = await startUiServer({ runsDir, host: f.host, port: f.port, apiKey, maxBodyBytes: f.maxBody });
        process.stdout.write(`${JSON.stringify({ event: 'listening', url: ui.url, runs: runsDir })}\n`);
        logger.info(`explorer on ${ui.url} over ${runsDir}${fs.existsSync(runsDir) ? '' : ' (no runs yet)'} (Ctrl-C to stop)`);
        if (apiKey) logger.info(`the explorer needs the API key: open ${ui.url}/?token=<key> once (it sets a cookie)`);
        await new Promise<void>((resolve) => {
          const stop = () => void ui.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
  },
};
