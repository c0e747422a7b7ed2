/**
 * The command registry. Each capability adds a module under src/cli/commands/ that exports a
 * `CommandModule`, and lists it in src/cli/commands/index.ts; main.ts registers them all.
 */
import type { Command } from 'commander';

export interface CommandModule {
  /** Name of the top-level command (or group) for docs and tests. */
  name: string;
  /** One line for the README and `rlmkit --help`. */
  summary: string;
  /** Adds the command (and its sub-commands) to the program. */
  register(program: Command): void;
}
