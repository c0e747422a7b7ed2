/**
 * One user-facing error type. Anything a user can cause (bad config, missing file, malformed
 * request, server down) is thrown as an RlmkitError with a message that names the cause and a
 * hint that names the fix. The CLI prints it in one or two lines and exits with `exitCode`.
 */

/** Exit codes: 2 for usage and configuration errors, 1 for runtime failures. */
export const ExitCode = { Usage: 2, Runtime: 1 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'usage' | 'config' | 'input' | 'runtime' | 'io' | 'network' | 'model';

export interface RlmkitErrorOptions {
  hint?: string;
  kind?: ErrorKind;
  exitCode?: number;
  cause?: unknown;
}

export class RlmkitError extends Error {
  readonly hint?: string;
  readonly kind: ErrorKind;
  readonly exitCode: number;

  constructor(message: string, options: RlmkitErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'RlmkitError';
    this.hint = options.hint;
    this.kind = options.kind ?? 'runtime';
    this.exitCode =
      options.exitCode ?? (this.kind === 'usage' || this.kind === 'config' || this.kind === 'input' ? ExitCode.Usage : ExitCode.Runtime);
  }
}

/** A usage or configuration mistake: exit code 2. */
export function usageError(message: string, hint?: string): RlmkitError {
  return new RlmkitError(message, { kind: 'usage', hint });
}

/** A malformed input (file, request, checkpoint): exit code 2. */
export function inputError(message: string, hint?: string): RlmkitError {
  return new RlmkitError(message, { kind: 'input', hint });
}

/** A failure while running (I/O, model, network): exit code 1. */
export function runtimeError(message: string, hint?: string, cause?: unknown): RlmkitError {
  return new RlmkitError(message, { kind: 'runtime', hint, cause });
}

export function isRlmkitError(e: unknown): e is RlmkitError {
  return e instanceof RlmkitError;
}

/** Turns a Node system error (ENOENT, EACCES, ...) about `path` into a readable RlmkitError. */
export function fsError(e: unknown, path: string, action: string): RlmkitError {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new RlmkitError(`cannot ${action} ${path}: no such file or directory`, { kind: 'input', hint: 'check the path', cause: e });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new RlmkitError(`cannot ${action} ${path}: permission denied`, {
        kind: 'io',
        exitCode: ExitCode.Runtime,
        hint: 'choose a writable location or fix its permissions',
        cause: e,
      });
    case 'ENOSPC':
      return new RlmkitError(`cannot ${action} ${path}: no space left on device`, { kind: 'io', hint: 'free some disk space', cause: e });
    case 'EISDIR':
      return new RlmkitError(`cannot ${action} ${path}: it is a directory`, { kind: 'input', hint: 'give a file path', cause: e });
    case 'ENOTDIR':
      return new RlmkitError(`cannot ${action} ${path}: a parent of it is not a directory`, {
        kind: 'input',
        hint: 'check the path',
        cause: e,
      });
    default:
      return new RlmkitError(`cannot ${action} ${path}: ${(e as Error)?.message ?? String(e)}`, { kind: 'io', cause: e });
  }
}

/** Formats an error for a terminal: one or two lines, plus a stack trace only when debugging. */
export function formatError(e: unknown, debug = false): string {
  if (isRlmkitError(e)) {
    let out = `rlmkit: error: ${e.message}`;
    if (e.hint) out += `\nhint: ${e.hint}`;
    if (debug && e.stack) out += `\n${e.stack}`;
    if (debug && e.cause instanceof Error && e.cause.stack) out += `\ncaused by: ${e.cause.stack}`;
    return out;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  let out = `rlmkit: internal error: ${err.message}`;
  out += debug ? `\n${err.stack ?? ''}` : '\nhint: this is a bug in rlmkit; run again with --debug for the stack trace and report it';
  return out;
}
