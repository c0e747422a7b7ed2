/**
 * The `rlmkit` command line. Global options configure logging and error output; every command
 * comes from the lazy table in ./commands/index.ts, and only the module of the command being run
 * is imported (the others appear in `--help` by name and summary). Errors a user can cause print
 * one or two lines and exit 2 (usage/config) or 1 (runtime); a stack trace only with --debug.
 */
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { formatError, isRlmkitError } from '../core/errors.js';
import { configureLogger, type LogFormat, type LogLevel } from '../core/log.js';
import { commands } from './commands/index.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

/** Global options that take a value (so the word after them is not a command name). */
const VALUE_OPTIONS = new Set(['--log-format', '--log-level']);

/**
 * The command a command line asks for: the first word that is not a global option or its value
 * (`rlmkit --log-level debug solve ...` -> solve); `help X` asks for X; null when none does.
 */
export function requestedCommand(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    if (a === 'help') return args[i + 1] ?? null;
    return a;
  }
  return null;
}

/**
 * Builds the program. With `only` naming a command, that command's module is loaded and
 * registered in full and every other command is listed by name and summary; with 'all', every
 * module is loaded (tests, docs).
 */
export async function buildProgram(only: string | null = 'all'): Promise<Command> {
  const program = new Command();
  program
    .name('rlmkit')
    .description('Reasoning language models on a CPU: search, train, evaluate and serve.')
    .version(pkg.version, '-V, --version', 'print the rlmkit version')
    .addOption(new Option('--log-format <format>', 'log output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--log-level <level>', 'minimum log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .option('--debug', 'print stack traces for errors', false)
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .exitOverride()
    .configureOutput({
      // commander prints its own errors; we print them in our format instead.
      outputError: () => undefined,
    })
    .hook('preAction', (thisCommand) => {
      const opts = thisCommand.opts();
      configureLogger({ format: opts.logFormat as LogFormat, level: opts.logLevel as LogLevel });
    });

  for (const c of commands) {
    if (only === 'all' || only === c.name) (await c.load()).register(program);
    else program.command(c.name).description(c.summary);
  }
  // Sub-commands inherit error handling from the program.
  const propagate = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      sub.configureOutput({ outputError: () => undefined });
      sub.showSuggestionAfterError(true);
      propagate(sub);
    }
  };
  propagate(program);
  return program;
}

function commanderMessage(err: CommanderError): string {
  // Commander messages look like "error: unknown option '--x'"; keep the text after "error: ".
  return err.message.replace(/^error:\s*/, '');
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const program = await buildProgram(requestedCommand(argv.slice(2)));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      const hint =
        e.code === 'commander.unknownCommand'
          ? 'run `rlmkit --help` for the list of commands'
          : 'run the command with --help for its usage';
      process.stderr.write(`rlmkit: error: ${commanderMessage(e)}\nhint: ${hint}\n`);
      return 2;
    }
    process.stderr.write(formatError(e, debug) + '\n');
    return isRlmkitError(e) ? e.exitCode : 1;
  }
}

// Broken pipes (e.g. `rlmkit ... | head`) are not errors.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

const code = await main(process.argv);
process.exitCode = code;
// Let pending output flush, then exit even if a library left a handle open.
setImmediate(() => process.exit(code));
