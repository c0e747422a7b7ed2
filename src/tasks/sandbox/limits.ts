import { usageError } from '../../core/errors.js';

/** Resource limits shared by the sandboxes, with defaults sized for small test programs. */
export interface SandboxLimits {
  /** Wall-clock limit; the whole sandbox is killed when it passes. */
  timeoutMs: number;
  /** CPU seconds (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Address space in bytes (RLIMIT_AS for Python; heap limit for JavaScript). */
  memoryBytes: number;
  /** Processes/threads inside the sandbox (RLIMIT_NPROC, counted in its own user namespace). */
  maxProcesses: number;
  /** Largest file the program may write (RLIMIT_FSIZE; also bounds each memfd and pipe write). */
  maxFileBytes: number;
  /** Size of the private /tmp (a tmpfs: its pages are host memory). Python only. */
  tmpBytes: number;
  /** Size of the private /dev/shm (POSIX shared memory, multiprocessing locks). Python only. */
  shmBytes: number;
  /** Files and directories the program may create in /tmp (the tmpfs inode cap; each costs kernel memory). */
  maxFiles: number;
  /** stdout and stderr are each cut to this many bytes (counted in bytes on the host, before any string is built). */
  maxOutputBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutMs: 10_000,
  cpuSeconds: 10,
  memoryBytes: 1024 * 1024 * 1024,
  maxProcesses: 16,
  maxFileBytes: 16 * 1024 * 1024,
  tmpBytes: 64 * 1024 * 1024,
  shmBytes: 16 * 1024 * 1024,
  maxFiles: 1024,
  maxOutputBytes: 16 * 1024,
};

/** Merges limits over the defaults; each must be a positive integer (a usage error otherwise). */
export function resolveLimits(given: Partial<SandboxLimits> = {}): SandboxLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(given) as [keyof SandboxLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw usageError(`unknown sandbox limit "${key}"`, `limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
      throw usageError(`sandbox limit ${key} must be a positive integer, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

export interface TestResult {
  name: string;
  passed: boolean;
  error?: string;
}

export interface ExecutionResult {
  /** All tests passed and the program finished normally. */
  passed: boolean;
  /** ok: ran to the end; error: the program raised; timeout; killed (signal, memory); crashed: no result line. */
  status: 'ok' | 'error' | 'timeout' | 'killed' | 'crashed';
  tests: TestResult[];
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  exitCode: number | null;
  signal: string | null;
  error?: string;
  usage: { wallMs: number; cpuMs: number | null; maxRssKb: number | null; memoryBytes?: number | null };
}
