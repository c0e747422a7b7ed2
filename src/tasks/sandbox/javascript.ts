/**
 * JavaScript in QuickJS compiled to WebAssembly (quickjs-emscripten). The guest has no file system,
 * network, process or timers — only the ECMAScript built-ins and a `console` that we capture. A
 * fresh runtime per run, with a heap limit, a stack limit and an interrupt handler that stops the
 * guest at the deadline. (Node's `vm` is not a security boundary; this is.)
 *
 * Memory: QuickJS's own allocation limit is not reliable in this build (arrays filled natively
 * overshoot it by far), so each run gets a fresh WebAssembly module whose linear memory has a hard
 * maximum (16 MiB for QuickJS itself + the limit): the guest cannot grow past it, whatever it does.
 * The module is dropped after the run, so nothing a guest did survives into the next one.
 */
import { RELEASE_SYNC, newQuickJSWASMModule, newVariant, shouldInterruptAfterDeadline, type QuickJSContext, type QuickJSHandle } from 'quickjs-emscripten';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { type ExecutionResult, type SandboxLimits, type TestResult, DEFAULT_LIMITS } from './limits.js';

// WebAssembly is a Node global; the project compiles without the DOM lib that declares it.
const WA = (globalThis as unknown as {
  WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer }; compile(bytes: Uint8Array): Promise<unknown> };
}).WebAssembly;

let compiled: Promise<unknown | null> | null = null;
/**
 * QuickJS's WebAssembly code, compiled once per process (instances, with their memory, are still
 * fresh per run). Null when the file cannot be found: then each run compiles it again (slower).
 */
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

class Capped {
  text = '';
  truncated = false;
  constructor(private readonly max: number) {}
  push(s: string): void {
    if (this.text.length + s.length > this.max) {
      this.truncated = true;
      this.text += s.slice(0, Math.max(0, this.max - this.text.length));
    } else this.text += s;
  }
}

function describeError(ctx: QuickJSContext, handle: QuickJSHandle): string {
  const v = ctx.dump(handle);
  handle.dispose();
  if (v && typeof v === 'object' && 'message' in v) return `${(v as { name?: string }).name ?? 'Error'}: ${(v as { message: string }).message}`;
  return String(v);
}

export async function runJavaScript(js: JavaScriptProgram, options: { limits?: Partial<SandboxLimits> } = {}): Promise<ExecutionResult> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const PAGE = 65536;
  const basePages = 256; // 16 MiB: QuickJS's own start-up size
  const maxPages = Math.min(32768, basePages + Math.ceil(limits.memoryBytes / PAGE));
  const memory = new WA.Memory({ initial: basePages, maximum: maxPages });
  const wasmModule = await compiledQuickJS();
  const QuickJS = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory: memory as never, ...(wasmModule ? { wasmModule: wasmModule as never } : {}) }));
  const heap = (): number => memory.buffer.byteLength;
  const heapAtStart = heap();
  const runtime = QuickJS.newRuntime();
  const t0 = performance.now();
  const deadline = Date.now() + limits.timeoutMs;
  runtime.setMemoryLimit(Math.min(limits.memoryBytes, 2 ** 31 - 1));
  runtime.setMaxStackSize(1024 * 1024);
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
  const stdout = new Capped(limits.maxOutputBytes);
  const stderr = new Capped(limits.maxOutputBytes);
  try {
    const consoleObj = ctx.newObject();
    const writer = (sink: Capped) =>
      ctx.newFunction('log', (...args) => {
        sink.push(args.map((a) => { const v = ctx.dump(a); return typeof v === 'string' ? v : JSON.stringify(v); }).join(' ') + '\n');
      });
    for (const [name, sink] of [['log', stdout], ['info', stdout], ['error', stderr], ['warn', stderr]] as const) {
      const fn = writer(sink);
      ctx.setProp(consoleObj, name, fn);
      fn.dispose();
    }
    ctx.setProp(ctx.global, 'console', consoleObj);
    consoleObj.dispose();

    const tests: TestResult[] = [];
    let status: ExecutionResult['status'] = 'ok';
    let error: string | undefined;
    const main = ctx.evalCode(js.program, 'solution.js');
    if (main.error) {
      error = describeError(ctx, main.error);
      status = overMemory || /out of memory/i.test(error) ? 'killed' : interrupted ? 'timeout' : 'error';
    } else {
      main.value.dispose();
      for (const [i, t] of (js.tests ?? []).entries()) {
        const name = t.trim().split('\n')[0].slice(0, 120) || `test ${i}`;
        const r = ctx.evalCode(t, `test_${i}.js`);
        if (r.error) {
          const msg = describeError(ctx, r.error);
          tests.push({ name, passed: false, error: msg });
          if (interrupted || overMemory) {
            status = overMemory ? 'killed' : 'timeout';
            error = msg;
            break;
          }
        } else {
          r.value.dispose();
          tests.push({ name, passed: true });
        }
      }
    }
    const wallMs = performance.now() - t0;
    // The heap growth of this run's module (QuickJS's own statistics are unusable after an out-of-memory error).
    const memUsed = Math.max(0, heap() - heapAtStart);
    return {
      passed: status === 'ok' && tests.length > 0 && tests.every((t) => t.passed),
      status,
      tests,
      stdout: stdout.text,
      stderr: stderr.text,
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      exitCode: null,
      signal: null,
      error: overMemory ? `memory limit of ${limits.memoryBytes} bytes reached` : interrupted ? `time limit of ${limits.timeoutMs} ms reached` : error,
      usage: { wallMs, cpuMs: null, maxRssKb: null, memoryBytes: memUsed },
    };
  } finally {
    // After an out-of-memory error QuickJS may refuse to free cleanly; the module is dropped anyway.
    try {
      ctx.dispose();
      runtime.dispose();
    } catch {
      /* the whole module goes away with this run */
    }
  }
}
