import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJavaScript } from '../../src/tasks/sandbox/javascript.js';
import { runPython } from '../../src/tasks/sandbox/python.js';
import { humanevalTask, runHumanEval } from '../../src/tasks/code/humaneval.js';
import { ATTACKS, type Host, prepareHost } from './sandbox-attacks.js';

describe('python sandbox', () => {
  it('runs a program and reports each test with resource usage', async () => {
    const r = await runPython({ program: 'def f(x):\n    return x + 1\nprint("hello")', tests: ['assert f(1) == 2', 'assert f(2) == 4'] });
    expect(r.status).toBe('ok');
    expect(r.tests.map((t) => t.passed)).toEqual([true, false]);
    expect(r.tests[1].error).toMatch(/AssertionError/);
    expect(r.passed).toBe(false);
    expect(r.stdout).toBe('hello\n');
    expect(r.usage.cpuMs).toBeGreaterThan(0);
    expect(r.usage.maxRssKb).toBeGreaterThan(1000);
  });

  it('reports an exception in the program as an error', async () => {
    const r = await runPython({ program: 'raise ValueError("boom")', tests: ['assert True'] });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/ValueError: boom/);
    expect(r.passed).toBe(false);
  });

  it('passes stdin through and sees a clean environment', async () => {
    const r = await runPython({
      program: 'import os, sys\nline = sys.stdin.readline().strip()\nprint(line, sorted(os.environ))',
      tests: ['assert True'],
      stdin: 'from-stdin\n',
    });
    expect(r.stdout).toContain('from-stdin');
    expect(r.stdout).not.toContain('NODE');
  });
});

describe('sandbox attack suite', () => {
  let host: Host;
  beforeAll(async () => {
    host = await prepareHost();
  });
  afterAll(async () => {
    await host.close();
  });

  it('has at least 30 attacks', () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(30);
  });

  it('contains every attack and leaves the host unharmed', async () => {
    const escapes: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ATTACKS.length) {
        const a = ATTACKS[next++];
        const r = await runPython({ program: a.code(host), tests: ['assert True'] }, { limits: { timeoutMs: 5000, ...a.limits } });
        const why = a.contained(r, host);
        if (why) escapes.push(`${a.name}: ${why}`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(escapes).toEqual([]);
    // The host still runs sandboxed code normally afterwards.
    const ok = await runPython({ program: 'x = 2', tests: ['assert x * 21 == 42'] });
    expect(ok.passed).toBe(true);
  });
});

describe('HumanEval in the sandbox (sample)', () => {
  it('canonical solutions pass and broken ones fail', async () => {
    const problems = (await humanevalTask.problems({ split: 'test' })).filter((_, i) => i % 16 === 0);
    expect(problems.length).toBeGreaterThanOrEqual(10);
    for (const p of problems) {
      const good = await runHumanEval(p, p.data.canonicalSolution);
      expect(good.passed, `${p.id}: ${good.error ?? JSON.stringify(good.tests.filter((t) => !t.passed))}`).toBe(true);
      const bad = await runHumanEval(p, '    return None\n');
      expect(bad.passed, p.id).toBe(false);
    }
  });

  it('verify gives partial credit as the fraction of asserts passed', async () => {
    const [p] = await humanevalTask.problems({ split: 'test', limit: 1 });
    const full = await humanevalTask.verify(
      humanevalTask.extractAnswer('```python\n' + p.data.prompt + p.data.canonicalSolution + '```', p),
      p,
    );
    expect(full.correct).toBe(true);
    expect(full.score).toBe(1);
    // A solution that answers False always passes some asserts and fails others.
    const half = await humanevalTask.verify('    return False\n', p);
    expect(half.correct).toBe(false);
    expect(half.score).toBeGreaterThan(0);
    expect(half.score).toBeLessThan(1);
  });
});

describe('javascript sandbox (QuickJS)', () => {
  it('runs code with tests and captures console output', async () => {
    const r = await runJavaScript({
      program: 'function add(a, b) { return a + b }\nconsole.log("sum", add(2, 3))',
      tests: ['if (add(2, 2) !== 4) throw new Error("bad")', 'if (add(1, 1) !== 3) throw new Error("expected 3")'],
    });
    expect(r.stdout).toBe('sum 5\n');
    expect(r.tests.map((t) => t.passed)).toEqual([true, false]);
    expect(r.tests[1].error).toMatch(/expected 3/);
  });

  it('stops infinite loops at the deadline', async () => {
    const r = await runJavaScript({ program: 'while (true) {}' }, { limits: { timeoutMs: 300 } });
    expect(r.status).toBe('timeout');
    expect(r.usage.wallMs).toBeLessThan(3000);
  });

  it('caps memory hard, even for natively filled arrays', async () => {
    const r = await runJavaScript(
      { program: 'let a = []; for (;;) a.push(new Array(1e6).fill(1))' },
      { limits: { memoryBytes: 32 * 1024 * 1024 } },
    );
    expect(r.status).toBe('killed');
    expect(r.usage.memoryBytes!).toBeLessThanOrEqual(32 * 1024 * 1024 + 65536);
  });

  it('has no host capabilities', async () => {
    const r = await runJavaScript({
      program: '',
      tests: [
        'if (typeof require !== "undefined") throw 1',
        'if (typeof process !== "undefined") throw 2',
        'if (typeof fetch !== "undefined") throw 3',
        'if (typeof setTimeout !== "undefined") throw 4',
      ],
    });
    expect(r.passed).toBe(true);
  });
});
