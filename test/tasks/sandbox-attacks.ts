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
import type { ExecutionResult } from '../../src/tasks/sandbox/limits.js';

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
  limits?: { timeoutMs?: number; cpuSeconds?: number; memoryBytes?: number };
  /** Returns null when contained, else what escaped. */
  contained: (r: ExecutionResult, h: Host) => string | null;
}

const noLeak = (r: ExecutionResult, h: Host): string | null => (r.stdout.includes(h.canary) || r.stderr.includes(h.canary) ? 'the canary leaked' : null);
const printed = (flag: string) => (r: ExecutionResult): string | null => (r.stdout.includes(flag) ? `program printed ${flag}` : null);
const both = (...fs: Array<(r: ExecutionResult, h: Host) => string | null>) => (r: ExecutionResult, h: Host) => fs.map((f) => f(r, h)).find((x) => x !== null) ?? null;
const victimAlive = (_r: ExecutionResult, h: Host): string | null => (h.victim.exitCode === null && h.victim.signalCode === null ? null : 'the host process was killed');

/** Wraps a body so that any exception prints BLOCKED and success prints ESCAPED. */
const attempt = (body: string) => `try:\n${body.split('\n').map((l) => `    ${l}`).join('\n')}\n    print("ESCAPED")\nexcept BaseException as e:\n    print("BLOCKED", type(e).__name__)\n`;

export const ATTACKS: Attack[] = [
  { name: 'write /etc/passwd', code: () => attempt(`open('/etc/passwd', 'a').write('evil:x:0:0::/:/bin/sh\\n')`), contained: printed('ESCAPED') },
  { name: 'write into /usr', code: () => attempt(`open('/usr/bin/evil', 'w').write('x')`), contained: printed('ESCAPED') },
  {
    name: 'write a marker into the host /tmp',
    code: (h) => `open(${JSON.stringify(h.markerPath)}, 'w').write('pwned')\nprint('wrote')`,
    contained: (_r, h) => (fs.existsSync(h.markerPath) ? 'marker file appeared on the host' : null),
  },
  { name: 'write into the repository', code: (h) => attempt(`open(${JSON.stringify(h.repoFile)}, 'a').write('pwned')`), contained: (r, h) => (fs.readFileSync(h.repoFile, 'utf8').includes('pwned') ? 'repository file modified' : printed('ESCAPED')(r)) },
  { name: 'write into /code (the program folder)', code: () => attempt(`open('/code/runner.py', 'a').write('pwned')`), contained: printed('ESCAPED') },
  { name: 'read /etc/shadow', code: () => attempt(`print(open('/etc/shadow').read()[:50])`), contained: printed('ESCAPED') },
  { name: 'read /root and /home', code: () => attempt(`import os\nprint(os.listdir('/root'), os.listdir('/home'))`), contained: printed('ESCAPED') },
  { name: 'read the shared benchmark data', code: () => attempt(`import os\nprint(os.listdir('/work'))`), contained: printed('ESCAPED') },
  { name: 'host file through /proc/1/root', code: () => attempt(`print(open('/proc/1/root/etc/shadow').read()[:20])`), contained: printed('ESCAPED') },
  { name: 'environment variables', code: () => `import os\nprint(dict(os.environ))`, contained: noLeak },
  { name: '/proc/self/environ and /proc/1/environ', code: () => `for p in ['/proc/self/environ', '/proc/1/environ']:\n    try: print(open(p, 'rb').read())\n    except Exception as e: print('no', p, e)`, contained: noLeak },
  { name: 'environ of every visible process', code: () => `import os\nfor p in os.listdir('/proc'):\n    if p.isdigit():\n        try: print(open('/proc/%s/environ' % p, 'rb').read())\n        except Exception: pass`, contained: noLeak },
  { name: 'host processes are invisible', code: () => `import os\nprint('PIDS', len([p for p in os.listdir('/proc') if p.isdigit()]))`, contained: (r) => { const m = /PIDS (\d+)/.exec(r.stdout); return m && Number(m[1]) <= 5 ? null : `saw ${m?.[1] ?? '?'} processes`; } },
  { name: 'internet connection', code: () => attempt(`import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)`), contained: printed('ESCAPED') },
  { name: 'DNS lookup', code: () => attempt(`import socket\nsocket.getaddrinfo('example.com', 80)`), contained: printed('ESCAPED') },
  { name: 'host loopback service', code: (h) => attempt(`import socket\ns = socket.create_connection(('127.0.0.1', ${h.port}), timeout=3)\nprint(s.recv(100))`), contained: both(printed('ESCAPED'), printed('hello from the host')) },
  { name: 'UDP send', code: () => attempt(`import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))`), contained: printed('ESCAPED') },
  { name: 'docker socket', code: () => attempt(`import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/var/run/docker.sock')`), contained: printed('ESCAPED') },
  { name: 'kill the parent', code: () => `import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept Exception as e:\n    print('no', e)`, contained: victimAlive },
  { name: 'kill every process (kill -1)', code: () => `import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept Exception as e:\n    print('no', e)`, contained: victimAlive },
  { name: 'kill the host victim by pid', code: (h) => attempt(`import os, signal\nos.kill(${h.victim.pid}, signal.SIGKILL)`), contained: both(victimAlive, printed('ESCAPED')) },
  { name: 'fork bomb', code: () => `import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(5); os._exit(0)\n        n += 1\nexcept Exception as e:\n    print('stopped after', n, type(e).__name__)`, limits: { timeoutMs: 8000 }, contained: (r) => { const m = /stopped after (\d+)/.exec(r.stdout); return m && Number(m[1]) < 64 ? null : `forked ${m?.[1] ?? 'without limit'}`; } },
  { name: 'thread bomb', code: () => `import threading, time\nn = 0\ntry:\n    while True:\n        threading.Thread(target=time.sleep, args=(5,), daemon=True).start(); n += 1\nexcept Exception as e:\n    print('stopped after', n, type(e).__name__)`, limits: { timeoutMs: 8000 }, contained: (r) => { const m = /stopped after (\d+)/.exec(r.stdout); return m && Number(m[1]) < 64 ? null : `started ${m?.[1] ?? 'unbounded'} threads`; } },
  { name: 'memory bomb (one huge allocation)', code: () => attempt(`x = bytearray(8 * 1024**3)`), contained: printed('ESCAPED') },
  { name: 'memory bomb (growing list)', code: () => `x = []\nwhile True:\n    x.append(bytearray(50 * 1024**2))`, limits: { timeoutMs: 10000 }, contained: (r) => (r.status === 'ok' ? 'allocation never stopped' : null) },
  { name: 'infinite loop', code: () => `while True:\n    pass`, limits: { timeoutMs: 3000, cpuSeconds: 2 }, contained: (r) => (r.status === 'timeout' || r.status === 'killed' ? (r.usage.wallMs < 4500 ? null : `ran ${r.usage.wallMs} ms`) : `status ${r.status}`) },
  { name: 'sleep forever', code: () => `import time\ntime.sleep(10**6)`, limits: { timeoutMs: 2000 }, contained: (r) => (r.status === 'timeout' && r.usage.wallMs < 3500 ? null : `status ${r.status} after ${r.usage.wallMs} ms`) },
  { name: 'fill the disk', code: () => `n = 0\ntry:\n    with open('/tmp/big', 'wb') as f:\n        while True:\n            f.write(b'x' * 1024**2); f.flush(); n += 1\nexcept BaseException as e:\n    print('stopped at MB', n, type(e).__name__)`, limits: { timeoutMs: 8000 }, contained: (r) => { const m = /stopped at MB (\d+)/.exec(r.stdout); return m && Number(m[1]) <= 64 ? null : r.status !== 'ok' ? null : `wrote ${m?.[1]} MB`; } },
  { name: 'open files without limit', code: () => `fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\nexcept OSError as e:\n    print('stopped after', len(fs))`, contained: (r) => { const m = /stopped after (\d+)/.exec(r.stdout); return m && Number(m[1]) < 100 ? null : 'no file limit'; } },
  { name: 'stdout flood', code: () => `import sys\nfor _ in range(200):\n    sys.stdout.write('A' * 1024 * 1024)`, limits: { timeoutMs: 10000 }, contained: (r) => (r.stdout.length <= 16 * 1024 && r.stdoutTruncated ? null : `stdout of ${r.stdout.length} bytes`) },
  { name: 'stderr flood', code: () => `import sys\nfor _ in range(200):\n    sys.stderr.write('E' * 1024 * 1024)`, limits: { timeoutMs: 10000 }, contained: (r) => (r.stderr.length <= 16 * 1024 && r.stderrTruncated ? null : `stderr of ${r.stderr.length} bytes`) },
  { name: 'become root', code: () => attempt(`import os\nos.setuid(0)\nassert os.getuid() == 0`), contained: printed('ESCAPED') },
  { name: 'mount a file system', code: () => attempt(`import ctypes, ctypes.util\nlibc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)\nif libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) != 0:\n    raise OSError(ctypes.get_errno(), 'mount failed')`), contained: printed('ESCAPED') },
  { name: 'chroot', code: () => attempt(`import os\nos.chroot('/tmp')`), contained: printed('ESCAPED') },
  { name: 'change the hostname', code: () => attempt(`import socket\nsocket.sethostname('pwned')`), contained: (r) => (os.hostname() === 'pwned' ? 'host name changed' : printed('ESCAPED')(r)) },
  { name: 'raw devices', code: () => attempt(`import os\nprint(os.listdir('/dev'))\nopen('/dev/mem', 'rb').read(1)`), contained: printed('ESCAPED') },
  { name: 'segfault', code: () => `import ctypes\nctypes.string_at(0)`, contained: (r) => (r.passed ? 'a crash counted as a pass' : null) },
  { name: 'fake a pass: forged result line then exit', code: () => `import os, sys\nsys.stdout.write('\\n\\x00RLMKIT:0000:{"stage": "done", "tests": [{"name": "x", "passed": true}]}\\n')\nsys.stdout.flush()\nos._exit(0)`, contained: (r) => (r.passed ? 'forged report accepted' : null) },
  { name: 'fake a pass: sys.exit(0) before the tests', code: () => `import sys\nsys.exit(0)`, contained: (r) => (r.passed ? 'early exit counted as a pass' : null) },
  { name: 'spawn a shell that calls out', code: () => `import subprocess\nr = subprocess.run(['sh', '-c', 'cat /etc/shadow; (echo > /dev/tcp/1.1.1.1/80) && echo NET'], capture_output=True, text=True)\nprint(r.stdout, r.stderr)`, contained: printed('NET') },
];
