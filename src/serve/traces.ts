/**
 * The traces of recently served searches, fetched with `GET /v1/traces/<id>` (the id comes back
 * in the response's `rlmkit.trace_id` and the `X-Rlmkit-Trace-Id` header). Bounded by count and
 * by bytes (oldest dropped first), so a busy server's memory stays flat; a dropped or unknown id
 * is a 404.
 */
import type { Trace } from '../reasoning/trace.js';

export class TraceStore {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(
    readonly maxEntries = 256,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** Stores the traces of one request as JSON text; returns false when they alone exceed the byte cap. */
  put(id: string, traces: Trace[]): boolean {
    const text = JSON.stringify({ id, object: 'rlmkit.trace', traces });
    if (text.length > this.maxBytes || this.maxEntries <= 0) return false;
    this.delete(id);
    this.entries.set(id, text);
    this.bytes += text.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    return true;
  }

  get(id: string): string | undefined {
    return this.entries.get(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  private delete(id: string): void {
    const old = this.entries.get(id);
    if (old === undefined) return;
    this.bytes -= old.length;
    this.entries.delete(id);
  }
}
