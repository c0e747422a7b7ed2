/**
 * One JavaScript run in QuickJS compiled to WebAssembly (quickjs-emscripten). The guest has no file
 * system, network, process or timers — only the ECMAScript built-ins and a `console` that we
 * capture. A fresh runtime per run, with a heap limit, a stack limit and an interrupt handler that
 * stops the guest at the deadline. (Node's `vm` is not a security boundary; this is.) This module
 * runs inside a worker thread (js-worker.ts), so a run never blocks the caller's event loop and can
 * be stopped from outside; javascript.ts is the entry point.
 *
 * Memory: QuickJS's own allocation limit is not reliable in this build (arrays filled natively
 * overshoot it by far), so each run gets a fresh WebAssembly module whose linear memory has a hard
 * maximum (16 MiB for QuickJS itself + the limit): the guest cannot grow past it, whatever it does.
 *
 * Output: console arguments are formatted inside the guest (so the guest pays for toJSON, getters
 * and huge strings under its own time and memory limits) and only the part that still fits the
 * output cap crosses to the host: the host asks for at most `remaining bytes` characters of each
 * argument, and stops asking once the cap is reached. A guest cannot make the host build a string
 * larger than the cap (issue 13: console.log.apply with 200 strings of 16 MB).
 *
 * Outcome: a run that reached its deadline is `timeout` and one that reached its memory limit is
 * `killed`, whatever happened after (a guest that swallows the interrupt, or an interrupt inside
 * console formatting, can never be reported as a pass). Recursion is bounded by QuickJS's stack
 * limit (a guest `InternalError: stack overflow`); a host stack overflow, should one still happen,
 * ends the run as an error result instead of escaping as a host RangeError.
 */
import {
  RELEASE_SYNC,
  newQuickJSWASMModule,
  newVariant,
  shouldInterruptAfterDeadline,
  type QuickJSContext,
  type QuickJSHandle,
} from 'quickjs-emscripten';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { type ExecutionResult, type SandboxLimits, type TestResult } from './limits.js';

// WebAssembly is a Node global; the project compiles without the DOM lib that declares it.
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
      compile(bytes: Uint8Array): Promise<unknown>;
    };
  }
).WebAssembly;

/** QuickJS's C stack limit: deep enough for ordinary recursion, below where the host's own stack would overflow first. */
export const QUICKJS_STACK_BYTES = 256 * 1024;
/** Longest error message kept from the guest. */
const MAX_ERROR_CHARS = 2000;

let compiled: Promise<unknown | null> | null = null;
/** QuickJS's WebAssembly code, compiled once per thread (instances, with their memory, are fresh per run). */
function compiledQuickJS(): Promise<unknown | null> {
  compiled ??= (async () => {
    try {
      const file = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
      return await WA.compile(fs.readFileSync(file));
    } catch {
      return null;
    }
  })();
  return compiled;
}

export interface JavaScriptProgram {
  program: string;
  /** Snippets evaluated after the program, each one test (a throw fails it). */
  tests?: string[];
}

/** Output kept up to a byte cap; what is past the cap is never turned into a host string. */
class ByteSink {
  private chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  remaining(): number {
    return this.max - this.bytes;
  }
  write(s: string): void {
    if (s.length === 0) return;
    const room = this.remaining();
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    let b = Buffer.from(s, 'utf8');
    if (b.length > room) {
      b = b.subarray(0, room);
      this.truncated = true;
    }
    this.chunks.push(b);
    this.bytes += b.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Guest-side formatter, evaluated before the program so it holds the original built-ins: returns
 * the first `n` characters of a console argument formatted roughly as Node does (strings as is,
 * 10n for bigints, JSON for objects, "Name: message" for errors).
 */
const PRELUDE = `(() => {
  const stringify = JSON.stringify, S = String, slice = Function.prototype.call.bind(String.prototype.slice), ErrorCtor = Error;
  const replacer = (k, x) => typeof x === 'bigint' ? S(x) + 'n' : x;
  const fmt = (v) => {
    switch (typeof v) {
      case 'string': return v;
      case 'bigint': return S(v) + 'n';
      case 'undefined': return 'undefined';
      case 'function': return '[Function]';
      case 'object': {
        if (v === null) return 'null';
        try { if (v instanceof ErrorCtor) return S(v); } catch (e) {}
        try { const s = stringify(v, replacer); if (typeof s === 'string') return s; } catch (e) {}
        try { return S(v); } catch (e) { return '[object]'; }
      }
      default: return S(v);
    }
  };
  return (v, n) => { const s = fmt(v); return typeof s !== 'string' ? '' : s.length > n ? slice(s, 0, n) : s; };
})()`;

export async function runInQuickJS(js: JavaScriptProgram, limits: SandboxLimits): Promise<ExecutionResult> {
  const PAGE = 65536;
  const basePages = 256; // 16 MiB: QuickJS's own start-up size
  const maxPages = Math.min(32768, basePages + Math.ceil(limits.memoryBytes / PAGE));
  const memory = new WA.Memory({ initial: basePages, maximum: maxPages });
  const wasmModule = await compiledQuickJS();
  const QuickJS = await newQuickJSWASMModule(
    newVariant(RELEASE_SYNC, { wasmMemory: memory as never, ...(wasmModule ? { wasmModule: wasmModule as never } : {}) }),
  );
  const heap = (): number => memory.buffer.byteLength;
  const heapAtStart = heap();
  const runtime = QuickJS.newRuntime();
  const t0 = performance.now();
  const deadline = Date.now() + limits.timeoutMs;
  runtime.setMemoryLimit(Math.min(limits.memoryBytes, 2 ** 31 - 1));
  runtime.setMaxStackSize(QUICKJS_STACK_BYTES);
  let interrupted = false;
  let overMemory = false;
  const interrupt = shouldInterruptAfterDeadline(deadline);
  runtime.setInterruptHandler((rt) => {
    if (heap() - heapAtStart > limits.memoryBytes) {
      overMemory = true;
      return true;
    }
    const stop = interrupt(rt);
    if (stop) interrupted = true;
    return stop;
  });
  const ctx = runtime.newContext();
  const stdout = new ByteSink(limits.maxOutputBytes);
  const stderr = new ByteSink(limits.maxOutputBytes);
  const tests: TestResult[] = [];
  let error: string | undefined;
  let guestError = false;
  let hostFailure: string | undefined;
  let clip: QuickJSHandle | undefined;
  try {
    const pre = ctx.evalCode(PRELUDE, 'prelude.js');
    if (pre.error) {
      pre.error.dispose();
      throw new Error('the sandbox prelude failed');
    }
    clip = pre.value;
    const clipFn = clip;
    /** The first `n` characters of a formatted value, or the guest error it raised. */
    const clipped = (h: QuickJSHandle, n: number): string | { error: QuickJSHandle } => {
      const nh = ctx.newNumber(Math.max(0, n));
      const r = ctx.callFunction(clipFn, ctx.undefined, h, nh);
      nh.dispose();
      if (r.error) return { error: r.error };
      const s = ctx.getString(r.value);
      r.value.dispose();
      return s;
    };
    const describe = (h: QuickJSHandle): string => {
      const s = clipped(h, MAX_ERROR_CHARS);
      h.dispose();
      if (typeof s === 'string') return s;
      s.error.dispose();
      return 'the thrown value could not be formatted';
    };
    installConsole(ctx, clipped, stdout, stderr);

    const main = ctx.evalCode(js.program, 'solution.js');
    if (main.error) {
      error = describe(main.error);
      guestError = true;
    } else {
      main.value.dispose();
      for (const [i, t] of (js.tests ?? []).entries()) {
        if (interrupted || overMemory) break;
        const name = t.trim().split('\n')[0].slice(0, 120) || `test ${i}`;
        const r = ctx.evalCode(t, `test_${i}.js`);
        if (r.error) tests.push({ name, passed: false, error: describe(r.error) });
        else {
          r.value.dispose();
          tests.push({ name, passed: true });
        }
      }
    }
  } catch (e) {
    // A host exception thrown through QuickJS's frames (e.g. the host stack overflowed): the
    // module's state is unusable, but the run still ends in a result.
    hostFailure =
      e instanceof RangeError
        ? `stack overflow (recursion too deep): ${e.message}`
        : `the JavaScript engine failed: ${(e as Error).message}`;
  }
  if (!hostFailure) {
    try {
      clip?.dispose();
      ctx.dispose();
      runtime.dispose();
    } catch {
      /* after an out-of-memory error QuickJS may refuse to free cleanly; the module is dropped anyway */
    }
  }
  const wallMs = performance.now() - t0;
  // The heap growth of this run's module (QuickJS's own statistics are unusable after an out-of-memory error).
  const memUsed = Math.max(0, heap() - heapAtStart);
  const outOfMemory = overMemory || (error !== undefined && /out of memory/i.test(error));
  const status: ExecutionResult['status'] = outOfMemory ? 'killed' : interrupted ? 'timeout' : hostFailure || guestError ? 'error' : 'ok';
  return {
    passed: status === 'ok' && tests.length > 0 && tests.every((t) => t.passed),
    status,
    tests,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    exitCode: null,
    signal: null,
    error: outOfMemory
      ? `memory limit of ${limits.memoryBytes} bytes reached`
      : interrupted
        ? `time limit of ${limits.timeoutMs} ms reached`
        : (hostFailure ?? error),
    usage: { wallMs, cpuMs: null, maxRssKb: null, memoryBytes: memUsed },
  };
}

/** console.log/info → stdout, console.error/warn → stderr; each argument clipped to what still fits. */
function installConsole(
  ctx: QuickJSContext,
  clipped: (h: QuickJSHandle, n: number) => string | { error: QuickJSHandle },
  stdout: ByteSink,
  stderr: ByteSink,
): void {
  const consoleObj = ctx.newObject();
  const writer = (sink: ByteSink) =>
    ctx.newFunction('log', (...args) => {
      for (let i = 0; i < args.length; i++) {
        if (sink.remaining() <= 0) {
          sink.truncated = true;
          return;
        }
        if (i > 0) sink.write(' ');
        // One character is at least one byte: asking for remaining + 1 characters shows whether it was cut.
        const s = clipped(args[i], sink.remaining() + 1);
        if (typeof s !== 'string') return s;
        sink.write(s);
      }
      sink.write('\n');
    });
  for (const [name, sink] of [
    ['log', stdout],
    ['info', stdout],
    ['debug', stdout],
    ['error', stderr],
    ['warn', stderr],
  ] as const) {
    const fn = writer(sink);
    ctx.setProp(consoleObj, name, fn);
    fn.dispose();
  }
  ctx.setProp(ctx.global, 'console', consoleObj);
  consoleObj.dispose();
}
