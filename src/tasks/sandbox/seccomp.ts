/**
 * The seccomp filter of the Python sandbox: a classic-BPF program (struct sock_filter[], the
 * format `bwrap --seccomp FD` reads, as libseccomp's seccomp_export_bpf writes it), generated here
 * so no compiler or libseccomp is needed. Kernel reference: Documentation/userspace-api/seccomp_filter.rst
 * (struct seccomp_data: nr @0, arch @4, instruction pointer @8, args[i] @16+8i).
 *
 * What the guest loses (each answers EPERM unless noted; everything else is allowed):
 * - other processes: ptrace, process_vm_readv/writev;
 * - new namespaces: unshare, setns, clone with any CLONE_NEW* flag, clone3 (ENOSYS, so the C
 *   library falls back to clone, whose flags we can inspect) — no user namespaces, so no way to
 *   regain capabilities and mount an uncapped tmpfs;
 * - io_uring (ENOSYS), bpf, perf_event_open, userfaultfd, keyrings;
 * - sockets other than AF_UNIX, AF_INET, AF_INET6 (EAFNOSUPPORT): no netlink, no packet sockets
 *   (the network namespace is empty anyway);
 * - memory outside the address-space limit: memfd_create and memfd_secret (ENOSYS: Python and
 *   libffi fall back to other means), System V shared memory, message queues and semaphores (their
 *   pages live in the IPC namespace, not in any process, so RLIMIT_AS does not count them);
 * - kernel administration: modules, kexec, reboot, swap, accounting, quotas, syslog, handles.
 * mount and friends stay allowed for the sandbox's own set-up step (it mounts the size- and
 * inode-capped /tmp and /dev/shm); the guest itself has no capabilities and an empty bounding set,
 * so the kernel refuses its mounts.
 *
 * The architecture is checked first; a filter for another architecture kills the process (a
 * 32-bit or x32 syscall table would bypass the numbers below).
 */
import * as os from 'node:os';

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const retErrno = (errno: number): number => 0x00050000 | errno;

// Classic BPF opcodes (linux/bpf_common.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

/** All CLONE_NEW* flags: NS, CGROUP, UTS, IPC, USER, PID, NET (and CLONE_NEWTIME is 0x80 in clone3 only). */
const CLONE_NEW_ANY = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

interface ArchTable {
  audit: number;
  /** x86-64: syscalls with bit 30 set are the x32 ABI. */
  x32Bit?: boolean;
  nr: Record<string, number>;
}

const BLOCKED_EPERM = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'unshare',
  'setns',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'keyctl',
  'add_key',
  'request_key',
  'shmget',
  'shmat',
  'shmctl',
  'shmdt',
  'msgget',
  'msgsnd',
  'msgrcv',
  'msgctl',
  'semget',
  'semop',
  'semctl',
  'semtimedop',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'quotactl',
  'quotactl_fd',
  'syslog',
  'name_to_handle_at',
  'open_by_handle_at',
  'lookup_dcookie',
  'vhangup',
] as const;
const BLOCKED_ENOSYS = ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'memfd_create', 'memfd_secret'] as const;

// Numbers from the kernel's asm/unistd_64.h (x86-64) and asm-generic/unistd.h (arm64).
const X86_64: ArchTable = {
  audit: 0xc000003e,
  x32Bit: true,
  nr: {
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    unshare: 272,
    setns: 308,
    clone: 56,
    clone3: 435,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    bpf: 321,
    perf_event_open: 298,
    userfaultfd: 323,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    memfd_create: 319,
    memfd_secret: 447,
    socket: 41,
    shmget: 29,
    shmat: 30,
    shmctl: 31,
    shmdt: 67,
    msgget: 68,
    msgsnd: 69,
    msgrcv: 70,
    msgctl: 71,
    semget: 64,
    semop: 65,
    semctl: 66,
    semtimedop: 220,
    kexec_load: 246,
    kexec_file_load: 320,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    reboot: 169,
    swapon: 167,
    swapoff: 168,
    acct: 163,
    quotactl: 179,
    quotactl_fd: 443,
    syslog: 103,
    name_to_handle_at: 303,
    open_by_handle_at: 304,
    lookup_dcookie: 212,
    vhangup: 153,
  },
};
const AARCH64: ArchTable = {
  audit: 0xc00000b7,
  nr: {
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    unshare: 97,
    setns: 268,
    clone: 220,
    clone3: 435,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    bpf: 280,
    perf_event_open: 241,
    userfaultfd: 282,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    memfd_create: 279,
    memfd_secret: 447,
    socket: 198,
    shmget: 194,
    shmat: 196,
    shmctl: 195,
    shmdt: 197,
    msgget: 186,
    msgsnd: 189,
    msgrcv: 188,
    msgctl: 187,
    semget: 190,
    semop: 193,
    semctl: 191,
    semtimedop: 192,
    kexec_load: 104,
    kexec_file_load: 294,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    reboot: 142,
    swapon: 224,
    swapoff: 225,
    acct: 89,
    quotactl: 60,
    quotactl_fd: 443,
    syslog: 116,
    name_to_handle_at: 264,
    open_by_handle_at: 265,
    lookup_dcookie: 18,
    vhangup: 58,
  },
};

type Insn = [code: number, jt: number, jf: number, k: number];

/** The filter's instructions for one architecture (exported for tests). */
export function seccompProgram(arch: string = os.arch()): Insn[] {
  const t = arch === 'x64' ? X86_64 : arch === 'arm64' ? AARCH64 : null;
  if (!t) throw new Error(`no seccomp syscall table for architecture ${arch}`);
  const p: Insn[] = [
    [LD_W_ABS, 0, 0, 4], // arch
    [JEQ_K, 1, 0, t.audit],
    [RET_K, 0, 0, RET_KILL_PROCESS],
    [LD_W_ABS, 0, 0, 0], // syscall number
  ];
  if (t.x32Bit) p.push([JGE_K, 0, 1, 0x40000000], [RET_K, 0, 0, retErrno(ENOSYS)]);
  const block = (name: string, ret: number) => p.push([JEQ_K, 0, 1, t.nr[name]], [RET_K, 0, 0, ret]);
  for (const name of BLOCKED_EPERM) block(name, retErrno(EPERM));
  for (const name of BLOCKED_ENOSYS) block(name, retErrno(ENOSYS));
  // clone(flags, ...): flags is the first argument on both architectures; low 32 bits at offset 16.
  p.push(
    [JEQ_K, 0, 4, t.nr.clone],
    [LD_W_ABS, 0, 0, 16],
    [JSET_K, 0, 1, CLONE_NEW_ANY],
    [RET_K, 0, 0, retErrno(EPERM)],
    [RET_K, 0, 0, RET_ALLOW],
  );
  // socket(domain, ...): only local and IP sockets.
  p.push(
    [JEQ_K, 0, 6, t.nr.socket],
    [LD_W_ABS, 0, 0, 16],
    [JEQ_K, 3, 0, AF_UNIX],
    [JEQ_K, 2, 0, AF_INET],
    [JEQ_K, 1, 0, AF_INET6],
    [RET_K, 0, 0, retErrno(EAFNOSUPPORT)],
    [RET_K, 0, 0, RET_ALLOW],
  );
  p.push([RET_K, 0, 0, RET_ALLOW]);
  return p;
}

/** The filter as bytes (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k, in host byte order). */
export function seccompFilterBytes(arch: string = os.arch()): Buffer {
  const prog = seccompProgram(arch);
  const buf = Buffer.alloc(prog.length * 8);
  const le = os.endianness() === 'LE';
  prog.forEach(([code, jt, jf, k], i) => {
    if (le) buf.writeUInt16LE(code, i * 8);
    else buf.writeUInt16BE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    if (le) buf.writeUInt32LE(k >>> 0, i * 8 + 4);
    else buf.writeUInt32BE(k >>> 0, i * 8 + 4);
  });
  return buf;
}
