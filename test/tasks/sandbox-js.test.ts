/**
 * Issue 13, items 3, 5, 6 and 12 (JavaScript sandbox): the host's memory and event loop stay
 * bounded whatever the guest prints, deep recursion and deep JSON end in a result, a timeout is
 * never a pass, and console.log(10n) works. Each case failed before the fix.
 */
import { describe, expect, it } from 'vitest';
import { runJavaScript } from '../../src/tasks/sandbox/javascript.js';
import type { ExecutionResult } from '../../src/tasks/sandbox/limits.js';

/** Runs `f` while sampling host RSS and the event loop's longest stall. */
async function watched(f: () => Promise<ExecutionResult>): Promise<{ r: ExecutionResult; rssGrowth: number; maxStallMs: number }> {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let last = performance.now();
  let maxStallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last - 10);
    last = now;
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const r = await f();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { r, rssGrowth: peak - rss0, maxStallMs };
  } finally {
    clearInterval(timer);
  }
}

const MiB = 1024 * 1024;

describe('javascript sandbox under attack', () => {
  it('console.log.apply with 200 strings of 16 MB: output capped in bytes, host RSS and event loop unharmed', async () => {
    await runJavaScript({ program: '1' }); // start the sandbox thread outside the measurement
    const flood = "var s='a'.repeat(1<<24),a=[];for(var i=0;i<200;i++)a.push(s);console.log.apply(null,a)";
    const { r, rssGrowth, maxStallMs } = await watched(() =>
      runJavaScript({ program: flood, tests: ['1'] }, { limits: { memoryBytes: 256 * MiB, timeoutMs: 5000 } }),
    );
    expect(r.stdout.length).toBeLessThanOrEqual(16 * 1024);
    expect(r.stdoutTruncated).toBe(true);
    // The guest's 16 MB string lives in its own WebAssembly memory (at most memoryBytes); the host
    // keeps at most the 16 KiB cap. Margin: one sandbox module (memoryBytes + 16 MiB) + 64 MiB.
    expect(rssGrowth).toBeLessThan(256 * MiB + 80 * MiB);
    expect(maxStallMs).toBeLessThan(1000);
  });

  it('every console route and error path is capped the same way', async () => {
    for (const program of [
      "var s='é'.repeat(1<<22); for (var i = 0; i < 50; i++) console.error(s, s, s)",
      "var s='x'.repeat(1<<24); console.log([s, s, s, s])",
      "console.log({toString(){ return 'y'.repeat(1<<24) }} + '')",
    ]) {
      const { r, rssGrowth } = await watched(() =>
        runJavaScript({ program, tests: ['1'] }, { limits: { memoryBytes: 256 * MiB, timeoutMs: 5000 } }),
      );
      expect(Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr), program).toBeLessThanOrEqual(2 * 16 * 1024);
      expect(rssGrowth, program).toBeLessThan(256 * MiB + 80 * MiB);
    }
    const thrown = await runJavaScript({ program: "throw 'x'.repeat(1<<26)" }, { limits: { memoryBytes: 256 * MiB } });
    expect(thrown.status).toBe('error');
    expect(thrown.error!.length).toBeLessThanOrEqual(2000);
  });

  it('deep recursion and deep JSON end in a result, never a host RangeError', async () => {
    for (const program of [
      'function f(n){return f(n+1)+1} f(0)',
      'JSON.parse("[".repeat(1e6))',
      'JSON.parse("{\\"a\\":".repeat(1e5))',
      'let a=[]; for(let i=0;i<1e5;i++) a=[a]; String(a)',
      'let p = new Proxy({}, {get(t,k,r){ return r[k] }}); p.x',
      'let o={}; for(let i=0;i<1e5;i++) o={a:o}; JSON.stringify(o)',
    ]) {
      const r = await runJavaScript({ program, tests: ['1'] }, { limits: { timeoutMs: 2000 } });
      expect(r.passed, program).toBe(false);
      expect(['error', 'timeout'], `${program}: ${r.status} ${r.error}`).toContain(r.status);
    }
    // Ordinary recursion still works (over a thousand frames).
    const ok = await runJavaScript({
      program: 'function d(n){ return n === 0 ? 0 : 1 + d(n - 1) }',
      tests: ['if (d(1000) !== 1000) throw 1'],
    });
    expect(ok.passed, ok.error).toBe(true);
  });

  it('a timeout is never a pass, wherever the guest is stuck', async () => {
    for (const program of [
      'console.log({toJSON(){for(;;){}}})',
      'console.log({get x(){for(;;){}}})',
      'try { for(;;){} } catch (e) {}',
      'console.log(String({toString(){ for(;;){} }}))',
    ]) {
      const r = await runJavaScript({ program, tests: ['1'] }, { limits: { timeoutMs: 300 } });
      expect(r.status, program).toBe('timeout');
      expect(r.passed, program).toBe(false);
    }
    // Stuck inside a test, after the program itself passed.
    const inTest = await runJavaScript(
      { program: 'var x = 1', tests: ['1', 'try { for(;;){} } catch (e) {}'] },
      { limits: { timeoutMs: 300 } },
    );
    expect(inTest.status).toBe('timeout');
    expect(inTest.passed).toBe(false);
  });

  it('prints bigints, symbols, errors and objects like Node does (near enough)', async () => {
    const r = await runJavaScript({
      program: 'console.log(10n, {a: 5n}, [1, 2], null, undefined, Symbol("s"), new Error("boom"))',
      tests: ['if (2n ** 64n !== 18446744073709551616n) throw 1'],
    });
    expect(r.status, r.error).toBe('ok');
    expect(r.passed).toBe(true);
    expect(r.stdout).toBe('10n {"a":"5n"} [1,2] null undefined Symbol(s) Error: boom\n');
  });

  it('a guest that replaces built-ins cannot break the host side of console', async () => {
    const r = await runJavaScript({
      program:
        'String.prototype.slice = () => "x".repeat(1<<24); JSON.stringify = () => { for(;;){} }; console.log("a".repeat(1<<20), {b: 1})',
      tests: ['1'],
    });
    expect(r.status, r.error).toBe('ok');
    expect(r.stdout.length).toBeLessThanOrEqual(16 * 1024);
    expect(r.stdoutTruncated).toBe(true);
  });
});
