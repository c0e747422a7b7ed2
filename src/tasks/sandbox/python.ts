/**
 * Python under bubblewrap + prlimit. The sandbox has:
 * - no network (a fresh, empty network namespace), no view of host processes (pid namespace),
 *   its own IPC, UTS and cgroup namespaces, and a new session (no terminal to inject into);
 * - a file system made of /usr read-only (with the /bin, /lib, /lib64 links), a private /proc and
 *   /dev, the program read-only at /code, and a private size-limited tmpfs at /tmp — nothing else of
 *   the host (no /etc, /home, /root, /work);
 * - an empty environment apart from PATH, HOME=/tmp and LANG;
 * - limits on CPU seconds, address space, processes, file size, open files and core dumps
 *   (prlimit, applied inside the namespaces so the process count is the sandbox's own),
 *   and a wall-clock limit enforced by killing the whole process group;
 * - when the host runs as root, the sandbox runs as uid/gid 65534 (nobody) via setpriv.
 * There is no fallback: when bwrap is missing, running code is an error.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runtimeError } from '../../core/errors.js';
import { type ExecutionResult, type SandboxLimits, DEFAULT_LIMITS } from './limits.js';
import { PY_RUNNER } from './runner-py.js';

export interface PythonProgram {
  /** The solution source. */
  program: string;
  /** Python snippets run after the program, one test each. */
  tests?: string[];
  /** HumanEval-style tests: a module defining check(candidate), and the candidate's name. */
  check?: { source: string; entry: string };
  /** Standard input for the program (after the runner's first line). */
  stdin?: string;
}

export interface PythonSandboxOptions {
  limits?: Partial<SandboxLimits>;
  /** Python interpreter (default /usr/bin/python3); its install prefix is bound read-only. */
  python?: string;
}

const BWRAP = '/usr/bin/bwrap';
const PRLIMIT = '/usr/bin/prlimit';

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

let cachedTools: { bwrap: string; prlimit: string; setpriv: string | null } | null = null;

function tools(): { bwrap: string; prlimit: string; setpriv: string | null } {
  if (cachedTools) return cachedTools;
  const bwrap = fs.existsSync(BWRAP) ? BWRAP : which('bwrap');
  const prlimit = fs.existsSync(PRLIMIT) ? PRLIMIT : which('prlimit');
  if (!bwrap || !prlimit) {
    throw runtimeError(
      `cannot run code safely: ${!bwrap ? 'bubblewrap (bwrap)' : 'prlimit'} is not installed`,
      'run `bash scripts/setup.sh` (it installs bubblewrap and util-linux), or `apt-get install bubblewrap util-linux`',
    );
  }
  cachedTools = { bwrap, prlimit, setpriv: process.getuid?.() === 0 ? which('setpriv') : null };
  return cachedTools;
}

function defaultPython(): string {
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : which('python3') ?? '/usr/bin/python3';
}

/** Extra read-only binds for an interpreter outside /usr (e.g. ~/.pyenv/versions/3.11.7). */
function interpreterBinds(python: string): string[] {
  const real = fs.realpathSync(python);
  if (real.startsWith('/usr/')) return [];
  const prefix = path.dirname(path.dirname(real));
  return ['--ro-bind', prefix, prefix];
}

export function buildCommand(codeDir: string, limits: SandboxLimits, python: string): { cmd: string; args: string[] } {
  const t = tools();
  const bwrapArgs = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--setenv', 'PATH', '/usr/bin:/bin',
    '--setenv', 'HOME', '/tmp',
    '--setenv', 'LANG', 'C.UTF-8',
    '--setenv', 'PYTHONDONTWRITEBYTECODE', '1',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/bin', '/bin',
    ...interpreterBinds(python),
    '--proc', '/proc',
    '--dev', '/dev',
    '--size', String(limits.maxFileBytes * 4),
    '--tmpfs', '/tmp',
    '--ro-bind', codeDir, '/code',
    '--chdir', '/tmp',
    '--uid', '65534',
    '--gid', '65534',
    '--hostname', 'sandbox',
    '--cap-drop', 'ALL',
    '--',
    t.prlimit,
    `--cpu=${limits.cpuSeconds}`,
    `--as=${limits.memoryBytes}`,
    `--nproc=${limits.maxProcesses}`,
    `--fsize=${limits.maxFileBytes}`,
    '--nofile=64',
    '--core=0',
    '--',
    python,
    '-I',
    '-B',
    '/code/runner.py',
  ];
  if (t.setpriv) {
    return { cmd: t.setpriv, args: ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all', '--', t.bwrap, ...bwrapArgs] };
  }
  return { cmd: t.bwrap, args: bwrapArgs };
}

/**
 * Keeps the first `max` bytes of a stream (what the user sees) and, separately, its last
 * `tailMax` bytes (where the runner's report line is), remembering whether anything was cut.
 */
class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private tailBuf = Buffer.alloc(0);
  truncated = false;
  constructor(
    private readonly max: number,
    private readonly tailMax = 0,
  ) {}
  push(b: Buffer): void {
    if (this.tailMax > 0) {
      const joined = Buffer.concat([this.tailBuf, b]);
      this.tailBuf = joined.length > this.tailMax ? Buffer.from(joined.subarray(joined.length - this.tailMax)) : joined;
    }
    if (this.size >= this.max) {
      this.truncated = true;
      return;
    }
    const room = this.max - this.size;
    if (b.length > room) this.truncated = true;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  tail(): string {
    return this.tailBuf.toString('utf8');
  }
}

/**
 * At most this many sandboxes run at once in this process (default: the number of CPUs, or
 * $RLMKIT_SANDBOX_CONCURRENCY), so a trainer verifying a large batch cannot start hundreds.
 */
const maxConcurrent = Math.max(1, Number(process.env.RLMKIT_SANDBOX_CONCURRENCY) || os.cpus().length || 1);
let running = 0;
const waiting: Array<() => void> = [];
async function acquire(): Promise<void> {
  if (running < maxConcurrent) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

let startupCheck: Promise<void> | null = null;
/**
 * Checks once per process that bubblewrap can start here (it needs unprivileged user namespaces).
 * A failure is a clear error instead of every program silently "failing its tests".
 */
function checkStartup(python: string): Promise<void> {
  startupCheck ??= (async () => {
    const r = await runUnchecked({ program: 'pass', tests: [] }, { limits: { timeoutMs: 15_000 } }, python);
    if (r.status === 'ok') return;
    const why = (r.stderr.trim().split('\n')[0] || r.error || r.status).slice(0, 300);
    startupCheck = null;
    throw runtimeError(
      `the Python sandbox cannot start: ${why}`,
      'bubblewrap needs unprivileged user namespaces (Debian: sysctl kernel.unprivileged_userns_clone=1; Ubuntu 24.04: sysctl kernel.apparmor_restrict_unprivileged_userns=0); run `rlmkit doctor` or `bash scripts/setup.sh`',
    );
  })();
  return startupCheck;
}

/** Runs a program with its tests in the sandbox. */
export async function runPython(program: PythonProgram, options: PythonSandboxOptions = {}): Promise<ExecutionResult> {
  const python = options.python ?? defaultPython();
  await checkStartup(python);
  await acquire();
  try {
    return await runUnchecked(program, options, python);
  } finally {
    release();
  }
}

async function runUnchecked(program: PythonProgram, options: PythonSandboxOptions, python: string): Promise<ExecutionResult> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const codeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-py-'));
  try {
    fs.chmodSync(codeDir, 0o755);
    fs.writeFileSync(path.join(codeDir, 'runner.py'), PY_RUNNER, { mode: 0o644 });
    fs.writeFileSync(path.join(codeDir, 'spec.json'), JSON.stringify({ program: program.program, tests: program.tests ?? [], check: program.check ?? null }), { mode: 0o644 });
    const { cmd, args } = buildCommand(codeDir, limits, python);
    const nonce = randomBytes(16).toString('hex');
    return await execute(cmd, args, nonce, program.stdin ?? '', limits);
  } finally {
    fs.rmSync(codeDir, { recursive: true, force: true });
  }
}

function execute(cmd: string, args: string[], nonce: string, stdin: string, limits: SandboxLimits): Promise<ExecutionResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    // The report line is the last line of stdout: keep a tail large enough for it (many tests).
    const out = new CappedBuffer(limits.maxOutputBytes, 512 * 1024);
    const err = new CappedBuffer(limits.maxOutputBytes);
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: {} });
    let timedOut = false;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, limits.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${nonce}\n${stdin}`);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(failed(`cannot start the sandbox: ${e.message}`, performance.now() - t0));
    });
    child.on('close', (code, directSignal) => {
      // bwrap reports a child killed by a signal (SIGXCPU from the CPU limit, SIGKILL from the memory
      // limit) as exit code 128 + n, not as its own signal.
      const signal = directSignal ?? signalFromExitCode(code);
      clearTimeout(timer);
      kill();
      const wallMs = performance.now() - t0;
      const marker = `\u0000RLMKIT:${nonce}:`;
      const tail = out.tail();
      const at = tail.lastIndexOf(marker);
      let report: any = null;
      let stdout = out.text();
      if (at >= 0) {
        const end = tail.indexOf('\n', at);
        try {
          report = JSON.parse(tail.slice(at + marker.length, end < 0 ? undefined : end));
        } catch {
          report = null;
        }
        // Drop the report line from what the user sees (it is at the end when nothing was cut).
        const inHead = stdout.lastIndexOf(marker);
        if (inHead >= 0) stdout = stdout.slice(0, inHead).replace(/\n$/, '');
      }
      const stdoutTruncated = out.truncated;
      const tests = (report?.tests ?? []) as ExecutionResult['tests'];
      const status: ExecutionResult['status'] = timedOut
        ? 'timeout'
        : signal
          ? 'killed'
          : report === null
            ? 'crashed'
            : report.stage !== 'done'
              ? 'error'
              : 'ok';
      const passed = status === 'ok' && code === 0 && tests.length > 0 && tests.every((t) => t.passed);
      // (A run with no tests cannot pass: "passed" always means some test ran and succeeded.)
      resolve({
        passed,
        status,
        tests,
        stdout,
        stderr: err.text(),
        stdoutTruncated,
        stderrTruncated: err.truncated,
        exitCode: code,
        signal,
        error: report?.error ?? (timedOut ? `wall-clock limit of ${limits.timeoutMs} ms reached` : signal ? `killed by ${signal} (CPU or memory limit?)` : report === null ? 'the program ended before reporting (crash, exit() or a resource limit)' : undefined),
        usage: { wallMs, cpuMs: typeof report?.cpu_s === 'number' ? report.cpu_s * 1000 : null, maxRssKb: typeof report?.max_rss_kb === 'number' ? report.max_rss_kb : null },
      });
    });
  });
}

function failed(message: string, wallMs: number): ExecutionResult {
  return { passed: false, status: 'crashed', tests: [], stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, exitCode: null, signal: null, error: message, usage: { wallMs, cpuMs: null, maxRssKb: null } };
}

/** Whether the Python sandbox works here (bwrap present and user namespaces allowed). */
export async function pythonSandboxAvailable(): Promise<{ ok: boolean; reason?: string }> {
  try {
    const r = await runPython({ program: 'x = 1', tests: ['assert x == 1'] }, { limits: { timeoutMs: 10000 } });
    return r.passed ? { ok: true } : { ok: false, reason: r.error ?? r.stderr.slice(0, 300) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** The signal name behind a shell-style exit code 128 + n, or null. */
function signalFromExitCode(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128 || code > 128 + 64) return null;
  const n = code - 128;
  const entry = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}
