/**
 * Attack programs for the Python sandbox, shared by test/tasks/sandbox.test.ts and
 * scripts/acceptance/sandbox-attacks.ts. Each attack runs as the solution of a program with one
 * trivial test; `contained` inspects the result and the host afterwards. Host-side fixtures (a
 * canary environment variable, a marker path, a TCP server, a victim process) are set up by
 * `prepareHost`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExecutionResult, SandboxLimits } from '../../src/tasks/sandbox/limits.js';

export interface Host {
  canary: string;
  markerPath: string;
  port: number;
  victim: ChildProcess;
  repoFile: string;
  close(): Promise<void>;
}

export async function prepareHost(): Promise<Host> {
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  process.env.RLMKIT_ATTACK_CANARY = canary;
  const markerPath = path.join(os.tmpdir(), `rlmkit-attack-marker-${process.pid}`);
  fs.rmSync(markerPath, { force: true });
  const server = net.createServer((s) => s.end('hello from the host\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const victim = spawn('sleep', ['600'], { stdio: 'ignore' });
  const repoFile = path.resolve('package.json');
  return {
    canary,
    markerPath,
    port,
    victim,
    repoFile,
    async close() {
      victim.kill('SIGKILL');
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(markerPath, { force: true });
      delete process.env.RLMKIT_ATTACK_CANARY;
    },
  };
}

export interface Attack {
  name: string;
  code: (h: Host) => string;
  /** Limits for this attack (short timeouts keep the suite fast). */
  limits?: Partial<SandboxLimits>;
  /** Returns null when contained, else what escaped. */
  contained: (r: ExecutionResult, h: Host) => string | null;
}

const noLeak = (r: ExecutionResult, h: Host): string | null =>
  r.stdout.includes(h.canary) || r.stderr.includes(h.canary) ? 'the canary leaked' : null;
const printed =
  (flag: string) =>
  (r: ExecutionResult): string | null =>
    r.stdout.includes(flag) ? `program printed ${flag}` : null;
const both =
  (...fs: Array<(r: ExecutionResult, h: Host) => string | null>) =>
  (r: ExecutionResult, h: Host) =>
    fs.map((f) => f(r, h)).find((x) => x !== null) ?? null;
const victimAlive = (_r: ExecutionResult, h: Host): string | null =>
  h.victim.exitCode === null && h.victim.signalCode === null ? null : 'the host process was killed';

/** Wraps a body so that any exception prints BLOCKED and success prints ESCAPED. */
const attempt = (body: string) =>
  `try:\n${body
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n    print("ESCAPED")\nexcept BaseException as e:\n    print("BLOCKED", type(e).__name__)\n`;

export const ATTACKS: Attack[] = [
  {
    name: 'write /etc/passwd',
    code: () => attempt(`open('/etc/passwd', 'a').write('evil:x:0:0::/:/bin/sh\\n')`),
    contained: printed('ESCAPED'),
  },
  { name: 'write into /usr', code: () => attempt(`open('/usr/bin/evil', 'w').write('x')`), contained: printed('ESCAPED') },
  {
    name: 'write a marker into the host /tmp',
    code: (h) => `open(${JSON.stringify(h.markerPath)}, 'w').write('pwned')\nprint('wrote')`,
    contained: (_r, h) => (fs.existsSync(h.markerPath) ? 'marker file appeared on the host' : null),
  },
  {
    name: 'write into the repository',
    code: (h) => attempt(`open(${JSON.stringify(h.repoFile)}, 'a').write('pwned')`),
    contained: (r, h) => (fs.readFileSync(h.repoFile, 'utf8').includes('pwned') ? 'repository file modified' : printed('ESCAPED')(r)),
  },
  {
    name: 'write into /code (the program folder)',
    code: () => attempt(`open('/code/runner.py', 'a').write('pwned')`),
    contained: printed('ESCAPED'),
  },
  { name: 'read /etc/shadow', code: () => attempt(`print(open('/etc/shadow').read()[:50])`), contained: printed('ESCAPED') },
  {
    name: 'read /root and /home',
    code: () => attempt(`import os\nprint(os.listdir('/root'), os.listdir('/home'))`),
    contained: printed('ESCAPED'),
  },
  { name: 'read the shared benchmark data', code: () => attempt(`import os\nprint(os.listdir('/work'))`), contained: printed('ESCAPED') },
  {
    name: 'host file through /proc/1/root',
    code: () => attempt(`print(open('/proc/1/root/etc/shadow').read()[:20])`),
    contained: printed('ESCAPED'),
  },
  { name: 'environment variables', code: () => `import os\nprint(dict(os.environ))`, contained: noLeak },
  {
    name: '/proc/self/environ and /proc/1/environ',
    code: () =>
      `for p in ['/proc/self/environ', '/proc/1/environ']:\n    try: print(open(p, 'rb').read())\n    except Exception as e: print('no', p, e)`,
    contained: noLeak,
  },
  {
    name: 'environ of every visible process',
    code: () =>
      `import os\nfor p in os.listdir('/proc'):\n    if p.isdigit():\n        try: print(open('/proc/%s/environ' % p, 'rb').read())\n        except Exception: pass`,
    contained: noLeak,
  },
  {
    name: 'host processes are invisible',
    code: () => `import os\nprint('PIDS', len([p for p in os.listdir('/proc') if p.isdigit()]))`,
    contained: (r) => {
      const m = /PIDS (\d+)/.exec(r.stdout);
      return m && Number(m[1]) <= 5 ? null : `saw ${m?.[1] ?? '?'} processes`;
    },
  },
  {
    name: 'internet connection',
    code: () => attempt(`import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)`),
    contained: printed('ESCAPED'),
  },
  { name: 'DNS lookup', code: () => attempt(`import socket\nsocket.getaddrinfo('example.com', 80)`), contained: printed('ESCAPED') },
  {
    name: 'host loopback service',
    code: (h) => attempt(`import socket\ns = socket.create_connection(('127.0.0.1', ${h.port}), timeout=3)\nprint(s.recv(100))`),
    contained: both(printed('ESCAPED'), printed('hello from the host')),
  },
  {
    name: 'UDP send',
    code: () => attempt(`import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))`),
    contained: printed('ESCAPED'),
  },
  {
    name: 'docker socket',
    code: () => attempt(`import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/var/run/docker.sock')`),
    contained: printed('ESCAPED'),
  },
  {
    name: 'kill the parent',
    code: () => `import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept Exception as e:\n    print('no', e)`,
    contained: victimAlive,
  },
  {
    name: 'kill every process (kill -1)',
    code: () => `import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept Exception as e:\n    print('no', e)`,
    contained: victimAlive,
  },
  {
    name: 'kill the host victim by pid',
    code: (h) => attempt(`import os, signal\nos.kill(${h.victim.pid}, signal.SIGKILL)`),
    contained: both(victimAlive, printed('ESCAPED')),
  },
  {
    name: 'fork bomb',
    code: () =>
      `import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(5); os._exit(0)\n        n += 1\nexcept Exception as e:\n    print('stopped after', n, type(e).__name__)`,
    limits: { timeoutMs: 8000 },
    contained: (r) => {
      const m = /stopped after (\d+)/.exec(r.stdout);
      return m && Number(m[1]) < 64 ? null : `forked ${m?.[1] ?? 'without limit'}`;
    },
  },
  {
    name: 'thread bomb',
    code: () =>
      `import threading, time\nn = 0\ntry:\n    while True:\n        threading.Thread(target=time.sleep, args=(5,), daemon=True).start(); n += 1\nexcept Exception as e:\n    print('stopped after', n, type(e).__name__)`,
    limits: { timeoutMs: 8000 },
    contained: (r) => {
      const m = /stopped after (\d+)/.exec(r.stdout);
      return m && Number(m[1]) < 64 ? null : `started ${m?.[1] ?? 'unbounded'} threads`;
    },
  },
  { name: 'memory bomb (one huge allocation)', code: () => attempt(`x = bytearray(8 * 1024**3)`), contained: printed('ESCAPED') },
  {
    name: 'memory bomb (growing list)',
    code: () => `x = []\nwhile True:\n    x.append(bytearray(50 * 1024**2))`,
    limits: { timeoutMs: 10000 },
    contained: (r) => (r.status === 'ok' ? 'allocation never stopped' : null),
  },
  {
    name: 'infinite loop',
    code: () => `while True:\n    pass`,
    limits: { timeoutMs: 3000, cpuSeconds: 2 },
    contained: (r) =>
      r.status === 'timeout' || r.status === 'killed' ? (r.usage.wallMs < 4500 ? null : `ran ${r.usage.wallMs} ms`) : `status ${r.status}`,
  },
  {
    name: 'sleep forever',
    code: () => `import time\ntime.sleep(10**6)`,
    limits: { timeoutMs: 2000 },
    contained: (r) => (r.status === 'timeout' && r.usage.wallMs < 3500 ? null : `status ${r.status} after ${r.usage.wallMs} ms`),
  },
  {
    name: 'fill the disk',
    code: () =>
      `n = 0\ntry:\n    with open('/tmp/big', 'wb') as f:\n        while True:\n            f.write(b'x' * 1024**2); f.flush(); n += 1\nexcept BaseException as e:\n    print('stopped at MB', n, type(e).__name__)`,
    limits: { timeoutMs: 8000 },
    contained: (r) => {
      const m = /stopped at MB (\d+)/.exec(r.stdout);
      return m && Number(m[1]) <= 64 ? null : r.status !== 'ok' ? null : `wrote ${m?.[1]} MB`;
    },
  },
  {
    name: 'open files without limit',
    code: () =>
      `fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\nexcept OSError as e:\n    print('stopped after', len(fs))`,
    contained: (r) => {
      const m = /stopped after (\d+)/.exec(r.stdout);
      return m && Number(m[1]) < 100 ? null : 'no file limit';
    },
  },
  {
    name: 'stdout flood',
    code: () => `import sys\nfor _ in range(200):\n    sys.stdout.write('A' * 1024 * 1024)`,
    limits: { timeoutMs: 10000 },
    contained: (r) => (r.stdout.length <= 16 * 1024 && r.stdoutTruncated ? null : `stdout of ${r.stdout.length} bytes`),
  },
  {
    name: 'stderr flood',
    code: () => `import sys\nfor _ in range(200):\n    sys.stderr.write('E' * 1024 * 1024)`,
    limits: { timeoutMs: 10000 },
    contained: (r) => (r.stderr.length <= 16 * 1024 && r.stderrTruncated ? null : `stderr of ${r.stderr.length} bytes`),
  },
  { name: 'become root', code: () => attempt(`import os\nos.setuid(0)\nassert os.getuid() == 0`), contained: printed('ESCAPED') },
  {
    name: 'mount a file system',
    code: () =>
      attempt(
        `import ctypes, ctypes.util\nlibc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)\nif libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) != 0:\n    raise OSError(ctypes.get_errno(), 'mount failed')`,
      ),
    contained: printed('ESCAPED'),
  },
  { name: 'chroot', code: () => attempt(`import os\nos.chroot('/tmp')`), contained: printed('ESCAPED') },
  {
    name: 'change the hostname',
    code: () => attempt(`import socket\nsocket.sethostname('pwned')`),
    contained: (r) => (os.hostname() === 'pwned' ? 'host name changed' : printed('ESCAPED')(r)),
  },
  {
    name: 'raw devices',
    code: () => attempt(`import os\nprint(os.listdir('/dev'))\nopen('/dev/mem', 'rb').read(1)`),
    contained: printed('ESCAPED'),
  },
  { name: 'segfault', code: () => `import ctypes\nctypes.string_at(0)`, contained: (r) => (r.passed ? 'a crash counted as a pass' : null) },
  {
    name: 'fake a pass: forged result line then exit',
    code: () =>
      `import os, sys\nsys.stdout.write('\\n\\x00RLMKIT:0000:{"stage": "done", "tests": [{"name": "x", "passed": true}]}\\n')\nsys.stdout.flush()\nos._exit(0)`,
    contained: (r) => (r.passed ? 'forged report accepted' : null),
  },
  {
    name: 'fake a pass: sys.exit(0) before the tests',
    code: () => `import sys\nsys.exit(0)`,
    contained: (r) => (r.passed ? 'early exit counted as a pass' : null),
  },
  // Issue 13, item 2 and its class: writable places, kernel objects outside RLIMIT_AS, and the syscalls that undo a sandbox.
  { name: 'write into / (the sandbox root)', code: () => attempt(`open('/pwned', 'w').write('x' * 1024)`), contained: printed('ESCAPED') },
  { name: 'write into /dev', code: () => attempt(`open('/dev/pwned', 'w').write('x' * 1024)`), contained: printed('ESCAPED') },
  {
    name: 'create a device node',
    code: () => attempt(`import os\nos.mknod('/tmp/mem', 0o600 | 0o20000, os.makedev(1, 1))\nopen('/tmp/mem', 'rb').read(1)`),
    contained: printed('ESCAPED'),
  },
  {
    name: '/dev/shm beyond its size',
    code: () =>
      `n = 0\ntry:\n    for i in range(1000):\n        with open('/dev/shm/f%d' % i, 'wb') as f:\n            for _ in range(4):\n                f.write(b'x' * 1024**2); n += 1\nexcept BaseException as e:\n    print('stopped at MB', n, type(e).__name__)`,
    contained: (r) => {
      const m = /stopped at MB (\d+)/.exec(r.stdout);
      return m && Number(m[1]) <= 16 ? null : `wrote ${m?.[1] ?? 'unbounded'} MB to /dev/shm`;
    },
  },
  {
    name: '/tmp inode flood (empty files)',
    code: () =>
      `import os\nn = 0\ntry:\n    while True:\n        open('/tmp/f%d' % n, 'w').close(); n += 1\nexcept BaseException as e:\n    print('stopped after', n, type(e).__name__)`,
    contained: (r) => {
      const m = /stopped after (\d+)/.exec(r.stdout);
      return m && Number(m[1]) <= 1024 ? null : `created ${m?.[1] ?? 'unbounded'} files`;
    },
  },
  {
    name: '/tmp inode flood (directories, symlinks)',
    code: () =>
      `import os\nn = 0\ntry:\n    while True:\n        os.mkdir('/tmp/d%d' % n); os.symlink('/x', '/tmp/l%d' % n); n += 2\nexcept BaseException as e:\n    print('stopped after', n, type(e).__name__)`,
    contained: (r) => {
      const m = /stopped after (\d+)/.exec(r.stdout);
      return m && Number(m[1]) <= 1024 ? null : `created ${m?.[1] ?? 'unbounded'} entries`;
    },
  },
  {
    name: 'ptrace the sandbox init (pid 1)',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.ptrace(16, 1, 0, 0) != 0:\n    raise OSError(ctypes.get_errno(), 'ptrace attach failed')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'ptrace a forked child (PTRACE_TRACEME)',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.ptrace(0, 0, 0, 0) != 0:\n    raise OSError(ctypes.get_errno(), 'traceme failed')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'process_vm_readv of pid 1',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.process_vm_readv(1, None, 0, None, 0, 0) < 0:\n    raise OSError(ctypes.get_errno(), 'refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'user namespace (unshare -Ur)',
    code: () =>
      `import subprocess\nr = subprocess.run(['unshare', '-Ur', 'sh', '-c', 'echo ROOT-IN-USERNS; id'], capture_output=True, text=True)\nprint(r.stdout, r.stderr)`,
    contained: printed('ROOT-IN-USERNS'),
  },
  {
    name: 'user namespace (unshare syscall)',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.unshare(0x10000000) != 0:\n    raise OSError(ctypes.get_errno(), 'unshare refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'user namespace (raw clone with CLONE_NEWUSER)',
    code: () =>
      attempt(
        `import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\npid = libc.syscall(56 if os.uname().machine == 'x86_64' else 220, 0x10000000 | 17, 0, 0, 0, 0)\nif pid == 0:\n    os._exit(0)\nif pid < 0:\n    raise OSError(ctypes.get_errno(), 'clone refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'mount namespace then tmpfs',
    code: () =>
      `import subprocess\nr = subprocess.run(['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs none /tmp && echo MOUNTED'], capture_output=True, text=True)\nprint(r.stdout, r.stderr)`,
    contained: printed('MOUNTED'),
  },
  {
    name: 'io_uring_setup',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nparams = ctypes.create_string_buffer(120)\nif libc.syscall(425, 8, params) < 0:\n    raise OSError(ctypes.get_errno(), 'io_uring refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'netlink socket',
    code: () => attempt(`import socket\nsocket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)`),
    contained: printed('ESCAPED'),
  },
  {
    name: 'packet socket',
    code: () => attempt(`import socket\nsocket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)`),
    contained: printed('ESCAPED'),
  },
  {
    name: 'bpf and perf_event_open',
    code: () =>
      attempt(
        `import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nx86 = os.uname().machine == 'x86_64'\nok = [libc.syscall(321 if x86 else 280, 0, None, 0) >= 0, libc.syscall(298 if x86 else 241, None, 0, -1, -1, 0) >= 0]\nif not any(ok):\n    raise OSError('both refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'keyring',
    code: () =>
      attempt(
        `import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.syscall(248 if os.uname().machine == 'x86_64' else 217, b'user', b'k', b'v' * 1000, 1000, -2) < 0:\n    raise OSError(ctypes.get_errno(), 'add_key refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'memfd outside the address-space limit',
    code: () => attempt(`import os\nfd = os.memfd_create('x')\nos.write(fd, b'x' * 1024**2)`),
    contained: printed('ESCAPED'),
  },
  {
    name: 'System V shared memory',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.shmget(0, 64 * 1024**2, 0o1600) < 0:\n    raise OSError(ctypes.get_errno(), 'shmget refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  {
    name: 'System V message queue',
    code: () =>
      attempt(
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.msgget(0, 0o1600) < 0:\n    raise OSError(ctypes.get_errno(), 'msgget refused')`,
      ),
    contained: printed('ESCAPED'),
  },
  { name: 'write /proc/sys', code: () => attempt(`open('/proc/sys/kernel/hostname', 'w').write('pwned')`), contained: printed('ESCAPED') },
  {
    name: 'memory across many processes',
    code: () =>
      `import os, time\nfor i in range(12):\n    if os.fork() == 0:\n        try:\n            x = bytearray(200 * 1024**2)\n        except MemoryError:\n            pass\n        time.sleep(10); os._exit(0)\ntime.sleep(10)\nprint('ALL-ALLOCATED')`,
    limits: { timeoutMs: 8000, memoryBytes: 512 * 1024 ** 2 },
    contained: (r) =>
      r.stdout.includes('ALL-ALLOCATED') ? 'twelve processes held 200 MB each' : r.status === 'killed' ? null : `status ${r.status}`,
  },
  {
    name: 'spawn a shell that calls out',
    code: () =>
      `import subprocess\nr = subprocess.run(['sh', '-c', 'cat /etc/shadow; (echo > /dev/tcp/1.1.1.1/80) && echo NET'], capture_output=True, text=True)\nprint(r.stdout, r.stderr)`,
    contained: printed('NET'),
  },
];

/**
 * Host-cost attacks (issue 13, item 2): each runs alone while the host samples /proc/meminfo, and
 * holds what it got until the deadline. Budget: Shmem (tmpfs pages) may grow by at most
 * tmpBytes + shmBytes + HOST_MARGIN.shmem, kernel slab (inodes, dentries) by HOST_MARGIN.slab, and
 * the sandbox's process tree (watchdog peak) by memoryBytes + HOST_MARGIN.processes.
 */
const MiB = 1024 * 1024;
export const HOST_LIMITS: Partial<SandboxLimits> = {
  timeoutMs: 4000,
  memoryBytes: 256 * MiB,
  tmpBytes: 64 * MiB,
  shmBytes: 16 * MiB,
  maxFiles: 1024,
};
export const HOST_MARGIN = { shmem: 16 * MiB, slab: 64 * MiB, processes: 64 * MiB };

const hold = `import time\ntime.sleep(30)`;
export const HOST_MEMORY_ATTACKS: Array<{ name: string; code: string }> = [
  {
    name: 'fill /dev/shm with many files',
    code: `n = 0\ntry:\n    for i in range(10000):\n        with open('/dev/shm/f%d' % i, 'wb') as f:\n            f.write(b'x' * 4 * 1024**2)\nexcept BaseException as e:\n    print('stopped', type(e).__name__)\n${hold}`,
  },
  {
    name: 'fill /tmp with many files',
    code: `try:\n    for i in range(10000):\n        with open('/tmp/f%d' % i, 'wb') as f:\n            f.write(b'x' * 8 * 1024**2)\nexcept BaseException as e:\n    print('stopped', type(e).__name__)\n${hold}`,
  },
  {
    name: 'fill /dev and / directly',
    code: `for p in ['/dev/big', '/big', '/code/big', '/proc/big']:\n    try:\n        with open(p, 'wb') as f:\n            for _ in range(1024): f.write(b'x' * 1024**2)\n    except BaseException as e:\n        print(p, type(e).__name__)\n${hold}`,
  },
  {
    name: 'inode flood in every writable place',
    code: `import os\nfor d in ['/tmp', '/dev/shm', '/', '/dev']:\n    n = 0\n    try:\n        while n < 10**6:\n            os.mkdir('%s/d%d' % (d.rstrip('/'), n)); n += 1\n    except BaseException as e:\n        print(d, n, type(e).__name__)\n${hold}`,
  },
  {
    name: 'memory in many processes at once',
    code: `import os, time\nfor i in range(15):\n    if os.fork() == 0:\n        try:\n            x = bytearray(200 * 1024**2)\n        except MemoryError:\n            pass\n        time.sleep(30); os._exit(0)\n${hold}`,
  },
  {
    name: 'everything at once from four processes',
    code: `import os\nkids = []\nfor job in range(4):\n    if os.fork() == 0:\n        try:\n            if job == 0:\n                for i in range(10000): open('/tmp/f%d' % i, 'wb').write(b'x' * 8 * 1024**2)\n            elif job == 1:\n                for i in range(10000): open('/dev/shm/f%d' % i, 'wb').write(b'x' * 4 * 1024**2)\n            elif job == 2:\n                for i in range(10**6): os.mkdir('/tmp/d%d' % i)\n            else:\n                x = bytearray(250 * 1024**2)\n        except BaseException:\n            pass\n        import time; time.sleep(30); os._exit(0)\n${hold}`,
  },
];

export interface MemInfo {
  shmem: number;
  slab: number;
  used: number;
  /** Bytes used on the file system holding the host's temporary folder (where the program folder lives). */
  disk: number;
}

export function memInfo(): MemInfo {
  const text = fs.readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const st = fs.statfsSync(os.tmpdir());
  return { shmem: kb('Shmem'), slab: kb('Slab'), used: kb('MemTotal') - kb('MemAvailable'), disk: (st.blocks - st.bfree) * st.bsize };
}

/** Runs `f` while sampling /proc/meminfo every 20 ms; returns the largest growth of each figure. */
export async function hostGrowth<T>(f: () => Promise<T>): Promise<{ value: T; growth: MemInfo }> {
  const base = memInfo();
  const growth: MemInfo = { shmem: 0, slab: 0, used: 0, disk: 0 };
  const sample = () => {
    const m = memInfo();
    for (const k of ['shmem', 'slab', 'used', 'disk'] as const) growth[k] = Math.max(growth[k], m[k] - base[k]);
  };
  const timer = setInterval(sample, 20);
  try {
    const value = await f();
    sample();
    return { value, growth };
  } finally {
    clearInterval(timer);
  }
}

/** Null when the growth is within budget, else what went over. */
export function overBudget(r: ExecutionResult, g: MemInfo, limits: Partial<SandboxLimits> = HOST_LIMITS): string | null {
  const over: string[] = [];
  const shmemBudget = (limits.tmpBytes ?? 0) + (limits.shmBytes ?? 0) + HOST_MARGIN.shmem;
  if (g.shmem > shmemBudget) over.push(`tmpfs memory grew ${(g.shmem / MiB).toFixed(0)} MiB > ${(shmemBudget / MiB).toFixed(0)} MiB`);
  if (g.slab > HOST_MARGIN.slab)
    over.push(`kernel slab grew ${(g.slab / MiB).toFixed(0)} MiB > ${(HOST_MARGIN.slab / MiB).toFixed(0)} MiB`);
  const procBudget = (limits.memoryBytes ?? 0) + HOST_MARGIN.processes;
  if ((r.usage.memoryBytes ?? 0) > procBudget)
    over.push(`process tree peaked at ${((r.usage.memoryBytes ?? 0) / MiB).toFixed(0)} MiB > ${(procBudget / MiB).toFixed(0)} MiB`);
  return over.length ? over.join('; ') : null;
}
