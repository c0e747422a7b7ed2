/**
 * Python under bubblewrap + prlimit. The sandbox has:
 * - no network (a fresh, empty network namespace), no view of host processes (pid namespace),
 *   its own IPC, UTS and cgroup namespaces, and a new session (no terminal to inject into);
 * - a read-only file system made of /usr (with the /bin, /lib, /lib64 links), a private /proc, a
 *   read-only 64 KiB /dev holding only null, zero, full, random and urandom, the program read-only
 *   at /code, and two writable tmpfs mounts, each with a size and an inode cap: /tmp (tmpBytes,
 *   maxFiles) and /dev/shm (shmBytes) — nothing else of the host and nothing else writable (a tmpfs
 *   without a cap is host memory without a limit: issue 13 filled 2.5 GB through /dev/shm);
 * - a seccomp filter (seccomp.ts): no ptrace, no namespaces (so no user namespace to regain
 *   capabilities in), no io_uring, netlink, bpf, keyrings, memfd or System V IPC; no
 *   capabilities and an empty bounding set. (bwrap's --disable-userns is not used: it moves the
 *   program into a nested user namespace, where the set-up step could no longer mount /tmp.)
 * - an empty environment apart from PATH, HOME=/tmp and LANG;
 * - limits on CPU seconds, address space, processes, file size, open files and core dumps
 *   (prlimit, applied inside the namespaces so the process count is the sandbox's own), a host-side
 *   watchdog on the memory of the whole process tree (RLIMIT_AS is per process), and a wall-clock
 *   limit enforced by killing the whole process group;
 * - when the host runs as root, the sandbox runs as uid/gid 65534 (nobody) via setpriv.
 * Host memory a run can take: memoryBytes (all processes together, checked every WATCH_MS) +
 * tmpBytes + shmBytes + the output caps; host disk: none (the program folder only).
 * There is no fallback: when bwrap is missing, running code is an error.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runtimeError } from '../../core/errors.js';
import { type ExecutionResult, type SandboxLimits, resolveLimits } from './limits.js';
import { CappedBuffer, treeMemoryBytes } from './procs.js';
import { PY_SETUP } from './python-setup.js';
import { PY_RUNNER } from './runner-py.js';
import { seccompFilterBytes } from './seccomp.js';

let filterBytes: Buffer | null = null;
function seccompFilter(): Buffer {
  try {
    filterBytes ??= seccompFilterBytes();
  } catch (e) {
    throw runtimeError(`cannot run code safely: ${(e as Error).message}`, 'the Python sandbox supports x86-64 and arm64 Linux');
  }
  return filterBytes;
}

/** How often the host samples the sandbox's memory. */
const WATCH_MS = 50;
/** The file descriptor bwrap reads the seccomp filter from. */
const SECCOMP_FD = 3;
/** Device nodes the sandbox's /dev holds (bound read-write from the host: they hold no data). */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom'];

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

let cachedTools: { bwrap: string; prlimit: string; setpriv: string | null; innerSetpriv: string } | null = null;

function tools(): { bwrap: string; prlimit: string; setpriv: string | null; innerSetpriv: string } {
  if (cachedTools) return cachedTools;
  const bwrap = fs.existsSync(BWRAP) ? BWRAP : which('bwrap');
  const prlimit = fs.existsSync(PRLIMIT) ? PRLIMIT : which('prlimit');
  if (!bwrap || !prlimit) {
    throw runtimeError(
      `cannot run code safely: ${!bwrap ? 'bubblewrap (bwrap)' : 'prlimit'} is not installed`,
      'run `bash scripts/setup.sh` (it installs bubblewrap and util-linux), or `apt-get install bubblewrap util-linux`',
    );
  }
  const setpriv = which('setpriv');
  if (!setpriv)
    throw runtimeError(
      'cannot run code safely: setpriv is not installed',
      'run `bash scripts/setup.sh` (it installs util-linux), or `apt-get install util-linux`',
    );
  // Inside the sandbox only /usr exists: setpriv must be reachable there.
  const innerSetpriv = fs.realpathSync(setpriv);
  cachedTools = { bwrap, prlimit, setpriv: process.getuid?.() === 0 ? setpriv : null, innerSetpriv };
  return cachedTools;
}

function defaultPython(): string {
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : (which('python3') ?? '/usr/bin/python3');
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
  const devices = DEVICES.flatMap((d) => ['--dev-bind', `/dev/${d}`, `/dev/${d}`]);
  const bwrapArgs = [
    '--unshare-all',
    '--unshare-user',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--setenv',
    'PATH',
    '/usr/bin:/bin',
    '--setenv',
    'HOME',
    '/tmp',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--setenv',
    'PYTHONDONTWRITEBYTECODE',
    '1',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--symlink',
    'usr/bin',
    '/bin',
    ...interpreterBinds(python),
    '--proc',
    '/proc',
    // /dev: a tiny read-only tmpfs with the harmless devices; /dev/shm and /tmp are mounted with
    // size and inode caps by the set-up step (python-setup.ts).
    '--size',
    '65536',
    '--perms',
    '0755',
    '--tmpfs',
    '/dev',
    ...devices,
    '--symlink',
    '/proc/self/fd',
    '/dev/fd',
    '--symlink',
    '/proc/self/fd/0',
    '/dev/stdin',
    '--symlink',
    '/proc/self/fd/1',
    '/dev/stdout',
    '--symlink',
    '/proc/self/fd/2',
    '/dev/stderr',
    '--dir',
    '/dev/shm',
    '--remount-ro',
    '/dev',
    '--dir',
    '/tmp',
    '--ro-bind',
    codeDir,
    '/code',
    '--remount-ro',
    '/',
    '--chdir',
    '/',
    '--uid',
    '65534',
    '--gid',
    '65534',
    '--hostname',
    'sandbox',
    '--cap-drop',
    'ALL',
    '--cap-add',
    'CAP_SYS_ADMIN',
    '--cap-add',
    'CAP_SETPCAP',
    '--seccomp',
    String(SECCOMP_FD),
    '--',
    python,
    '-I',
    '-S',
    '-B',
    '/code/setup.py',
    String(limits.tmpBytes),
    String(limits.maxFiles),
    String(limits.shmBytes),
    '64',
    t.innerSetpriv,
    '--bounding-set=-all',
    '--inh-caps=-all',
    '--ambient-caps=-all',
    '--no-new-privs',
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
    return {
      cmd: t.setpriv,
      args: ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all', '--', t.bwrap, ...bwrapArgs],
    };
  }
  return { cmd: t.bwrap, args: bwrapArgs };
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
  const limits = resolveLimits(options.limits);
  const codeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-py-'));
  try {
    fs.chmodSync(codeDir, 0o755);
    fs.writeFileSync(path.join(codeDir, 'runner.py'), PY_RUNNER, { mode: 0o644 });
    fs.writeFileSync(path.join(codeDir, 'setup.py'), PY_SETUP, { mode: 0o644 });
    fs.writeFileSync(
      path.join(codeDir, 'spec.json'),
      JSON.stringify({ program: program.program, tests: program.tests ?? [], check: program.check ?? null }),
      { mode: 0o644 },
    );
    const { cmd, args } = buildCommand(codeDir, limits, python);
    const nonce = randomBytes(16).toString('hex');
    return await execute(cmd, args, nonce, program.stdin ?? '', limits);
  } finally {
    fs.rmSync(codeDir, { recursive: true, force: true });
  }
}

function execute(cmd: string, args: string[], nonce: string, stdin: string, limits: SandboxLimits): Promise<ExecutionResult> {
  const filter = seccompFilter();
  return new Promise((resolve) => {
    const t0 = performance.now();
    // The report line is the last line of stdout: keep a tail large enough for it (many tests).
    const out = new CappedBuffer(limits.maxOutputBytes, 512 * 1024);
    const err = new CappedBuffer(limits.maxOutputBytes);
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true, env: {} });
    // bwrap reads the seccomp filter from this pipe before it starts the program.
    const filterPipe = child.stdio[SECCOMP_FD] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
    filterPipe.on('error', () => undefined);
    filterPipe.end(filter);
    let timedOut = false;
    let overMemory = false;
    let peakMemory = 0;
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
    // RLIMIT_AS is per process: the watchdog bounds the whole tree.
    const watch = setInterval(() => {
      if (!child.pid) return;
      const bytes = treeMemoryBytes(child.pid);
      peakMemory = Math.max(peakMemory, bytes);
      if (bytes > limits.memoryBytes) {
        overMemory = true;
        kill();
      }
    }, WATCH_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${nonce}\n${stdin}`);
    child.on('error', (e) => {
      clearTimeout(timer);
      clearInterval(watch);
      resolve(failed(`cannot start the sandbox: ${e.message}`, performance.now() - t0));
    });
    child.on('close', (code, directSignal) => {
      // bwrap reports a child killed by a signal (SIGXCPU from the CPU limit, SIGKILL from the memory
      // limit) as exit code 128 + n, not as its own signal.
      const signal = directSignal ?? signalFromExitCode(code);
      clearTimeout(timer);
      clearInterval(watch);
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
        : overMemory || signal
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
        error:
          report?.error ??
          (timedOut
            ? `wall-clock limit of ${limits.timeoutMs} ms reached`
            : overMemory
              ? `memory limit of ${limits.memoryBytes} bytes reached (all processes together)`
              : code === 125 && report === null
                ? `the sandbox could not be set up: ${err.text().trim().split('\n')[0]}`
                : signal
                  ? `killed by ${signal} (CPU or memory limit?)`
                  : report === null
                    ? 'the program ended before reporting (crash, exit() or a resource limit)'
                    : undefined),
        usage: {
          wallMs,
          cpuMs: typeof report?.cpu_s === 'number' ? report.cpu_s * 1000 : null,
          maxRssKb: typeof report?.max_rss_kb === 'number' ? report.max_rss_kb : null,
          memoryBytes: peakMemory,
        },
      });
    });
  });
}

function failed(message: string, wallMs: number): ExecutionResult {
  return {
    passed: false,
    status: 'crashed',
    tests: [],
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    exitCode: null,
    signal: null,
    error: message,
    usage: { wallMs, cpuMs: null, maxRssKb: null },
  };
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
