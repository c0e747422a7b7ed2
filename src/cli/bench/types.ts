/**
 * A benchmark behind `rlmkit bench <name>`. Benchmarks measure speed and memory in one run and
 * print one JSON object with `--json` (tests assert behaviour; benchmarks measure it).
 */
import type { Command } from 'commander';

export interface BenchModule {
  name: string;
  summary: string;
  /** Adds benchmark-specific options to the `bench <name>` command. */
  configure?(cmd: Command): void;
  /** Runs the benchmark and returns the JSON-able result. Progress goes to stderr. */
  run(options: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Renders the result for a terminal (default: pretty JSON). */
  format?(result: Record<string, unknown>): string;
}
