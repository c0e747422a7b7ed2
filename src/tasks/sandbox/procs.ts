/**
 * Host-side accounting for the Python sandbox: the memory of a whole process tree (RLIMIT_AS is
 * per process, so sixteen processes could each take the limit), and a byte-capped output buffer.
 * Linux /proc only.
 */
import * as fs from 'node:fs';

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** `pid` and all its descendants (through /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number, limit = 4096): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && out.length < limit) {
    const p = stack.pop()!;
    out.push(p);
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      for (const c of readOr(`/proc/${p}/task/${tid}/children`).split(' ')) {
        const n = Number(c);
        if (c.trim() && Number.isInteger(n)) stack.push(n);
      }
    }
  }
  return out;
}

/**
 * Private memory of a process tree in bytes: anonymous memory plus shared memory it maps
 * (RssAnon + RssShmem), so shared library pages are not counted once per process.
 */
export function treeMemoryBytes(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    const status = readOr(`/proc/${p}/status`);
    for (const key of ['RssAnon:', 'RssShmem:']) {
      const at = status.indexOf(key);
      if (at >= 0) kb += parseInt(status.slice(at + key.length), 10) || 0;
    }
  }
  return kb * 1024;
}

/**
 * Keeps the first `max` bytes of a stream (what the user sees) and, separately, its last
 * `tailMax` bytes (where the runner's report line is), remembering whether anything was cut.
 */
export class CappedBuffer {
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
      const joined = Buffer.concat([this.tailBuf, b.length > this.tailMax ? b.subarray(b.length - this.tailMax) : b]);
      this.tailBuf = joined.length > this.tailMax ? Buffer.from(joined.subarray(joined.length - this.tailMax)) : joined;
    }
    if (this.size >= this.max) {
      this.truncated = true;
      return;
    }
    const room = this.max - this.size;
    if (b.length > room) this.truncated = true;
    const part = b.length > room ? Buffer.from(b.subarray(0, room)) : b;
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
