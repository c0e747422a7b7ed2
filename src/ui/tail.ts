/**
 * Follows a run's metrics.jsonl while training appends to it. Polls the file (fs.watch misses the
 * atomic rename a resume uses to drop records past a checkpoint): new complete lines become
 * `append` events; a file that shrank or was replaced (another inode) becomes one `reset` event
 * with every record, so the UI never shows records a resume dropped.
 */
import * as fs from 'node:fs';
import { readInputText } from '../core/input.js';
import { parseJsonl } from './runs.js';

export type TailEvent =
  | { kind: 'reset'; records: Record<string, unknown>[]; skipped: number }
  | { kind: 'append'; records: Record<string, unknown>[]; skipped: number };

export class MetricsTail {
  private offset = 0;
  private ino = -1;
  private size = -1;
  private started = false;

  constructor(private readonly file: string) {}

  /** The next event, or null when nothing changed. The first call always returns a reset. */
  poll(): TailEvent | null {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(this.file);
      // A FIFO or device named metrics.jsonl is never opened (it could block or never end).
      if (!st.isFile()) st = null;
    } catch {
      st = null;
    }
    if (!st) {
      if (this.started && this.size <= 0) return null;
      this.started = true;
      this.offset = 0;
      this.size = 0;
      this.ino = -1;
      return { kind: 'reset', records: [], skipped: 0 };
    }
    if (!this.started || st.ino !== this.ino || st.size < this.size) {
      this.started = true;
      const r = parseJsonl(readInputText(this.file, { kind: 'data', what: 'metrics file' }));
      this.ino = st.ino;
      this.size = st.size;
      this.offset = r.offset;
      return { kind: 'reset', records: r.records, skipped: r.skipped };
    }
    if (st.size === this.size) return null;
    this.size = st.size;
    const fd = fs.openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(st.size - this.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      const r = parseJsonl(buf.subarray(0, n).toString('utf8'));
      this.offset += r.offset;
      if (r.records.length === 0 && r.skipped === 0) return null;
      return { kind: 'append', records: r.records, skipped: r.skipped };
    } finally {
      fs.closeSync(fd);
    }
  }
}
